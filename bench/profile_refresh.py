"""Where the seconds of one `flowmart` run go: by phase, by Dagster step, by dbt node.

Prints figures; it is not a test. From the repository root:

    .venv/bin/python -m bench.profile_refresh --home data            # a refresh of this home
    .venv/bin/python -m bench.profile_refresh --tiny                 # fresh home, tiny source

It runs the real CLI in a fresh process (as a user or the scheduler would), then reads
the run's Dagster event log (step start/end) and dbt's run_results.json (node times).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOWMART = str(Path(sys.executable).with_name("flowmart"))


def run_cli(home: Path, env_extra: dict[str, str], *args: str) -> float:
    env = {**os.environ, "FLOWMART_HOME": str(home), **env_extra}
    started = time.time()
    subprocess.run([FLOWMART, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    return started


def step_times(home: Path) -> tuple[float, float, dict[str, float]]:
    """(run start, run end, seconds per step) of the latest run of this home's instance."""
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    import dagster as dg

    instance = dg.DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    events = instance.all_logs(run.run_id)
    starts: dict[str, float] = {}
    steps: dict[str, float] = {}
    run_start = run_end = events[0].timestamp
    for entry in events:
        event = entry.dagster_event
        if event is None:
            continue
        kind = event.event_type
        if kind == dg.DagsterEventType.RUN_START:
            run_start = entry.timestamp
        elif kind in (dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE):
            run_end = entry.timestamp
        elif kind == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            steps[event.step_key] = entry.timestamp - starts[event.step_key]
        elif kind == dg.DagsterEventType.STEP_SKIPPED:
            steps[event.step_key] = 0.0
    return run_start, run_end, steps


def dbt_node_times(
    home: Path, top: int, since: float
) -> tuple[float, list[tuple[float, str]], int]:
    """dbt's node times of the run started at `since` (none if dbt did not run then)."""
    path = home / "dbt_target" / "run_results.json"
    if not path.exists() or path.stat().st_mtime < since:
        return 0.0, [], 0
    results = json.loads(path.read_text())
    nodes = sorted(
        ((r["execution_time"], r["unique_id"]) for r in results["results"]), reverse=True
    )
    return results["elapsed_time"], nodes[:top], len(nodes)


def tiny_source(directory: Path) -> str:
    from orchestration.demo import generate_demo_source, write_source

    frames = generate_demo_source(days=2, executions_per_day=20, seed=7)
    url = f"sqlite:///{directory / 'tiny.sqlite'}"
    written = write_source(frames, url)
    print(f"tiny source: {sum(written.values())} rows")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, help="an existing FLOWMART_HOME to refresh")
    parser.add_argument("--source", help="FLOWMART_SOURCE_URL for --home (default: its demo)")
    parser.add_argument("--tiny", action="store_true", help="fresh home on a tiny source")
    parser.add_argument("--top", type=int, default=12, help="slowest dbt nodes to list")
    args = parser.parse_args()
    env: dict[str, str] = {"FLOWMART_SOURCE_URL": args.source} if args.source else {}
    if args.tiny:
        directory = Path(tempfile.mkdtemp(prefix="flowmart-profile-"))
        env["FLOWMART_SOURCE_URL"] = tiny_source(directory)
        home = directory / "home"
    else:
        home = args.home.resolve()
    started = run_cli(home, env, "refresh")
    ended = time.time()
    run_start, run_end, steps = step_times(home)
    print(f"wall                       {ended - started:6.2f} s")
    print(f"  start-up to run start    {run_start - started:6.2f} s (imports, definitions)")
    for step, seconds in steps.items():
        print(f"  step {step:<21} {seconds:6.2f} s")
    print(f"  run end to exit          {ended - run_end:6.2f} s")
    elapsed, nodes, count = dbt_node_times(home, args.top, started)
    if count:
        print(f"dbt: {count} nodes, {elapsed:.2f} s inside dbt; slowest:")
        for seconds, node in nodes:
            print(f"  {seconds:6.2f} s  {node}")


if __name__ == "__main__":
    main()

"""Benchmark of incremental refreshes and backfills on PostgreSQL sources (issue 3).

Prints figures (medians over --repeats); it is not a test. From the repository root:

    .venv/bin/python -m bench.refresh_bench [--scale 1.0] [--repeats 3]

It starts a private PostgreSQL server (Debian's postgresql package, as the tests do),
loads demo sources into it with the demo generator and runs the real `flowmart` CLI:

1. nightly refresh of one new day (33k executions) on top of 30 days of history;
2. full build of 30 days (1M executions, ~10M node runs) from PostgreSQL, and a
   30-day backfill from raw history;
3. the same one-day refresh on top of 365 days of (smaller) history vs on top of 7;
4. dashboard answers from the published marts vs straight from the source tables.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import adbc_driver_postgresql.dbapi as pg
import duckdb
import polars as pl

from orchestration.demo import generate_demo_source, write_source
from tests.postgres_server import PostgresServer

FLOWMART = str(Path(sys.executable).with_name("flowmart"))
FACT_TABLES = (
    "process_instance",
    "node_instance",
    "review_task",
    "api_key_usage",
    "ai_execution_history",
    "execution_log",
)
HISTORY_END = date(2026, 3, 31)
NEW_DAY = HISTORY_END + timedelta(days=1)

MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter(); rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(time.perf_counter() - t, rss, rc)"
)


def flowmart(home: Path, url: str, *args: str) -> tuple[float, float]:
    """Run the CLI in a fresh process: (wall seconds, peak RSS MiB of its largest process)."""
    env = {**os.environ, "FLOWMART_HOME": str(home), "FLOWMART_SOURCE_URL": url}
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, FLOWMART, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    seconds, rss_kib, code = float(out[0]), int(out[1]), int(out[2])
    if code != 0:
        raise RuntimeError(f"flowmart {' '.join(args)} exited {code}; see {home}/logs/runs.log")
    return seconds, rss_kib / 1024


def create_database(server_url: str, name: str) -> str:
    with pg.connect(server_url, autocommit=True) as con, con.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def new_day_facts(executions_per_day: int) -> dict[str, pl.DataFrame]:
    frames = generate_demo_source(
        days=1, executions_per_day=executions_per_day, seed=99, end_date=NEW_DAY
    )
    # Integer ids count from 1 in every generated source: move the new day's out of the way.
    return {
        name: frames[name].with_columns(pl.col("id") + 10**12)
        if frames[name].schema["id"].is_integer()
        else frames[name]
        for name in FACT_TABLES
    }


def median_runs(label: str, runs: list[tuple[float, float]]) -> tuple[float, float]:
    seconds = statistics.median(r[0] for r in runs)
    rss = statistics.median(r[1] for r in runs)
    print(
        f"  {label:<58} {seconds:7.1f} s   {rss:7.0f} MiB   (runs: "
        + ", ".join(f"{r[0]:.1f}" for r in runs)
        + ")",
        flush=True,
    )
    return seconds, rss


def one_day_refresh(work: Path, url: str, new_day: dict, repeats: int, label: str) -> float:
    """Build the history once, append one new day to the source, then time refreshes of
    that day, each from a copy of the same warehouse state."""
    base = work / "base"
    flowmart(base, url, "refresh")
    write_source(new_day, url, replace=False)
    runs = []
    for i in range(repeats):
        home = work / f"run{i}"
        shutil.copytree(base, home)
        runs.append(flowmart(home, url, "refresh"))
        if i < repeats - 1:
            shutil.rmtree(home)
    return median_runs(label, runs)[0]


DASHBOARD = {
    "30-day daily counts by workflow": (
        "SELECT workflow_id, day, runs, failed FROM marts.workflow_runs_daily "
        "WHERE day > DATE '{end}' - 30 ORDER BY workflow_id, day",
        """WITH unhandled AS (SELECT DISTINCT process_instance_id FROM node_instance
                              WHERE status_cd = 7 AND NOT error_handled)
           SELECT process_meta_id, start_time::date AS day, count(*) AS runs,
                  count(*) FILTER (WHERE state_cd = 7 OR (state_cd = 4 AND u.process_instance_id
                                                          IS NOT NULL)) AS failed
           FROM process_instance p LEFT JOIN unhandled u ON u.process_instance_id = p.id
           WHERE start_time > DATE '{end}' - 30 GROUP BY 1, 2 ORDER BY 1, 2""",
    ),
    "error hotspots (workflow, failing node)": (
        "SELECT workflow_id, failed_node_id, count(*) AS failures FROM marts.fct_executions "
        "WHERE status = 'failed' GROUP BY ALL ORDER BY failures DESC LIMIT 20",
        """WITH first_error AS (
               SELECT DISTINCT ON (process_instance_id) process_instance_id, node_id
               FROM node_instance WHERE status_cd = 7
               ORDER BY process_instance_id, start_time, id),
           unhandled AS (SELECT DISTINCT process_instance_id FROM node_instance
                         WHERE status_cd = 7 AND NOT error_handled)
           SELECT p.process_meta_id, f.node_id, count(*) AS failures
           FROM process_instance p
           LEFT JOIN unhandled u ON u.process_instance_id = p.id
           LEFT JOIN first_error f ON f.process_instance_id = p.id
           WHERE p.state_cd = 7 OR (p.state_cd = 4 AND u.process_instance_id IS NOT NULL)
           GROUP BY 1, 2 ORDER BY failures DESC LIMIT 20""",
    ),
    "p95 duration per workflow": (
        "SELECT workflow_id, quantile_cont(duration_ms, 0.95) FROM marts.fct_executions "
        "GROUP BY workflow_id ORDER BY workflow_id",
        """SELECT process_meta_id, percentile_cont(0.95) WITHIN GROUP (
                  ORDER BY extract(epoch FROM end_time - start_time) * 1000)
           FROM process_instance WHERE state_cd IN (4, 7) GROUP BY 1 ORDER BY 1""",
    ),
}


def time_query(run, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def dashboard(published: Path, url: str) -> None:
    with duckdb.connect(str(published), read_only=True) as mart, pg.connect(url) as source:
        cursor = source.cursor()
        for name, (mart_sql, source_sql) in DASHBOARD.items():
            mart_ms = time_query(lambda q=mart_sql: mart.sql(q.format(end=NEW_DAY)).fetchall())

            def from_source(q=source_sql):
                cursor.execute(q.format(end=NEW_DAY))
                cursor.fetchall()

            source_ms = time_query(from_source)
            print(
                f"  {name:<42} marts {mart_ms:8.1f} ms   source {source_ms:9.1f} ms   "
                f"x{source_ms / mart_ms:6.1f}",
                flush=True,
            )
    print("  slowest nodes: needs node_reliability_daily (run marts issue), not measured")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every volume")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--only",
        choices=("full", "nightly", "history"),
        action="append",
        help="run only these scenarios (repeatable; default: all)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the homes for profiling")
    args = parser.parse_args()
    only = set(args.only or ("full", "nightly", "history"))
    per_day = int(33_000 * args.scale)
    small_day = int(3_000 * args.scale)
    work = Path(tempfile.mkdtemp(prefix="flowmart-bench-"))
    print(f"flowmart refresh benchmark: scale {args.scale}, {args.repeats} repeats, in {work}")
    with PostgresServer() as server:
        new_day = new_day_facts(per_day)
        print(
            f"  new day: {new_day['process_instance'].height:,} executions, "
            f"{new_day['node_instance'].height:,} node runs, "
            f"{new_day['review_task'].height:,} reviews, "
            f"{new_day['api_key_usage'].height:,} API requests, "
            f"{new_day['ai_execution_history'].height:,} AI calls"
        )

        if only & {"full", "nightly"}:
            print("1+2. 30 days of history", flush=True)
            url30 = create_database(server.url, "history30")
            history = generate_demo_source(
                days=30, executions_per_day=per_day, seed=1, end_date=HISTORY_END
            )
            print(
                f"  history: {history['process_instance'].height:,} executions, "
                f"{history['node_instance'].height:,} node runs",
                flush=True,
            )
            write_source(history, url30)
            del history
        if "full" in only:
            full_build(work, url30, args.repeats)
        nightly = 0.0
        if "nightly" in only:
            nightly = one_day_refresh(
                work / "n30",
                url30,
                new_day,
                args.repeats,
                "nightly refresh of one new day on 30 days",
            )
            print("4. dashboard answers: published marts vs source tables", flush=True)
            published = work / "n30" / f"run{args.repeats - 1}" / "published" / "flowmart.duckdb"
            dashboard(published, url30)
        if "history" not in only:
            print(f"homes kept in {work}" if args.keep else "", flush=True)
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
            return

        print("3. the one-day refresh on 365 days of history vs on 7", flush=True)
        results = {}
        for days in (7, 365):
            url = create_database(server.url, f"history{days}d")
            write_source(
                generate_demo_source(
                    days=days, executions_per_day=small_day, seed=days, end_date=HISTORY_END
                ),
                url,
            )
            results[days] = one_day_refresh(
                work / f"h{days}",
                url,
                new_day,
                args.repeats,
                f"nightly refresh of one new day on {days} days",
            )
        print(
            f"  ratio 365 / 7 days of history: {results[365] / results[7]:.2f} "
            f"(30-day nightly: {nightly:.1f} s)"
        )
    if args.keep:
        print(f"homes kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def full_build(work: Path, url: str, repeats: int) -> None:
    builds = [flowmart(work / f"full{i}", url, "refresh") for i in range(repeats)]
    median_runs("full build of 30 days from PostgreSQL (empty warehouse)", builds)
    start = (HISTORY_END - timedelta(days=29)).isoformat()
    backfills = [
        flowmart(
            work / "full0", url, "backfill", "--start", start, "--end", HISTORY_END.isoformat()
        )
        for _ in range(repeats)
    ]
    median_runs("backfill of the 30 days from raw history", backfills)
    for i in range(repeats):
        shutil.rmtree(work / f"full{i}")


if __name__ == "__main__":
    main()

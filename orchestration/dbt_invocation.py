"""dbt, invoked in this process, its results streamed as Dagster events.

A dbt subprocess costs seconds before it does anything (a new Python, dbt's imports,
which Dagster's dbt integration has already loaded here). dbt's programmatic runner
does the same work in this process: it runs on a worker thread, and its structured
events cross over through a queue, so each model's materialization reaches Dagster
(and the UI) as soon as dbt finishes it. The events are turned into Dagster events by
dagster-dbt's own translation, exactly as for its subprocess.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from orchestration.settings import DBT_PROJECT_DIR

RESULT_EVENTS = frozenset(("LogModelResult", "LogSeedResult", "LogSnapshotResult", "LogTestResult"))


class DbtBuildError(Exception):
    """dbt ran, and a node failed (or dbt itself could not start)."""


def parsed_project(msgpack: Path):
    """The project as parsed once for every home (orchestration/defs/dbt.py parses it
    when its files change), so that a run parses nothing: dbt's own partial parse is
    per profile, hence per FLOWMART_HOME, and a fresh home would pay a full parse. The
    parse does not depend on the home (the warehouse is `work.duckdb` in each)."""
    from dbt.contracts.graph.manifest import Manifest

    manifest = Manifest.from_msgpack(msgpack.read_bytes())
    manifest.build_flat_graph()  # the `graph` that macros read, as dbt's own load builds it
    return manifest


def _run_in_thread(
    args: list[str], manifest_msgpack: Path | None, events: queue.Queue, done: object
) -> None:
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    def forward(message) -> None:
        if message.info.name in RESULT_EVENTS:
            events.put(msg_to_dict(message))

    try:
        parsed = parsed_project(manifest_msgpack) if manifest_msgpack else None
        result = dbtRunner(manifest=parsed, callbacks=[forward]).invoke(args)
        events.put(result)
    except BaseException as exc:  # reaches the Dagster step, which fails with it
        events.put(exc)
    finally:
        _close_warehouse()
        events.put(done)


def _close_warehouse() -> None:
    """dbt-duckdb keeps its DuckDB database open in a class attribute after a run; in
    this process, the steps after dbt must be able to open the warehouse (read-only,
    or with other settings), and a later run may use another FLOWMART_HOME."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def dbt_args(command: Sequence[str], target_path: Path) -> list[str]:
    """The full argument list: this project, its profile, a per-home target path."""
    return [
        *command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path),
    ]


def run_dbt(
    command: Sequence[str],
    target_path: Path,
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
    context: dg.AssetExecutionContext,
    manifest_msgpack: Path | None = None,
) -> Iterator[Any]:
    """Run `dbt <command>` in this process; yield a Dagster event per finished node
    (Output for models, snapshots and seeds, AssetCheckResult for tests). Raises
    DbtBuildError once every event is out when dbt did not succeed. With
    `manifest_msgpack` (a parse of this project), dbt does not parse at all."""
    events: queue.Queue = queue.Queue()
    done = object()
    worker = threading.Thread(
        target=_run_in_thread,
        args=(dbt_args(command, target_path), manifest_msgpack, events, done),
        name="dbt",
        daemon=True,
    )
    worker.start()
    outcome = None
    while (item := events.get()) is not done:
        if isinstance(item, dict):
            message = DbtCoreCliEventMessage(raw_event=item, event_history_metadata={})
            yield from message.to_default_asset_events(
                manifest=manifest,
                dagster_dbt_translator=translator,
                context=context,
                target_path=target_path,
            )
        else:
            outcome = item
    worker.join()
    if isinstance(outcome, BaseException):
        raise DbtBuildError(f"dbt {' '.join(command[:1])} could not run: {outcome}") from outcome
    if outcome is None or not outcome.success:
        failed = _failed_nodes(outcome)
        detail = f": {'; '.join(failed)}" if failed else f": {getattr(outcome, 'exception', '')}"
        raise DbtBuildError(f"dbt {' '.join(command[:1])} failed{detail}")


def _failed_nodes(outcome) -> list[str]:
    results = getattr(getattr(outcome, "result", None), "results", None) or []
    return [
        f"{r.node.unique_id} ({r.status}): {(r.message or '').strip()[:300]}"
        for r in results
        if str(r.status) in ("error", "fail", "runtime error")
    ]

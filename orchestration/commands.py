"""What each `flowmart` command does, on top of the Dagster jobs of definitions.py."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import textwrap
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from orchestration import warehouse
from orchestration.settings import Settings, load_settings
from orchestration.source_url import redact
from orchestration.warehouse import query_one

# What `flowmart demo` shows after publishing: the questions flowmart exists to answer.
DEMO_QUERIES = {
    "Five least reliable workflows (at least 20 finished runs)": """
        SELECT workflow_id, CAST(sum(runs) AS BIGINT) AS runs,
               CAST(sum(failed) AS BIGINT) AS failed,
               round(sum(failed) / (sum(succeeded) + sum(failed)), 3) AS failure_rate
        FROM marts.workflow_runs_daily GROUP BY workflow_id
        HAVING sum(succeeded) + sum(failed) >= 20
        ORDER BY failure_rate DESC, workflow_id LIMIT 5""",
    "Worst node types": """
        SELECT node_type, CAST(sum(node_runs) AS BIGINT) AS node_runs,
               round(sum(failures) / nullif(sum(successes) + sum(failures), 0), 3)
                   AS failure_rate,
               CAST(sum(timeouts) AS BIGINT) AS timeouts,
               CAST(sum(retries) AS BIGINT) AS retries
        FROM marts.node_type_reliability_daily GROUP BY node_type
        ORDER BY failure_rate DESC NULLS LAST, node_type LIMIT 5""",
    "Top error signatures": """
        SELECT node_type, left(error_signature, 70) AS error_signature,
               CAST(sum(occurrences) AS BIGINT) AS occurrences,
               CAST(sum(executions_affected) AS BIGINT) AS executions
        FROM marts.error_signatures_daily GROUP BY ALL
        ORDER BY occurrences DESC, error_signature LIMIT 5""",
    "Billing owners over a plan limit, or where billing counted differently": """
        SELECT billing_owner_id, month, executions, execution_limit,
               over_any_limit, billed_executions, billing_difference
        FROM marts.usage_monthly
        WHERE over_any_limit OR abs(billing_difference_rate) > 0.005
        ORDER BY month, billing_owner_id LIMIT 10""",
}
# ... and ends with what operators act on first (issue 7).
OPEN_ALERTS = """
        SELECT rule_id, org_id, metric, operator, threshold, round(value, 4) AS value,
               window_end, firing_windows
        FROM (
            SELECT *,
                   count(*) OVER (PARTITION BY rule_id) AS firing_windows,
                   row_number() OVER (PARTITION BY rule_id ORDER BY window_end DESC) AS latest
            FROM marts.alert_events WHERE acknowledged_at IS NULL
        )
        WHERE latest = 1 ORDER BY window_end DESC, rule_id LIMIT 10"""
TOP_INSIGHTS = """
    SELECT priority, severity, title, recommendations FROM marts.insights
    WHERE is_significant ORDER BY priority LIMIT 5"""


# Dagster warns of every blocking check that emitted no result before a step it gates.
# A refresh leaves out, by design, the dbt tests and suites of the marts it did not
# rebuild (orchestration/rebuild.py): hundreds of such warnings, none of them news.
logging.getLogger("dagster._core.execution.plan.active").setLevel(logging.ERROR)


def log_level() -> str:
    """Dagster's console log level for CLI runs (FLOWMART_LOG_LEVEL, default WARNING)."""
    return os.environ.get("FLOWMART_LOG_LEVEL", "WARNING").upper()


@dataclass
class RunOutcome:
    run_id: str
    published: bool
    seconds: float
    extracted: dict[str, dict] = field(default_factory=dict)
    published_rows: dict[str, int] = field(default_factory=dict)
    checks_passed: int = 0
    check_failures: list[str] = field(default_factory=list)
    check_warnings: list[str] = field(default_factory=list)
    step_failures: list[str] = field(default_factory=list)
    # no input of any mart changed since the last publication: nothing was rebuilt, the
    # published marts are current (orchestration/rebuild.py)
    up_to_date: bool = False


def _check_label(evaluation) -> str:
    """asset:check, with the failed expectations when the check reported them."""
    details = [
        item
        for key in ("critical_failures", "warnings")
        if key in evaluation.metadata
        for item in evaluation.metadata[key].value
    ]
    detail = f": {'; '.join(details)}" if details else ""
    return f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}{detail}"


def _root_cause(error) -> str:
    """Dagster wraps the exception that matters in step-execution errors: unwrap it."""
    if error is None:
        return "unknown error"
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def run_job(
    job_name: str, first_day: str, last_day: str, tags: dict[str, str] | None = None
) -> RunOutcome:
    """Run a job in this process for the day partitions first_day..last_day (one run)."""
    from orchestration.definitions import defs

    tags = {
        **(tags or {}),
        "dagster/asset_partition_range_start": first_day,
        "dagster/asset_partition_range_end": last_day,
    }
    started = time.monotonic()
    log_path = load_settings().home / "logs" / "runs.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # dagster-dbt echoes dbt's whole log to stdout: keep it in a file, print a summary.
    with (
        log_path.open("a") as log,
        contextlib.redirect_stdout(log),
        dg.DagsterInstance.get() as instance,
    ):
        result = defs.resolve_job_def(job_name).execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags=tags,
            run_config={"loggers": {"console": {"config": {"log_level": log_level()}}}},
        )
    outcome = RunOutcome(run_id=result.run_id, published=False, seconds=0.0)
    for event in result.get_asset_materialization_events():
        key = event.asset_key
        metadata = {k: v.value for k, v in event.materialization.metadata.items()}
        if key.path[0] == "raw":
            outcome.extracted[key.path[-1]] = metadata
        elif key == dg.AssetKey(["published", "flowmart"]):
            outcome.published = True
            outcome.published_rows = {
                k.removeprefix("rows."): v for k, v in metadata.items() if k.startswith("rows.")
            }
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            outcome.checks_passed += 1
        elif evaluation.severity == dg.AssetCheckSeverity.ERROR:
            outcome.check_failures.append(_check_label(evaluation))
        else:
            outcome.check_warnings.append(_check_label(evaluation))
    skipped = set()
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            outcome.step_failures.append(
                f"{event.step_key}: {_root_cause(event.step_failure_data.error)}"
            )
        elif event.event_type_value == "STEP_SKIPPED":
            skipped.add(event.step_key)
    outcome.up_to_date = (
        result.success
        and not outcome.published
        and not outcome.check_failures
        and {"dbt_models", "published__flowmart"} & skipped == {"published__flowmart"}
    )
    outcome.seconds = time.monotonic() - started
    return outcome


def report(command: str, settings: Settings, outcome: RunOutcome) -> int:
    print(f"flowmart {command}: run {outcome.run_id[:8]} in {outcome.seconds:.1f} s")
    print(f"  source     {settings.source_label}")
    for table, m in outcome.extracted.items():
        print(
            f"  extracted  {table:<22} {m['rows_read']:>10,} rows "
            f"({m['rows_inserted']:,} new, {m['rows_updated']:,} updated)"
        )
    print(
        f"  checks     {outcome.checks_passed} passed, {len(outcome.check_failures)} failed, "
        f"{len(outcome.check_warnings)} warnings"
    )
    for warning in outcome.check_warnings:
        print(f"  warning    {warning}")
    if outcome.up_to_date:
        print("  published  nothing changed since the last publication: nothing rebuilt")
        print(f"  file       {settings.published_db} (current)")
        return 0
    if not outcome.published:
        for failure in outcome.check_failures:
            print(f"flowmart {command}: check failed: {failure}", file=sys.stderr)
        for failure in outcome.step_failures:
            failure = redact(failure, settings.source_url)
            print(f"flowmart {command}: step failed: {failure}", file=sys.stderr)
        print(
            f"flowmart {command}: NOT published; {settings.published_db} is unchanged "
            f"(dbt and run logs: {settings.home / 'logs' / 'runs.log'})",
            file=sys.stderr,
        )
        return 1
    for mart, rows in outcome.published_rows.items():
        print(f"  published  marts.{mart:<28} {rows:>10,} rows")
    print(f"  file       {settings.published_db}")
    return 0


def refresh(settings: Settings) -> int:
    """Anchored on today's partition; dbt also rebuilds every older day a change touched."""
    from orchestration.defs.dbt import today_partition_key

    today = today_partition_key()
    outcome = run_job("refresh", today, today, {"flowmart/command": "refresh"})
    return report("refresh", settings, outcome)


def backfill(settings: Settings, start: date, end: date) -> int:
    """Rebuild the day partitions start..end from raw history (no extraction), in one run."""
    from orchestration.partitions import partitions_start

    if start < partitions_start():
        print(
            f"flowmart backfill: {start} is before the first partition {partitions_start()} "
            "(set FLOWMART_PARTITIONS_START)",
            file=sys.stderr,
        )
        return 2
    tags = {"flowmart/command": "backfill"}
    outcome = run_job("rebuild", start.isoformat(), end.isoformat(), tags)
    return report(f"backfill {start}..{end}", settings, outcome)


def demo(settings: Settings, days: int, executions_per_day: int, seed: int) -> int:
    from orchestration.demo import generate_demo_source, write_source

    if not settings.demo_source_path.exists():
        started = time.monotonic()
        frames = generate_demo_source(days=days, executions_per_day=executions_per_day, seed=seed)
        written = write_source(frames, f"sqlite:///{settings.demo_source_path}")
        print(
            f"flowmart demo: generated {settings.demo_source_path} "
            f"({sum(written.values()):,} rows, {time.monotonic() - started:.1f} s)"
        )
    else:
        print(f"flowmart demo: using existing {settings.demo_source_path}")
    code = refresh(settings)
    if code == 0:
        print_demo_summary(settings.published_db)
    return code


def print_demo_summary(published_db: Path) -> None:
    """The demo's answers from the published file, ending with the operations layer."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        for title, sql in DEMO_QUERIES.items():
            print(f"\n{title}:")
            print(con.sql(sql))
        print("\nTop insights (marts.insights, significant findings by priority):")
        for priority, severity, title, recommendations in con.sql(TOP_INSIGHTS).fetchall():
            print(f"{priority:>3}. [{severity}] {title}")
            print(
                textwrap.fill(
                    recommendations, 96, initial_indent="     ", subsequent_indent="     "
                )
            )
        print("\nOpen alerts (marts.alert_events, each unacknowledged rule's latest window):")
        print(con.sql(OPEN_ALERTS))
    print(f"Query it yourself: .venv/bin/duckdb -readonly {published_db}")


def _quarantine_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(table, reasons, rows) of the quarantined source rows, as of the last build."""
    try:
        return con.sql(
            "SELECT table_name, reasons, count(*) FROM quarantine.quarantined_rows "
            "GROUP BY ALL ORDER BY 1, 3 DESC, 2"
        ).fetchall()
    except duckdb.CatalogException:  # no build yet
        return []


def status(settings: Settings) -> int:
    if not settings.work_db.exists():
        print("flowmart status: no refresh has run yet under", settings.home)
        return 0
    try:
        with warehouse.connect(settings.work_db, read_only=True) as con:
            watermarks = con.sql(
                "SELECT table_name, committed_at, pending_at, last_rows, last_extracted "
                "FROM meta.watermarks ORDER BY table_name"
            ).fetchall()
            last = query_one(
                con,
                "SELECT published_at, run_id, marts, rows FROM meta.publications "
                "ORDER BY published_at DESC LIMIT 1",
            )
            stale = con.execute(
                "SELECT day, string_agg(reason, ', ' ORDER BY reason) FROM meta.dirty_days "
                "GROUP BY day ORDER BY day"
            ).fetchall()
            quarantined = _quarantine_counts(con)
    except duckdb.IOException:
        print("flowmart status: the working warehouse is busy (a refresh or backfill is running)")
        return 0
    print(f"source      {settings.source_label}")
    if last:
        print(f"published   {last[0]} by run {last[1][:8]}: {last[2]} marts, {last[3]:,} rows")
        print(f"            {settings.published_db}")
    else:
        print("published   never")
    print(f"{'table':<24}{'watermark (committed)':<28}{'pending':<28}{'last rows':>10}")
    for table, committed, pending, rows, _ in watermarks:
        print(f"{table:<24}{committed!s:<28}{pending!s:<28}{rows:>10,}")
    if stale:
        print(f"stale       {len(stale)} day partitions changed since the last publication:")
        for day, reasons in stale:
            print(f"            {day}  ({reasons})")
    else:
        print("stale       none: every extracted change is published")
    if quarantined:
        total = sum(n for _, _, n in quarantined)
        print(f"quarantine  {total:,} source rows no mart counts (quarantine.quarantined_rows):")
        for table, reasons, n in quarantined:
            print(f"            {table:<22}{n:>8,}  {reasons}")
    else:
        print("quarantine  no source row broke a rule")
    from orchestration.quality import read_results, suite_paths

    suites = suite_paths()  # a suite since removed has no say
    results = {n: r for n, r in read_results(settings.home).items() if n in suites}
    failing = {name: r for name, r in results.items() if not r["passed"]}
    if not results:
        print("checks      no Great Expectations suite has run yet")
    elif not failing:
        print(f"checks      all {len(results)} suites passed at their latest evaluation")
    else:
        print(
            f"checks      {len(failing)} of {len(results)} suites did not pass at their "
            "latest evaluation:"
        )
        for name, result in failing.items():
            print(
                f"            {name} ({result['asset']}:{result['check']}, "
                f"run {result['run_id'][:8]}, {result['evaluated_at']})"
            )
            for f in result["failures"]:
                print(
                    f"              {f['severity']:<8}  {f['expectation']}({f['column']}): "
                    f"{f['unexpected_count']} unexpected"
                )
    return 0

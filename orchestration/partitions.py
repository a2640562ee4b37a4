"""Which day partitions a source change touches.

Run, node and error marts are keyed by their execution's start day, reviews by
decided_at, API and AI usage and log lines by created_at (METRICS.md). Extraction
records, for every changed row, the day of its new version *and* of the version it
replaces, in `meta.dirty_days`: a late completion rebuilds the day its execution
started, and a corrected start_time rebuilds both the day it left and the day it
joined. dbt then deletes and rebuilds exactly those days; publication clears them.
Tables not listed here (plans, organizations, workflows, ...) are dimensions: the
marts that read them are rebuilt whole on every run.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import duckdb

from orchestration.warehouse import META_SCHEMA, RAW_SCHEMA, run

# For each fact table: the day of a row of relation `{rows}` (aliased r), as SQL.
PARTITION_DAY_SQL: dict[str, str] = {
    # An execution's marts live on its start day, but its log lines and AI calls are
    # counted under its workflow on their own days: a changed execution dirties those
    # days too.
    "process_instance": "SELECT CAST(r.start_time AS DATE) AS day FROM {rows} r"
    + "".join(
        " UNION ALL SELECT CAST(c.created_at AS DATE) FROM {rows} r "
        f"JOIN {RAW_SCHEMA}.{child} c ON c.process_instance_id = r.id"
        for child in ("execution_log", "ai_execution_history")
    ),
    "node_instance": (
        "SELECT CAST(e.start_time AS DATE) AS day FROM {rows} r "
        f"JOIN {RAW_SCHEMA}.process_instance e ON e.id = r.process_instance_id"
    ),
    "review_task": (
        "SELECT CAST(r.decided_at AS DATE) AS day FROM {rows} r WHERE r.decided_at IS NOT NULL"
    ),
    "api_key_usage": "SELECT CAST(r.created_at AS DATE) AS day FROM {rows} r",
    "ai_execution_history": "SELECT CAST(r.created_at AS DATE) AS day FROM {rows} r",
    "execution_log": "SELECT CAST(r.created_at AS DATE) AS day FROM {rows} r",
}

DIRTY_DAYS = f"{META_SCHEMA}.dirty_days"


def mark_changed_days(
    con: duckdb.DuckDBPyConnection, table_name: str, changes: str, replaced: str
) -> None:
    """Mark the days of the rows in `changes` and of the raw versions they replace."""
    day_sql = PARTITION_DAY_SQL.get(table_name)
    if day_sql is None:
        return
    run(
        con,
        f"""INSERT INTO {DIRTY_DAYS} (day, reason)
            SELECT DISTINCT day, ? FROM (
                {day_sql.format(rows=changes)}
                UNION ALL
                {day_sql.format(rows=replaced)}
            ) WHERE day IS NOT NULL
            ON CONFLICT DO NOTHING""",
        [table_name],
    )


def mark_days(con: duckdb.DuckDBPyConnection, first: date, last: date, reason: str) -> None:
    """Mark a whole range (a backfill, or the partitions a run was launched for)."""
    run(
        con,
        f"""INSERT INTO {DIRTY_DAYS} (day, reason)
            SELECT CAST(d AS DATE), ? FROM range(CAST(? AS DATE), CAST(? AS DATE) + 1,
                                                  INTERVAL 1 DAY) t(d)
            ON CONFLICT DO NOTHING""",
        [reason, first, last],
    )


def dirty_days(con: duckdb.DuckDBPyConnection) -> list[date]:
    return [
        row[0]
        for row in con.execute(f"SELECT DISTINCT day FROM {DIRTY_DAYS} ORDER BY day").fetchall()
    ]


def clear_dirty_days(con: duckdb.DuckDBPyConnection) -> None:
    """Called by publication: every dirty day is now rebuilt, checked and visible."""
    run(con, f"DELETE FROM {DIRTY_DAYS}")


def partitions_start() -> date:
    """First day partition in Dagster (FLOWMART_PARTITIONS_START, default 2024-01-01).
    Older data is still extracted and built; only the UI's partition grid starts here."""
    return date.fromisoformat(os.environ.get("FLOWMART_PARTITIONS_START", "2024-01-01"))


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]

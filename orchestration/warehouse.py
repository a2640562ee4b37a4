"""The private working warehouse: raw history, dbt's models and the bookkeeping.

Only one process may hold a DuckDB file open for writing, and readers block writers,
so this file is never shown to analysts (see publishing.py) and every connection to it
is short-lived: it must be closed before dbt, a separate process, runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from models import SOURCE_TABLES, SourceTable

RAW_SCHEMA = "raw"
MEMORY_LIMIT = "3GB"
META_SCHEMA = "meta"


# Bookkeeping columns of every raw table: when the row was extracted, and, for a row
# that broke a rule of its contract (orchestration/quarantine.py), which rules and its
# values as the source had them.
REASON_COLUMN = "_quarantine_reason"
SOURCE_VALUES_COLUMN = "_source_values"
RAW_EXTRA_COLUMNS = (
    ("_extracted_at", "TIMESTAMP NOT NULL"),
    (REASON_COLUMN, "VARCHAR"),
    (SOURCE_VALUES_COLUMN, "VARCHAR"),
)


def raw_table_sql(table: SourceTable) -> str:
    """Raw history keeps the latest version of every source row, purged ones included."""
    columns = [f'    "{c.name}" {c.type.duckdb}' for c in table.columns]
    columns += [f"    {name} {spec}" for name, spec in RAW_EXTRA_COLUMNS]
    return f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{table.name} (\n" + ",\n".join(columns) + "\n)"


BOOKKEEPING_SQL = f"""
CREATE TABLE IF NOT EXISTS {META_SCHEMA}.watermarks (
    table_name     VARCHAR PRIMARY KEY,
    committed_at   TIMESTAMP,  -- change column reached by the last published refresh
    pending_at     TIMESTAMP,  -- reached by the last extract; committed on publish
    last_rows      BIGINT,
    last_extracted TIMESTAMP
);
CREATE TABLE IF NOT EXISTS {META_SCHEMA}.dirty_days (
    day    DATE NOT NULL,     -- a day partition to delete and rebuild
    reason VARCHAR NOT NULL,  -- the source table whose change touched it, or 'backfill'
    PRIMARY KEY (day, reason)
);
CREATE TABLE IF NOT EXISTS {META_SCHEMA}.changed_inputs (
    input VARCHAR PRIMARY KEY  -- raw.<table> whose rows changed since the last publication
);
CREATE TABLE IF NOT EXISTS {META_SCHEMA}.build_inputs (
    input     VARCHAR PRIMARY KEY, -- what the models read besides raw rows: project, clocks
    built     VARCHAR,             -- its value when the working marts were last built
    published VARCHAR              -- ... when the published marts were built
);
CREATE TABLE IF NOT EXISTS {META_SCHEMA}.rebuilt_models (
    name VARCHAR PRIMARY KEY  -- the dbt nodes the latest dbt build rebuilt
);
CREATE TABLE IF NOT EXISTS {META_SCHEMA}.publications (
    published_at TIMESTAMP NOT NULL,
    run_id       VARCHAR,
    path         VARCHAR NOT NULL,
    marts        INTEGER NOT NULL,
    rows         BIGINT NOT NULL
);
"""


def run(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> None:
    """Execute a statement to completion: DuckDB 2.0 keeps an unfetched result pending
    and then refuses other work (registering a stream) on the connection."""
    con.execute(sql, params).fetchall()


def query_one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, its result consumed (fetchone would leave it pending)."""
    rows = con.execute(sql, params).fetchall()
    return rows[0] if rows else None


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection in UTC: raw timestamps are naive UTC and must stay so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        run(con, "SET TimeZone = 'UTC'")
        # As dbt's profile: bounded memory, spilling beyond it; no order bookkeeping.
        run(con, f"SET memory_limit = '{MEMORY_LIMIT}'")
        run(con, "SET preserve_insertion_order = false")
        yield con
    finally:
        con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    run(con, f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}; CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    for table in SOURCE_TABLES:
        run(con, raw_table_sql(table))
        for name, spec in RAW_EXTRA_COLUMNS[1:]:  # warehouses built before quarantine
            run(
                con, f"ALTER TABLE {RAW_SCHEMA}.{table.name} ADD COLUMN IF NOT EXISTS {name} {spec}"
            )
    run(con, BOOKKEEPING_SQL)

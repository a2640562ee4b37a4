"""Hand-made SQLite sources for tests: the contract's DDL, rows exactly as given.

Values are written as they would sit in a platform's SQLite file (ISO-8601 text
timestamps, 0/1 booleans), so tests control every byte the extraction reads.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from models import SOURCE_TABLES, TABLES_BY_NAME


def create_sqlite_source(path: Path, rows: dict[str, list[dict]] | None = None) -> str:
    """Create every contract table at `path`, insert `rows`; returns the source URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as con:
        for table in SOURCE_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table.name}")
            con.execute(table.create_table_sql("sqlite"))
    if rows:
        insert_rows(path, rows)
    return f"sqlite:///{path}"


def insert_rows(path: Path, rows: dict[str, list[dict]]) -> None:
    with sqlite3.connect(path) as con:
        for table_name, table_rows in rows.items():
            columns = TABLES_BY_NAME[table_name].column_names
            con.executemany(
                f"INSERT OR REPLACE INTO {table_name} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})",
                [tuple(row.get(c) for c in columns) for row in table_rows],
            )


def execute(path: Path, sql: str, params: tuple = ()) -> None:
    with sqlite3.connect(path) as con:
        con.execute(sql, params)


def organization(id: str, timezone: str = "UTC", **overrides) -> dict:
    """An organization row (a workspace of the pro tier, its own billing owner)."""
    return {
        "id": id,
        "name": id,
        "tier": "pro",
        "billing_owner_id": id,
        "agency_id": None,
        "timezone": timezone,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:00Z",
        **overrides,
    }


def execution(id: str, start: str, end: str | None, state: int = 4, **overrides) -> dict:
    """A process_instance row with sensible defaults."""
    return {
        "id": id,
        "process_meta_id": "w1",
        "process_name": "Workflow 1",
        "organization_id": "o1",
        "parent_instance_id": None,
        "trigger_type": "webhook",
        "state_cd": state,
        "start_time": start,
        "end_time": end,
        "variables": None,
        "updated_at": end or start,
        **overrides,
    }


def node_run(id: str, execution_id: str, start: str, end: str | None, **overrides) -> dict:
    """A node_instance row: a completed httpRequest unless overridden."""
    return {
        "id": id,
        "process_instance_id": execution_id,
        "organization_id": "o1",
        "node_id": "http",
        "node_name": "HTTP",
        "node_type": "httpRequest",
        "status_cd": 8,
        "attempts": 1,
        "iteration": 0,
        "error_handled": 0,
        "start_time": start,
        "end_time": end,
        "error_details": None,
        "output": None,
        "updated_at": end or start,
        **overrides,
    }

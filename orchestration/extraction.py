"""Incremental extraction of one source table into the warehouse's raw history.

Each refresh reads the rows whose change column is at or after the committed watermark
(minus a safety overlap that catches rows committed late), types them per the contract,
and upserts them by primary key. Rows the source deleted stay in raw history. The new
watermark is only *pending* here; publishing commits it, so a refresh that fails after
extraction simply re-reads the same changes next time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb

from models import SourceTable
from orchestration.partitions import mark_changed_days
from orchestration.quarantine import (
    REASON_COLUMN,
    SOURCE_VALUES_COLUMN,
    any_key_null,
    checked_changes_sql,
)
from orchestration.source import SourceContractError, SourceDatabase, check_contract
from orchestration.warehouse import META_SCHEMA, RAW_SCHEMA, query_one, run


@dataclass(frozen=True)
class ExtractResult:
    table: str
    rows_read: int
    rows_inserted: int
    rows_updated: int  # existing rows whose content changed (re-read identical rows are not)
    since: datetime | None
    pending_watermark: datetime | None
    extra_columns: tuple[str, ...]


def _key_match(table: SourceTable, left: str, right: str) -> str:
    return " AND ".join(f'{left}."{k}" = {right}."{k}"' for k in table.primary_key)


def _identical(table: SourceTable, left: str, right: str) -> str:
    """Two versions of a row hold the same values (quarantine verdict included)."""
    columns = [*table.column_names, REASON_COLUMN, SOURCE_VALUES_COLUMN]
    return " AND ".join(f'{left}."{c}" IS NOT DISTINCT FROM {right}."{c}"' for c in columns)


def drop_unchanged(
    con: duckdb.DuckDBPyConnection, table: SourceTable, changes: str, replaced: str
) -> None:
    """Remove from `changes` the rows raw history already holds as they are (`replaced`:
    the raw versions of the changes' keys): the overlap re-reads rows every refresh, and
    they must neither dirty a day nor count as a change (a quiet night rebuilds nothing).
    A keyless row is the same row when its source values are (that is how it is
    replaced, too)."""
    target = f"{RAW_SCHEMA}.{table.name}"
    run(
        con,
        f"DELETE FROM {changes} c USING {replaced} r "
        f"WHERE {_key_match(table, 'c', 'r')} AND {_identical(table, 'c', 'r')}",
    )
    run(
        con,
        f"DELETE FROM {changes} c USING {target} r WHERE ({any_key_null(table, 'c')}) "
        f"AND ({any_key_null(table, 'r')}) AND r.{SOURCE_VALUES_COLUMN} = c.{SOURCE_VALUES_COLUMN}",
    )


def mark_changed_input(con: duckdb.DuckDBPyConnection, table_name: str) -> None:
    """Record that raw.<table_name> changed since the last publication: the models
    downstream of it are rebuilt (orchestration/rebuild.py); publication clears it."""
    run(
        con,
        f"INSERT INTO {META_SCHEMA}.changed_inputs VALUES (?) ON CONFLICT DO NOTHING",
        [f"{RAW_SCHEMA}.{table_name}"],
    )


def committed_watermark(con: duckdb.DuckDBPyConnection, table: SourceTable) -> datetime | None:
    row = query_one(
        con, f"SELECT committed_at FROM {META_SCHEMA}.watermarks WHERE table_name = ?", [table.name]
    )
    return row[0] if row else None


def _upsert_changes(
    table: SourceTable,
    con: duckdb.DuckDBPyConnection,
    committed: datetime | None,
    extracted_at: datetime,
) -> tuple[int, int, int, datetime | None]:
    """Type, check, deduplicate and upsert `source_changes` into raw history, in one
    transaction (bad rows are kept, quarantined: orchestration/quarantine.py)."""
    target = f"{RAW_SCHEMA}.{table.name}"
    deduplicated = checked_changes_sql(table)
    run(con, "BEGIN TRANSACTION")
    try:
        first_load = query_one(con, f"SELECT count(*) FROM (FROM {target} LIMIT 1)") == (0,)
        # A first load inserts straight into raw history: at 10M rows, staging the
        # changes in a table of their own costs seconds and memory for nothing to replace.
        changes = target if first_load else "changes"
        try:
            if first_load:
                run(con, f"INSERT INTO {target} BY NAME {deduplicated}", [extracted_at])
            else:
                run(con, f"CREATE OR REPLACE TEMP TABLE changes AS {deduplicated}", [extracted_at])
        except duckdb.ConversionException as exc:
            raise SourceContractError(f"source table {table.name}: {exc}") from exc
        rows_read, max_change = query_one(
            con, f'SELECT count(*), max("{table.change_column}") FROM {changes}'
        )
        if first_load:
            rows_inserted = rows_changed = rows_read
            mark_changed_days(con, table.name, target, f"(FROM {target} LIMIT 0)")
        else:
            # The raw versions the changes replace, found with one pass over raw history
            # (at 10M node runs, each such pass costs a good part of a second); every
            # comparison after it is between the changes and these few rows.
            run(
                con,
                f"CREATE OR REPLACE TEMP TABLE replaced AS SELECT r.* FROM {target} r "
                f"SEMI JOIN changes c ON {_key_match(table, 'r', 'c')}",
            )
            drop_unchanged(con, table, "changes", "replaced")
            (rows_changed,) = query_one(con, "SELECT count(*) FROM changes")
            (rows_inserted,) = query_one(
                con,
                f"SELECT count(*) FROM changes c ANTI JOIN replaced r "
                f"ON {_key_match(table, 'c', 'r')}",
            )
            replaced = (
                f"(SELECT r.* FROM replaced r SEMI JOIN changes c ON {_key_match(table, 'r', 'c')})"
            )
            mark_changed_days(con, table.name, "changes", replaced)
            run(con, f"DELETE FROM {target} r USING changes c WHERE {_key_match(table, 'r', 'c')}")
            # rows without a key are replaced by the same row read again, not duplicated
            run(
                con,
                f"DELETE FROM {target} r USING changes c WHERE ({any_key_null(table, 'r')}) "
                f"AND r.{SOURCE_VALUES_COLUMN} = c.{SOURCE_VALUES_COLUMN}",
            )
            run(con, f"INSERT INTO {target} BY NAME SELECT * FROM changes")
            run(con, "DROP TABLE changes; DROP TABLE replaced")
        if rows_changed:
            mark_changed_input(con, table.name)
        pending = max(filter(None, (committed, max_change)), default=None)
        run(
            con,
            f"""INSERT INTO {META_SCHEMA}.watermarks
                    (table_name, committed_at, pending_at, last_rows, last_extracted)
                VALUES (?, NULL, ?, ?, ?)
                ON CONFLICT (table_name) DO UPDATE SET pending_at = excluded.pending_at,
                    last_rows = excluded.last_rows, last_extracted = excluded.last_extracted""",
            [table.name, pending, rows_read, extracted_at],
        )
        run(con, "COMMIT")
    except BaseException:
        run(con, "ROLLBACK")
        raise
    return rows_read, rows_inserted, rows_changed, pending


def extract_table(
    table: SourceTable,
    source: SourceDatabase,
    con: duckdb.DuckDBPyConnection,
    overlap: timedelta,
    extracted_at: datetime,
) -> ExtractResult:
    extra_columns = check_contract(table, source.table_schema(table), source.kind)
    committed = committed_watermark(con, table)
    since = committed - overlap if committed is not None else None

    with source.read_changes(table, since) as changes:
        con.register("source_changes", changes)
        try:
            rows_read, rows_inserted, rows_changed, pending = _upsert_changes(
                table, con, committed, extracted_at
            )
        finally:
            con.unregister("source_changes")
    return ExtractResult(
        table=table.name,
        rows_read=rows_read,
        rows_inserted=rows_inserted,
        rows_updated=rows_changed - rows_inserted,
        since=since,
        pending_watermark=pending,
        extra_columns=tuple(extra_columns),
    )


def commit_watermarks(con: duckdb.DuckDBPyConnection) -> None:
    """Called by publishing: what was extracted is now visible to analysts."""
    run(
        con,
        f"UPDATE {META_SCHEMA}.watermarks SET committed_at = pending_at "
        "WHERE pending_at IS NOT NULL",
    )

"""Load source frames into a database laid out exactly as the platform's contract says.

The pipeline extracts from SQLite (the embedded demo source) or PostgreSQL (production);
writing demo data through the contract's own DDL and type mapping keeps those sources
honest. Rows go in with ADBC bulk ingestion (SQLite: prepared inserts in one transaction;
PostgreSQL: COPY), streamed in slices so a 10 M-row table never exists twice in memory,
and in primary-key order: appending to the key's B-tree instead of inserting at random
places makes SQLite's ingestion three times faster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import adbc_driver_postgresql.dbapi
import adbc_driver_sqlite.dbapi
import polars as pl
import pyarrow as pa
from adbc_driver_manager.dbapi import Connection

from models import SOURCE_TABLES, LogicalType, SourceTable
from orchestration.source_url import parse_source_url, redacted_errors

SLICE_ROWS = 500_000
SQLITE_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%.3fZ"  # ISO-8601 UTC, millisecond precision

ArrowConverter = Callable[[SourceTable, pl.DataFrame], pa.Table]


def write_source(
    frames: dict[str, pl.DataFrame], url: str, *, replace: bool = True
) -> dict[str, int]:
    """(Re)create the tables of `frames` at `url` and load them; rows written per table.

    Existing tables of those names are dropped first, unless `replace` is False: then the
    rows are appended to the existing tables (new source changes, for tests and
    benchmarks of incremental refreshes). `url` is `sqlite:///path` or
    `postgresql://user:password@host:port/database` (see `parse_source_url`).
    """
    unknown = set(frames) - {t.name for t in SOURCE_TABLES}
    if unknown:
        raise ValueError(f"not source tables of the contract: {sorted(unknown)}")
    tables = [t for t in SOURCE_TABLES if t.name in frames]
    location = parse_source_url(url)
    if location.kind == "sqlite":
        path = Path(location.target)
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = adbc_driver_sqlite.dbapi.connect(str(path))
        return _load(connection, "sqlite", _sqlite_arrow, tables, frames, replace)
    with redacted_errors(url):  # libpq quotes the parts of a URL it cannot parse
        connection = adbc_driver_postgresql.dbapi.connect(location.target)
        return _load(connection, "postgres", _postgres_arrow, tables, frames, replace)


def _load(
    connection: Connection,
    dialect: str,
    to_arrow: ArrowConverter,
    tables: list[SourceTable],
    frames: dict[str, pl.DataFrame],
    replace: bool,
) -> dict[str, int]:
    """(Re)create and fill every table in one transaction: all or nothing."""
    written = {}
    with connection, connection.cursor() as cursor:
        for table in tables:
            frame = frames[table.name]
            if replace:
                cursor.execute(f"DROP TABLE IF EXISTS {table.name}")
                cursor.execute(table.create_table_sql(dialect))
            reader = _arrow_stream(table, frame, to_arrow)
            reported = cursor.adbc_ingest(table.name, reader, mode="append")
            written[table.name] = reported if reported >= 0 else frame.height
            # A platform that feeds an incremental pipeline indexes its change columns
            # (flowmart's README recommends it); built after the load, which is faster.
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {table.name}_{table.change_column}_idx "
                f"ON {table.name} ({table.change_column})"
            )
        if dialect == "postgres":
            # Fresh statistics, as autovacuum keeps them on a live server: without them
            # the planner scans a whole table for a refresh's few changed rows.
            cursor.execute("ANALYZE " + ", ".join(table.name for table in tables))
        connection.commit()
    return written


def _arrow_stream(
    table: SourceTable, frame: pl.DataFrame, to_arrow: ArrowConverter
) -> pa.RecordBatchReader:
    """The frame in key order as Arrow batches, converted a slice at a time as the driver reads."""
    frame = frame.select(table.column_names)
    schema = to_arrow(table, frame.head(0)).schema
    order = frame.select(pl.arg_sort_by(table.primary_key)).to_series()

    def batches() -> Iterator[pa.RecordBatch]:
        for first in range(0, frame.height, SLICE_ROWS):
            piece = frame[order.slice(first, SLICE_ROWS)]
            yield from to_arrow(table, piece).to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())


def _plain_arrow(frame: pl.DataFrame) -> pa.Table:
    # Classic (large_)string arrays: the drivers do not read Arrow string views.
    return frame.to_arrow(compat_level=pl.CompatLevel.oldest())


def _sqlite_arrow(table: SourceTable, frame: pl.DataFrame) -> pa.Table:
    """SQLite's spelling of the contract: ISO-8601 UTC text, 'YYYY-MM-DD', 0/1, JSON text."""
    conversions = {
        LogicalType.TIMESTAMP: lambda c: pl.col(c).dt.strftime(SQLITE_TIMESTAMP_FORMAT),
        LogicalType.DATE: lambda c: pl.col(c).dt.strftime("%Y-%m-%d"),
        LogicalType.BOOLEAN: lambda c: pl.col(c).cast(pl.Int64),
    }
    exprs = [conversions[c.type](c.name) for c in table.columns if c.type in conversions]
    return _plain_arrow(frame.with_columns(exprs) if exprs else frame)


def _postgres_arrow(table: SourceTable, frame: pl.DataFrame) -> pa.Table:
    """Arrow types COPY maps onto the contract's PostgreSQL types.

    JSON text is tagged with Arrow's JSON extension type: the driver then writes JSONB's
    binary format, which plain strings would not match.
    """
    arrow = _plain_arrow(frame)
    for column in table.columns:
        if column.type is LogicalType.JSON:
            index = arrow.schema.get_field_index(column.name)
            arrow = arrow.set_column(index, column.name, _json_array(arrow.column(index)))
    return arrow


def _json_array(text: pa.ChunkedArray) -> pa.ChunkedArray:
    json_type = pa.json_(text.type)
    return pa.chunked_array(
        [pa.ExtensionArray.from_storage(json_type, chunk) for chunk in text.chunks], json_type
    )

"""An engine's database read as a contract source: what extraction sees of n8n, Airflow,
Dagster or Prefect (orchestration/engines/mapping.py says how)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import duckdb
import pyarrow as pa

from models import SourceTable
from orchestration.engines.mapping import Engine, EngineTable
from orchestration.source import SourceContractError, SourceDatabase, open_source

# DuckDB macros every mapping may use. Engines write times as text in formats of their
# own (SQLite) or as timestamptz (PostgreSQL, read as text with its offset): `ts` reads
# both, a time without an offset being UTC (the session's zone); `iso` writes the
# contract's text form. `log_level`: a Python logging level number as the contract's
# level (a value that is no number stays as it is, and is quarantined).
_MACROS = """
    SET TimeZone = 'UTC';
    CREATE MACRO ts(value) AS TRY_CAST(value AS TIMESTAMPTZ);
    CREATE MACRO iso(value) AS strftime(ts(value), '%Y-%m-%dT%H:%M:%S.%fZ');
    CREATE MACRO log_level(value) AS CASE
        WHEN TRY_CAST(value AS INTEGER) >= 40 THEN 'ERROR'
        WHEN TRY_CAST(value AS INTEGER) >= 30 THEN 'WARN'
        WHEN TRY_CAST(value AS INTEGER) >= 20 THEN 'INFO'
        WHEN TRY_CAST(value AS INTEGER) >= 0 THEN 'DEBUG'
        ELSE CAST(value AS VARCHAR) END;
"""


def _empty_table_sql(table: SourceTable) -> str:
    return (
        "SELECT "
        + ", ".join(f'CAST(NULL AS {c.type.duckdb}) AS "{c.name}"' for c in table.columns)
        + " WHERE false"
    )


class EngineSource:
    """Reads `engine`'s own tables through `database` and maps them to contract rows:
    the same interface as SourceDatabase, for extraction."""

    def __init__(self, database: SourceDatabase, engine: Engine, tables: dict[str, set[str]]):
        """`tables`: the database's catalog (table -> its columns), as the caller read it
        to tell the kind, so that it is read once."""
        self.database = database
        self.engine = engine
        self.kind = database.kind
        self._tables = tables
        self._check_tables()

    def __repr__(self) -> str:
        return f"EngineSource({self.engine.kind}, {self.database!r})"

    def close(self) -> None:
        self.database.close()

    def _check_tables(self) -> None:
        """Every table and column the mappings read exists: otherwise this database is
        of another version of the engine, and the error says what it lacks."""
        for table, columns in self.engine.required(self.database.path is not None).items():
            found = self._tables.get(table.lower())
            if found is None:
                raise SourceContractError(
                    f"{self.engine.label} database: table {table!r} is missing "
                    f"(is this a {self.engine.label} metadata database, of a supported version?)"
                )
            missing = [c for c in columns if c.lower() not in found]
            if missing:
                raise SourceContractError(
                    f"{self.engine.label} database: table {table!r} has no column "
                    f"{', '.join(repr(c) for c in missing)} (an unsupported "
                    f"{self.engine.label} version?)"
                )

    def table_schema(self, table: SourceTable) -> pa.Schema:
        """The contract's own schema: the mapping selects exactly its columns."""
        with duckdb.connect() as con:
            return con.sql(_empty_table_sql(table)).to_arrow_table().schema

    def _read(self, read: EngineTable, since: datetime | None) -> pa.Table:
        rows = self._read_rows(read, since)
        return read.transform(rows) if read.transform else rows

    def _read_rows(self, read: EngineTable, since: datetime | None) -> pa.Table:
        """`read`'s rows as text (NULL for the optional columns this version lacks)."""
        present = self._tables.get(read.name.lower())
        if present is None and read.per_run_files and self.database.path:
            return self._read_per_run_files(read, since)
        wanted = [*read.columns, *(c for c in read.optional_columns if c.lower() in present)]
        where = self._changed(read, since) if since is not None else ""
        where = " AND ".join(f"({w})" for w in (where, read.where) if w)
        rows = self.database.read_text_rows(read.name, wanted, where)
        for column in read.optional_columns:
            if column not in rows.column_names:
                rows = rows.append_column(column, pa.nulls(rows.num_rows, pa.string()))
        return rows

    def _read_per_run_files(self, read: EngineTable, since: datetime | None) -> pa.Table:
        """`read`'s rows from the file of each run of `read.referenced_by` (changed since
        `since`): a run without a file has no rows."""
        _, runs, run_column = read.referenced_by
        where = self._changed(runs, since) if since is not None else ""
        run_ids = self.database.read_text_rows(runs.name, (run_column,), where)
        folder = self.database.path.parent / read.per_run_files
        pieces = [pa.table({c: pa.array([], pa.string()) for c in read.columns})]
        for run_id in run_ids.column(0).to_pylist():
            path = folder / f"{run_id}.db"
            if run_id and "/" not in run_id and path.is_file():
                with open_source(f"sqlite:///{path}") as run_file:
                    pieces.append(run_file.read_text_rows(read.name, read.columns, read.where))
        return pa.concat_tables(pieces)

    def _changed(self, read: EngineTable, since: datetime) -> str:
        """The SQL condition of `read`'s rows to read again ('' for all of them)."""
        if read.referenced_by:
            column, other, other_column = read.referenced_by
            within = self._changed(other, since)
            where = f" WHERE {within}" if within else ""
            return f'"{column}" IN (SELECT "{other_column}" FROM "{other.name}"{where})'
        changed = [self.database.changed_since(f'"{c}"', since) for c in read.changed]
        changed += [f'"{c}" IS NULL' for c in read.unfinished]
        return " OR ".join(changed)

    @contextmanager
    def read_changes(
        self, table: SourceTable, since: datetime | None
    ) -> Iterator[pa.RecordBatchReader]:
        """The contract rows of `table` made from the engine rows changed since `since`
        (all of them when None); none for a table the engine does not have."""
        mapping = self.engine.mappings.get(table.name)
        with duckdb.connect() as con:
            con.execute(_MACROS)
            if mapping is None:
                rows = con.sql(_empty_table_sql(table)).to_arrow_table()
            else:
                for read in mapping.reads:
                    con.register(read.view, self._read(read, since))
                try:
                    rows = con.sql(mapping.sql).to_arrow_table()
                except duckdb.Error as exc:
                    raise SourceContractError(
                        f"{self.engine.label} database: the rows of its tables "
                        f"{', '.join(r.name for r in mapping.reads)} cannot be mapped to "
                        f"{table.name}: {exc}"
                    ) from None
            names = [c.name for c in table.columns]
            if rows.column_names != names:
                raise SourceContractError(
                    f"{self.engine.label} mapping of {table.name} selects {rows.column_names}, "
                    f"not the contract's columns {names}"
                )
        yield pa.RecordBatchReader.from_batches(rows.schema, rows.to_batches())

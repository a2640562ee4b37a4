"""Reading the platform's database over ADBC (SQLite or PostgreSQL) as Arrow batches.

DuckDB's own postgres/sqlite extensions cannot be installed offline, and ADBC is the
fastest path here anyway: Arrow-native, streaming, with bound parameters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa

from models import LogicalType, SourceTable
from orchestration.source_url import display_url, parse_source_url, redact, redacted_errors


class SourceContractError(RuntimeError):
    """The source database does not match `models/` (missing table/column, wrong type)."""


class SourceUnavailableError(RuntimeError):
    """The source database cannot be connected to (down, unknown, refused the login) or
    read from (a table the driver fails to read, the connection lost mid-extraction)."""


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


# Which Arrow types a source column may arrive as, per logical type and source kind.
# SQLite stores timestamps, dates and JSON as text and booleans as integers (contract).
_ACCEPTS = {
    LogicalType.TEXT: lambda t, kind: _is_text(t),
    LogicalType.SMALLINT: lambda t, kind: pa.types.is_integer(t),
    LogicalType.INTEGER: lambda t, kind: pa.types.is_integer(t),
    LogicalType.BIGINT: lambda t, kind: pa.types.is_integer(t),
    LogicalType.DOUBLE: lambda t, kind: pa.types.is_floating(t) or pa.types.is_decimal(t),
    LogicalType.BOOLEAN: lambda t, kind: (
        pa.types.is_boolean(t) or (kind == "sqlite" and pa.types.is_integer(t))
    ),
    LogicalType.TIMESTAMP: lambda t, kind: (
        pa.types.is_timestamp(t) or (kind == "sqlite" and _is_text(t))
    ),
    LogicalType.DATE: lambda t, kind: pa.types.is_date(t) or (kind == "sqlite" and _is_text(t)),
    LogicalType.JSON: lambda t, kind: (
        _is_text(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or isinstance(t, pa.BaseExtensionType)
    ),
}


def _sqlite_affinity(declared: str) -> pa.DataType:
    """SQLite's type affinity rules; date/time declarations hold ISO text in practice."""
    declared = declared.upper()
    if "INT" in declared:
        return pa.int64()
    if any(word in declared for word in ("CHAR", "CLOB", "TEXT", "DATE", "TIME", "JSON")):
        return pa.string()
    if any(word in declared for word in ("REAL", "FLOA", "DOUB")):
        return pa.float64()
    if declared in ("", "BLOB"):
        return pa.binary()
    return pa.decimal128(38, 10)  # NUMERIC affinity


def check_contract(table: SourceTable, schema: pa.Schema, kind: str) -> list[str]:
    """Raise on a missing column or a wrong type; return the extra columns (ignored)."""
    found = {f.name.lower(): f.type for f in schema}
    for column in table.columns:
        arrow_type = found.get(column.name)
        if arrow_type is None:
            raise SourceContractError(
                f"source table {table.name}: missing column {column.name!r} "
                f"(expected {column.type.name.lower()})"
            )
        if not pa.types.is_null(arrow_type) and not _ACCEPTS[column.type](arrow_type, kind):
            raise SourceContractError(
                f"source table {table.name}: column {column.name!r} has type {arrow_type}, "
                f"expected {column.type.name.lower()}"
            )
    return sorted(set(found) - set(table.column_names))


class SourceDatabase:
    """One open connection to the platform's database.

    No error raised here shows the URL's password: the drivers' messages (libpq quotes
    the parts of a URL it cannot parse) go through `redact`. They are not chained either:
    the message says it all, the table and the masked source included, and is what the
    CLI shows (it prints the innermost error of a failed step).
    """

    def __init__(self, url: str):
        self._url = url
        self.kind, target = parse_source_url(url)
        self.path = Path(target) if self.kind == "sqlite" else None  # a SQLite file's
        if self.kind == "sqlite":
            import adbc_driver_sqlite.dbapi as driver
        else:
            import adbc_driver_postgresql.dbapi as driver
        try:
            self._conn = driver.connect(target)
        except Exception as exc:  # the driver's message may quote the URL: not chained
            raise SourceUnavailableError(
                f"cannot connect to the source {display_url(url)}: {redact(str(exc).strip(), url)}"
            ) from None

    def __repr__(self) -> str:
        return f"SourceDatabase({display_url(self._url)!r})"

    def close(self) -> None:
        with redacted_errors(self._url):
            self._conn.close()

    def table_schema(self, table: SourceTable) -> pa.Schema:
        """The declared column types (SQLite's driver would infer them from the rows)."""
        with redacted_errors(self._url):
            return self._table_schema(table)

    def _connection_lost(self) -> bool:
        """Asked after a statement failed: does the source still answer? A server that
        went away (shut down, crashed, network cut) fails every statement from then on."""
        try:
            self._conn.rollback()  # a failed statement aborts PostgreSQL's transaction
            with closing(self._conn.cursor()) as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchall()
        except Exception:
            return True
        return False

    def _read_error(self, table: str, exc: Exception, lost: bool) -> SourceUnavailableError:
        """What to raise when reading `table` failed with `exc` (`lost`: the connection)."""
        detail = " ".join(redact(str(exc), self._url).split())  # libpq's text spans lines
        if lost:
            return SourceUnavailableError(
                f"lost the connection to the source {display_url(self._url)} while reading "
                f"table {table}: {detail}"
            )
        return SourceUnavailableError(
            f"cannot read table {table} of the source {display_url(self._url)}: {detail}"
        )

    def _table_schema(self, table: SourceTable) -> pa.Schema:
        try:
            if self.kind == "sqlite":
                cursor = self._conn.cursor()
                cursor.execute(f"PRAGMA table_info('{table.name}')")
                declared = [(row[1], _sqlite_affinity(row[2])) for row in cursor.fetchall()]
                cursor.close()
                if not declared:
                    raise LookupError("no such table")
                return pa.schema(declared)
            return self._conn.adbc_get_table_schema(table.name)
        except Exception as exc:  # the drivers raise their own error classes
            if self._connection_lost():
                raise self._read_error(table.name, exc, lost=True) from None
            raise SourceContractError(
                f"source table {table.name} cannot be read: {redact(str(exc), self._url)}"
            ) from None

    def _query(self, table: SourceTable) -> str:
        if self.kind != "sqlite":
            return f"SELECT {self._select_list(table)} FROM {table.name}"
        return self._probed_select(table.column_names, self._select_list(table), table.name)

    @staticmethod
    def _probed_select(names: Sequence[str], select_list: str, from_sql: str) -> str:
        """A SQLite SELECT of text columns that the driver cannot mistype: it types each
        column from the first batch it reads, so a column NULL in every row of that batch
        becomes INT64 and the first text after it fails the read. One leading row of empty
        strings makes every column text; _without_type_probe drops it again."""
        probe = ", ".join(f"'' AS \"{name}\"" for name in names)
        return (
            f'SELECT {probe}, 1 AS "{TYPE_PROBE}" UNION ALL SELECT {select_list}, 0 FROM {from_sql}'
        )

    def _select_list(self, table: SourceTable) -> str:
        # SQLite columns are read as text and typed in DuckDB, so one strict cast decides
        # what is valid for both sources; PostgreSQL JSONB arrives as text the same way.
        if self.kind == "sqlite":
            return ", ".join(f'CAST("{c}" AS TEXT) AS "{c}"' for c in table.column_names)
        return ", ".join(
            f'"{c.name}"::text AS "{c.name}"' if c.type is LogicalType.JSON else f'"{c.name}"'
            for c in table.columns
        )

    @staticmethod
    def _seqscan(since: datetime | None) -> str:
        """PostgreSQL's planner setting for a read of this connection (its own session).
        An incremental read is a thin slice of a table that only grows; once the
        statistics know the slice (autovacuum analyzes a day's rows), PostgreSQL reads it
        by a parallel scan of the whole table: 385k of 11M node runs took 1.9 s server
        time against 0.5 s through the change column's index. Steering it to the index
        keeps the read proportional to the change; a table without one is still scanned.
        A full read (the first) scans, as it should."""
        return "off" if since is not None else "on"

    # What an engine adapter (orchestration/engines/) reads: the engine's own tables, every
    # column as text, typed by the adapter's mapping in DuckDB.

    def table_columns(self) -> dict[str, set[str]]:
        """Every table and view of the database (PostgreSQL: of the current schema) with
        its column names, lower-cased: what an adapter checks and kinds are told by."""
        if self.kind == "sqlite":
            query = (
                "SELECT lower(m.name), lower(p.name) FROM sqlite_master m "
                "JOIN pragma_table_info(m.name) p WHERE m.type IN ('table', 'view')"
            )
        else:
            query = (
                "SELECT lower(table_name), lower(column_name) FROM information_schema.columns "
                "WHERE table_schema = current_schema()"
            )
        found: dict[str, set[str]] = {}
        with redacted_errors(self._url), closing(self._conn.cursor()) as cursor:
            try:
                cursor.execute(query)
                rows = cursor.fetchall()
            except Exception as exc:
                raise self._read_error("(the catalog)", exc, self._connection_lost()) from None
        for table, column in rows:
            found.setdefault(table, set()).add(column)
        return found

    def changed_since(self, column: str, since: datetime) -> str:
        """SQL: `column` (a time the engine wrote, in UTC) is at or after `since`.
        SQLite engines store times as text in formats of their own ('2026-03-01
        12:00:00.123456', with a T, a Z or an offset): datetime() reads them all and
        compares to the second, so the bound is the second before."""
        if self.kind == "sqlite":
            bound = (since - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
            return f"datetime({column}) >= '{bound}'"
        # our own datetime, formatted here; the session's time zone is UTC (read_text_rows)
        return f"{column} >= TIMESTAMPTZ '{since.isoformat(sep=' ')}+00:00'"

    def read_text_rows(self, table: str, columns: Sequence[str], where: str = "") -> pa.Table:
        """The rows of `table` where `where` holds, each of `columns` as text (PostgreSQL
        writes times with their offset, in the session's UTC). Names are quoted as given:
        engines on PostgreSQL have camelCase ones (n8n's "startedAt")."""
        from_sql = f'"{table}"'
        select_list = ", ".join(f'CAST("{c}" AS TEXT) AS "{c}"' for c in columns)
        condition = f" WHERE {where}" if where else ""
        if self.kind == "sqlite":
            query = self._probed_select(columns, select_list, from_sql + condition)
        else:
            query = f"SELECT {select_list} FROM {from_sql}{condition}"
        with redacted_errors(self._url), closing(self._conn.cursor()) as cursor:
            try:
                if self.kind != "sqlite":
                    cursor.execute("SET TIME ZONE 'UTC'")
                cursor.execute(query)
                reader = cursor.fetch_record_batch()
                if self.kind == "sqlite":
                    reader = _without_type_probe(reader)
                return reader.read_all()
            except Exception as exc:
                raise self._read_error(table, exc, self._connection_lost()) from None

    @contextmanager
    def read_changes(
        self, table: SourceTable, since: datetime | None
    ) -> Iterator[pa.RecordBatchReader]:
        """Every row whose change column is at or after `since` (all rows when None),
        streamed: the batches are valid while the context is open. Errors raised while
        they are read, by the driver or by their reader (DuckDB), are redacted too, and
        when the source stopped answering they become a SourceUnavailableError that
        names the table and the source."""
        query = self._query(table)
        params: tuple = ()
        if since is not None:
            if self.kind == "sqlite":
                # ISO-8601 text compares in time order to the second whatever its suffix
                # ('.123Z', 'Z', '+00:00'), so compare against the second before.
                bound = (since - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
                query += f' WHERE "{table.change_column}" >= ?'
                params = (bound,)
            else:
                # A literal, not a bound parameter: libpq's driver streams a parameterless
                # query with COPY, a bound one as a single result set, which took twice
                # as long (385k node runs: 1.95 s against 0.99 s). The value is our own
                # datetime, formatted here, never text from outside.
                query += (
                    f' WHERE "{table.change_column}" >= '
                    f"TIMESTAMPTZ '{since.isoformat(sep=' ')}+00:00'"
                )
        with redacted_errors(self._url):
            cursor = self._conn.cursor()
            try:
                try:
                    if self.kind != "sqlite":
                        cursor.execute(f"SET enable_seqscan = {self._seqscan(since)}")
                    cursor.execute(query, params)
                    batches = cursor.fetch_record_batch()
                    if self.kind == "sqlite":
                        batches = _without_type_probe(batches)
                except Exception as exc:
                    raise self._read_error(table.name, exc, self._connection_lost()) from None
                try:
                    yield batches
                except Exception as exc:  # the reader's own error, or the stream's
                    with suppress(Exception):
                        cursor.close()  # ends the stream: the connection can be probed
                    if self._connection_lost():
                        raise self._read_error(table.name, exc, lost=True) from None
                    raise
            finally:
                cursor.close()


TYPE_PROBE = "__flowmart_type_probe"


def _without_type_probe(reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """The SQLite rows without the leading type-probe row and column (see _query)."""
    schema = reader.schema.remove(reader.schema.get_field_index(TYPE_PROBE))

    def batches() -> Iterator[pa.RecordBatch]:
        first = True
        for batch in reader:
            if first and batch.num_rows:
                if batch.column(TYPE_PROBE)[0].as_py() != 1:
                    raise RuntimeError("the SQLite driver did not return the type probe first")
                batch, first = batch.slice(1), False
            yield batch.drop_columns([TYPE_PROBE])

    return pa.RecordBatchReader.from_batches(schema, batches())


@contextmanager
def open_source(url: str) -> Iterator[SourceDatabase]:
    source = SourceDatabase(url)
    try:
        yield source
    finally:
        source.close()

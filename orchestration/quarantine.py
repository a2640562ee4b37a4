"""Row-level validation of extracted rows: what a bad source row is, and where it goes.

Every rule comes from the table's contract in `models/` (types, nullability, known
codes, bounds, JSON, IANA time zones, ordered times, the primary key), so the rules,
the dbt sources and the GE suites of raw tables cannot drift apart. A row that breaks
any rule is still written to raw history, with every rule it broke in
`_quarantine_reason` and its values exactly as the source had them (JSON, in
`_source_values`): nothing vanishes, and a corrected version of the row replaces it
at the next refresh like any update. Staging reads only rows without a reason, so the
marts exclude quarantined rows; `quarantine_rows()` lists them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import duckdb

from models import Column, LogicalType, SourceTable
from orchestration.warehouse import (
    META_SCHEMA,
    RAW_SCHEMA,
    REASON_COLUMN,
    SOURCE_VALUES_COLUMN,
    query_one,
)

_TEXT_TYPES = (LogicalType.TEXT, LogicalType.JSON)


def typed_value_sql(column: Column, source: str) -> str:
    """`source` (a native value or text) in the column's warehouse type; NULL when it
    cannot be converted (the rule `unparseable` then names the column)."""
    if column.type is LogicalType.TIMESTAMP:
        return f"TRY_CAST({source} AS TIMESTAMPTZ) AT TIME ZONE 'UTC'"
    return f"TRY_CAST({source} AS {column.type.duckdb})"


def column_rules(table: SourceTable, column: Column, source: str) -> list[tuple[str, str]]:
    """(condition, rule) pairs for one column: `column.name` is the typed value, `source`
    the value as read."""
    typed = f'"{column.name}"'
    rules = []
    if not column.nullable:
        kind = "null_key" if column.name in table.primary_key else "null_value"
        rules.append((f"{source} IS NULL", f"{kind}({column.name})"))
    if column.type not in _TEXT_TYPES:
        rules.append((f"{source} IS NOT NULL AND {typed} IS NULL", f"unparseable({column.name})"))
    rules += [(condition, rule) for rule, condition in column.value_rules(typed)]
    return rules


def row_rules(table: SourceTable) -> list[tuple[str, str]]:
    """Every (condition, rule) of a row of `table`, over the columns of `typed_rows_sql`."""
    rules = [
        rule
        for column in table.columns
        for rule in column_rules(table, column, f'_source_row."{column.name}"')
    ]
    for earlier, later in table.ordered:
        rules.append((f'"{later}" < "{earlier}"', f"{later}_before_{earlier}"))
    return rules


def any_key_null(table: SourceTable, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return " OR ".join(f'{prefix}"{k}" IS NULL' for k in table.primary_key)


def checked_changes_sql(table: SourceTable, source: str = "source_changes") -> str:
    """The rows of `source`, typed, deduplicated by key, with their quarantine reasons.

    Of the versions of a key read together, the one with the latest change column is
    kept (the others are older versions, re-read by the overlap). Several distinct rows
    sharing a key and that latest change are ambiguous: all of them are quarantined as
    `duplicate_key`. Rows with a NULL key cannot be deduplicated and are all kept
    (quarantined). The query takes one parameter: the extraction time.
    """
    keys = ", ".join(f'"{k}"' for k in table.primary_key)
    read = {c.name: f'{source}."{c.name}"' for c in table.columns}
    typed = ", ".join(f'{typed_value_sql(c, read[c.name])} AS "{c.name}"' for c in table.columns)
    source_row = ", ".join(f'"{c.name}" := {read[c.name]}' for c in table.columns)
    reasons = ", ".join(f"CASE WHEN {cond} THEN '{rule}' END" for cond, rule in row_rules(table))
    by_key = f'PARTITION BY {keys} ORDER BY "{table.change_column}" DESC'
    duplicate = f"_tied > 1 AND NOT ({any_key_null(table)})"
    return f"""
        WITH typed AS (
            SELECT {typed}, struct_pack({source_row}) AS _source_row FROM {source}
        ),
        ranked AS (
            SELECT *,
                concat_ws('; ', {reasons}) AS _reasons,
                rank() OVER ({by_key}) AS _rank,
                count(*) OVER ({by_key} RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                    AS _tied
            FROM typed
        )
        SELECT * EXCLUDE (_source_row, _reasons, _rank, _tied),
            nullif(concat_ws('; ', nullif(_reasons, ''),
                             CASE WHEN {duplicate} THEN 'duplicate_key' END), '')
                AS {REASON_COLUMN},
            CASE WHEN _reasons <> '' OR {duplicate}
                 THEN CAST(to_json(_source_row) AS VARCHAR) END AS {SOURCE_VALUES_COLUMN},
            CAST(? AS TIMESTAMP) AS _extracted_at
        FROM ranked
        WHERE _rank = 1 OR {any_key_null(table)}
    """


@dataclass(frozen=True)
class QuarantineRate:
    table: str
    rows: int  # rows of the table's latest extraction batch
    quarantined: int  # of which broke a rule

    @property
    def rate(self) -> float:
        return self.quarantined / self.rows if self.rows else 0.0


@dataclass(frozen=True)
class QuarantineLimits:
    """FLOWMART_QUARANTINE_MAX_RATE (default 0.05): the share of a table's extraction
    batch that may be quarantined before the gate fails; FLOWMART_QUARANTINE_MIN_ROWS
    (default 1000): smaller batches are not judged by their rate (three bad rows out of
    ten say little), though each bad row is still quarantined."""

    max_rate: float
    min_rows: int

    @classmethod
    def from_environment(cls) -> QuarantineLimits:
        return cls(
            max_rate=float(os.environ.get("FLOWMART_QUARANTINE_MAX_RATE", "0.05")),
            min_rows=int(os.environ.get("FLOWMART_QUARANTINE_MIN_ROWS", "1000")),
        )

    def exceeded_by(self, rate: QuarantineRate) -> bool:
        return rate.rows >= self.min_rows and rate.rate > self.max_rate


def latest_batch_rates(con: duckdb.DuckDBPyConnection, table: SourceTable) -> QuarantineRate:
    """Quarantined rows of the table's latest extraction batch (the rows it wrote)."""
    rows, quarantined = query_one(
        con,
        f"""SELECT count(*), count({REASON_COLUMN}) FROM {RAW_SCHEMA}.{table.name}
            WHERE _extracted_at = (SELECT last_extracted FROM {META_SCHEMA}.watermarks
                                   WHERE table_name = ?)""",
        [table.name],
    )
    return QuarantineRate(table.name, rows, quarantined)

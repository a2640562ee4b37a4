"""The vocabulary of a source-table contract.

A contract says what flowmart reads from the platform's database: the columns and
their logical types, the primary key, and the column that tracks changes. Every
consumer (extraction, the demo generator, the dbt sources, the drift tests) derives
what it needs from these objects instead of restating table layouts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class LogicalType(Enum):
    """A column type as the platform defines it, with its spelling per engine."""

    #            (PostgreSQL,          SQLite,    DuckDB (raw history))
    TEXT = ("TEXT", "TEXT", "VARCHAR")
    SMALLINT = ("SMALLINT", "INTEGER", "SMALLINT")
    INTEGER = ("INTEGER", "INTEGER", "INTEGER")
    BIGINT = ("BIGINT", "INTEGER", "BIGINT")
    DOUBLE = ("DOUBLE PRECISION", "REAL", "DOUBLE")
    BOOLEAN = ("BOOLEAN", "INTEGER", "BOOLEAN")
    TIMESTAMP = ("TIMESTAMPTZ", "TEXT", "TIMESTAMP")  # always UTC; naive UTC in DuckDB
    DATE = ("DATE", "TEXT", "DATE")
    JSON = ("JSONB", "TEXT", "VARCHAR")  # kept as text; parsed where a model needs it

    @property
    def postgres(self) -> str:
        return self.value[0]

    @property
    def sqlite(self) -> str:
        return self.value[1]

    @property
    def duckdb(self) -> str:
        return self.value[2]


@dataclass(frozen=True)
class Column:
    """A source column and what a valid value of it is.

    Beyond its type and nullability: `allowed` lists the only values the platform
    defines (state codes, levels), `min_value`/`max_value` bound numbers, and
    `iana_timezone` asks for a time zone name the tz database knows. A JSON column must
    hold valid JSON. A row breaking any of these is quarantined, not loaded.
    """

    name: str
    type: LogicalType
    nullable: bool = False
    description: str = ""
    allowed: tuple[str | int, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    iana_timezone: bool = False

    def value_rules(self, value: str) -> list[tuple[str, str]]:
        """(rule, SQL condition true when `value` breaks it) for every rule on this
        column's (typed, non-NULL) value; extraction quarantines by them and the raw GE
        suites re-check them."""
        rules = []
        if self.allowed:
            listed = ", ".join(
                str(v) if isinstance(v, int) else "'" + v.replace("'", "''") + "'"
                for v in self.allowed
            )
            rules.append((f"unknown_value({self.name})", f"{value} NOT IN ({listed})"))
        if self.min_value is not None:
            rules.append((f"below_min({self.name})", f"{value} < {self.min_value}"))
        if self.max_value is not None:
            rules.append((f"above_max({self.name})", f"{value} > {self.max_value}"))
        if self.type is LogicalType.JSON:
            rules.append((f"invalid_json({self.name})", f"NOT json_valid({value})"))
        if self.iana_timezone:
            rules.append(
                (
                    f"unknown_timezone({self.name})",
                    f"{value} NOT IN (SELECT name FROM pg_timezone_names())",
                )
            )
        return rules


@dataclass(frozen=True)
class SourceTable:
    """One table of the platform's operational database.

    change_column: the column extraction filters on to pick up every change since the
        last watermark (updated_at, or created_at for append-only tables).
    append_only: rows are never updated, so extraction re-reads a safety overlap
        before the watermark and deduplicates by key.
    purged: the platform hard-deletes old rows (retention); the warehouse keeps them.
    ordered: (earlier, later) column pairs: a row whose later time is before its
        earlier one (an end before its start) is quarantined.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    change_column: str
    append_only: bool = False
    purged: bool = False
    ordered: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        names = self.column_names
        referenced = (*self.primary_key, self.change_column, *(c for p in self.ordered for c in p))
        missing = [c for c in referenced if c not in names]
        if missing:
            raise ValueError(f"{self.name}: key or change column not among columns: {missing}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def create_table_sql(self, dialect: str) -> str:
        """DDL for this table as the platform has it, in 'postgres' or 'sqlite'."""
        lines = [
            f"    {c.name} {getattr(c.type, dialect)}{'' if c.nullable else ' NOT NULL'}"
            for c in self.columns
        ]
        lines.append(f"    PRIMARY KEY ({', '.join(self.primary_key)})")
        return f"CREATE TABLE {self.name} (\n" + ",\n".join(lines) + "\n)"

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

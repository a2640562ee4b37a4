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
    name: str
    type: LogicalType
    nullable: bool = False
    description: str = ""


@dataclass(frozen=True)
class SourceTable:
    """One table of the platform's operational database.

    change_column: the column extraction filters on to pick up every change since the
        last watermark (updated_at, or created_at for append-only tables).
    append_only: rows are never updated, so extraction re-reads a safety overlap
        before the watermark and deduplicates by key.
    purged: the platform hard-deletes old rows (retention); the warehouse keeps them.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    change_column: str
    append_only: bool = False
    purged: bool = False

    def __post_init__(self) -> None:
        names = self.column_names
        missing = [c for c in (*self.primary_key, self.change_column) if c not in names]
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

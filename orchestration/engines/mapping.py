"""What an engine adapter is: the engine tables it reads and how they become contract rows.

An adapter never writes to the engine's database and never asks it to compute: it reads
engine rows as they are (every column as text, only those changed since the watermark),
and one DuckDB query per contract table turns them into rows of `models/` (the
`mapping` SQL). From there on they are extracted like any contract source: typed,
checked, quarantined, deduplicated and upserted by orchestration/extraction.py.

A mapping writes a code column as text: the contract code ('4') when the engine state is
known, the engine's own value ('removed') when it is not. The contract's rules then
quarantine the row as `unparseable(state_cd)` with that value in its source values:
an unknown state is kept and shown, never dropped nor guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa


@dataclass(frozen=True)
class EngineTable:
    """One table of the engine's database, as a mapping reads it.

    `changed`: time columns; a row is read again when any of them is at or after the
    watermark (less the overlap). `unfinished`: columns whose NULL means the row is still
    in progress (a run without an end): such rows are read at every refresh, so a run
    still running at the last refresh is picked up when it ends, even by an engine that
    keeps no change time. Neither: the whole table is read each time (small lookups).
    `referenced_by`: (column, other read, its column): the rows that the other read's
    changed rows refer to (the flow of each changed run, the events of each changed run).
    `where`: a fixed condition (the step events among all events). `alias`: the name the
    mapping SQL reads it by (default: the table's name), for a table read twice.
    `optional_columns`: columns some engine versions lack (Airflow 2's dag has
    is_active, 3's is_stale), NULL where absent. `per_run_files`: on SQLite, a table kept
    in one file per run, `<folder>/<run id>.db` beside the database file (Dagster's
    default storage: `history/runs.db` and `history/runs/<run id>.db`); the runs are
    those of `referenced_by`. `transform`: Python that turns the rows read into the rows
    the mapping reads (n8n's run data is a JSON encoding SQL cannot walk).
    """

    name: str
    columns: tuple[str, ...]
    changed: tuple[str, ...] = ()
    unfinished: tuple[str, ...] = ()
    referenced_by: tuple[str, EngineTable, str] | None = None
    where: str = ""
    alias: str = ""
    optional_columns: tuple[str, ...] = ()
    per_run_files: str = ""
    transform: Callable[[pa.Table], pa.Table] | None = None

    @property
    def view(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True)
class ContractMapping:
    """How one contract table is made: DuckDB SQL over the `reads` (each registered under
    its engine table's name), selecting exactly the contract table's columns."""

    reads: tuple[EngineTable, ...]
    sql: str


def one_organization(organization_id: str, name: str) -> ContractMapping:
    """An engine without tenants: its whole database is one organization, in UTC, on no
    plan (tier `self-hosted`: no limits), that has always existed."""
    return ContractMapping(
        (),
        f"""SELECT '{organization_id}' AS id, '{name}' AS name, 'self-hosted' AS tier,
            '{organization_id}' AS billing_owner_id, NULL AS agency_id, 'UTC' AS timezone,
            '1970-01-01T00:00:00Z' AS created_at, '1970-01-01T00:00:00Z' AS updated_at""",
    )


@dataclass(frozen=True)
class Engine:
    """An engine whose metadata database flowmart reads (FLOWMART_SOURCE_KIND=kind).

    `required`: the tables and columns every read needs, checked before anything is
    read so that another engine version fails with a message naming them. Contract
    tables without a mapping (what the engine does not have: reviews, API keys, AI
    calls, billing) are read as empty.
    """

    kind: str
    label: str
    marker_tables: tuple[str, ...]  # present in this engine's database: how it is recognized
    mappings: dict[str, ContractMapping] = field(default_factory=dict)
    # (a table, the engine as read without it): the older version that lacks that table
    # (n8n before projects)
    older: tuple[str, Engine] | None = None

    def for_tables(self, tables: set[str]) -> Engine:
        """The engine as a database with these tables is read."""
        if self.older and self.older[0] not in tables:
            return self.older[1].for_tables(tables)
        return self

    def required(self, sqlite: bool) -> dict[str, tuple[str, ...]]:
        """Tables and columns the database must have (on SQLite, tables kept in a file
        per run may be there instead: they are checked where read)."""
        needed: dict[str, set[str]] = {}
        for mapping in self.mappings.values():
            for read in mapping.reads:
                if not (sqlite and read.per_run_files):
                    needed.setdefault(read.name, set()).update(read.columns)
                if read.referenced_by:
                    _, other, other_column = read.referenced_by
                    needed.setdefault(other.name, set()).add(other_column)
        return {table: tuple(sorted(columns)) for table, columns in sorted(needed.items())}

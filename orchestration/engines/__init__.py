"""Sources of other kinds than the contract: workflow engines' own metadata databases.

FLOWMART_SOURCE_KIND says what FLOWMART_SOURCE_URL points at: `contract` (a database
shaped like shared/source_schema.sql, the default), an engine (`airflow`, `prefect`,
...; each module here maps one), or `auto` (told by the tables present).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from orchestration.engines.airflow import AIRFLOW
from orchestration.engines.dagster import DAGSTER
from orchestration.engines.mapping import Engine
from orchestration.engines.n8n import N8N
from orchestration.engines.prefect import PREFECT
from orchestration.engines.source import EngineSource
from orchestration.source import SourceContractError, SourceDatabase

CONTRACT = "contract"
AUTO = "auto"
CONTRACT_MARKERS = ("process_instance", "node_instance")
ENGINES: dict[str, Engine] = {engine.kind: engine for engine in (AIRFLOW, DAGSTER, N8N, PREFECT)}
SOURCE_KINDS = (CONTRACT, *ENGINES, AUTO)


def detect_kinds(tables: set[str]) -> list[str]:
    """The kinds whose marker tables are all present."""
    kinds = [CONTRACT] if set(CONTRACT_MARKERS) <= tables else []
    return kinds + [kind for kind, e in ENGINES.items() if set(e.marker_tables) <= tables]


def resolve_kind(kind: str, tables: set[str]) -> str:
    """The kind to read the database as; a clear error when it cannot be that kind."""
    found = detect_kinds(tables)
    if kind == AUTO:
        if len(found) == 1:
            return found[0]
        if not found:
            raise SourceContractError(
                "the source database matches no known kind (tables of the flowmart contract "
                f"{', '.join(CONTRACT_MARKERS)}, or of an engine: "
                + "; ".join(f"{e.label}: {', '.join(e.marker_tables)}" for e in ENGINES.values())
                + ")"
            )
        raise SourceContractError(
            f"the source database matches several kinds ({', '.join(found)}): "
            "set FLOWMART_SOURCE_KIND to one of them"
        )
    if kind == CONTRACT and CONTRACT not in found and found:
        raise SourceContractError(
            f"the source database has no {' or '.join(CONTRACT_MARKERS)} table but looks like "
            f"{ENGINES[found[0]].label}'s database: set FLOWMART_SOURCE_KIND={found[0]} (or auto)"
        )
    return kind


@contextmanager
def open_source_of_kind(url: str, kind: str) -> Iterator[SourceDatabase | EngineSource]:
    """The source at `url` read as `kind` (one of SOURCE_KINDS)."""
    database = SourceDatabase(url)
    try:
        tables = database.table_columns()
        resolved = resolve_kind(kind, set(tables))
        if resolved == CONTRACT:
            source = database
        else:
            engine = ENGINES[resolved].for_tables(set(tables))
            source = EngineSource(database, engine, tables)
        yield source
    finally:
        database.close()

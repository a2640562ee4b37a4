"""write_source into a real PostgreSQL: the contract's DDL, COPY ingestion, native types."""

from __future__ import annotations

import json
from datetime import date

import adbc_driver_postgresql.dbapi
import polars as pl
import pytest

from models import SOURCE_TABLES
from orchestration.demo import generate_demo_source, write_source
from tests.postgres_server import PostgresServer, postgres_available

AVAILABLE, WHY_NOT = postgres_available()
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not AVAILABLE, reason=WHY_NOT)]


@pytest.fixture(scope="module")
def server():
    with PostgresServer() as running:
        yield running


@pytest.fixture(scope="module")
def frames() -> dict[str, pl.DataFrame]:
    return generate_demo_source(days=2, executions_per_day=300, seed=5, end_date=date(2026, 3, 2))


def query(url: str, sql: str) -> list[tuple]:
    with adbc_driver_postgresql.dbapi.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_tables_are_created_with_postgres_types_and_filled(server, frames):
    assert write_source(frames, server.url) == {name: f.height for name, f in frames.items()}
    for table in SOURCE_TABLES:
        assert query(server.url, f"SELECT COUNT(*) FROM {table.name}") == [
            (frames[table.name].height,)
        ]
    types = dict(
        query(
            server.url,
            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public'",
        )
    )
    assert types["process_instance.start_time"] == "timestamp with time zone"
    assert types["process_instance.variables"] == "jsonb"
    assert types["workflow.is_active"] == "boolean"
    assert types["usage_record.period_start"] == "date"


def test_values_survive_the_round_trip(server, frames):
    write_source(frames, server.url)
    expected = (
        frames["process_instance"].filter(pl.col("variables").is_not_null()).row(0, named=True)
    )
    [(start, variables, kind)] = query(
        server.url,
        "SELECT start_time, variables::text, jsonb_typeof(variables) FROM process_instance "
        f"WHERE id = '{expected['id']}'",
    )
    assert start == expected["start_time"]
    assert kind == "object" and json.loads(variables) == json.loads(expected["variables"])
    active = frames["workflow"]["is_active"].sum()
    assert query(server.url, "SELECT COUNT(*) FROM workflow WHERE is_active") == [(active,)]


def test_writing_again_replaces_the_tables(server, frames):
    smaller = {"plan": frames["plan"].head(2)}
    assert write_source(smaller, server.url) == {"plan": 2}
    assert query(server.url, "SELECT COUNT(*) FROM plan") == [(2,)]

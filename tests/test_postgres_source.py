"""Extraction from a real PostgreSQL server (started by the tests, no mocks) gives the
same raw history as from SQLite, and a refresh from PostgreSQL publishes."""

import json
import os
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest

from models import SOURCE_TABLES, LogicalType
from orchestration import warehouse
from orchestration.demo import generate_demo_source, write_source
from orchestration.extraction import extract_table
from orchestration.source import open_source
from tests.postgres_server import PostgresServer, postgres_available

available, why_not = postgres_available()
if not available and os.environ.get("CI"):
    raise RuntimeError(f"CI must run the PostgreSQL tests: {why_not}")
pytestmark = pytest.mark.skipif(not available, reason=why_not)


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    frames = generate_demo_source(days=2, executions_per_day=150, seed=5, end_date=date(2026, 3, 4))
    root = tmp_path_factory.mktemp("pg")
    sqlite_url = f"sqlite:///{root / 'source.sqlite'}"
    write_source(frames, sqlite_url)
    with PostgresServer() as server:
        write_source(frames, server.url)
        yield {"sqlite": sqlite_url, "postgresql": server.url}, frames


def _parsed(text: str | None):
    return None if text is None else json.loads(text)


def extract_all(url: str, work_db) -> None:
    extracted_at = datetime.now(UTC).replace(tzinfo=None)
    with open_source(url) as source, warehouse.connect(work_db) as con:
        warehouse.ensure_schema(con)
        for table in SOURCE_TABLES:
            extract_table(table, source, con, timedelta(minutes=5), extracted_at)


def test_postgres_and_sqlite_give_identical_raw_history(sources, tmp_path):
    urls, _ = sources
    for kind, url in urls.items():
        extract_all(url, tmp_path / f"{kind}.duckdb")
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{tmp_path / 'sqlite.duckdb'}' AS s (READ_ONLY)")
        con.execute(f"ATTACH '{tmp_path / 'postgresql.duckdb'}' AS p (READ_ONLY)")
        for table in SOURCE_TABLES:
            counts = con.execute(
                f"SELECT (SELECT count(*) FROM s.raw.{table.name}), "
                f"(SELECT count(*) FROM p.raw.{table.name})"
            ).fetchall()[0]
            assert counts[0] == counts[1], table.name
            # JSONB normalizes JSON text (spacing, key order): compare JSON parsed.
            json_columns = [c.name for c in table.columns if c.type is LogicalType.JSON]
            excluded = ", ".join(["_extracted_at", *json_columns])
            differing = con.execute(
                f"SELECT count(*) FROM (SELECT * EXCLUDE ({excluded}) FROM s.raw.{table.name} "
                f"EXCEPT ALL SELECT * EXCLUDE ({excluded}) FROM p.raw.{table.name})"
            ).fetchall()[0][0]
            assert differing == 0, f"{table.name}: {differing} rows differ"
            keys = ", ".join(table.primary_key)
            for column in json_columns:
                pairs = con.execute(
                    f"SELECT s.{column}, p.{column} FROM s.raw.{table.name} s "
                    f"JOIN p.raw.{table.name} p USING ({keys})"
                ).fetchall()
                assert all(_parsed(a) == _parsed(b) for a, b in pairs), f"{table.name}.{column}"
        assert con.sql("SELECT count(*) FROM p.raw.node_instance").fetchall()[0][0] > 1000


def test_refresh_from_postgres_publishes(sources, make_flowmart):
    urls, frames = sources
    flowmart = make_flowmart(urls["postgresql"])
    code, out, err = flowmart.run("refresh")
    assert code == 0, err
    assert "published  marts.workflow_runs_daily" in out
    code, out, err = flowmart.run("refresh")  # nothing changed: reads the overlap only
    assert code == 0, err
    assert "process_instance                0 rows" not in out  # overlap re-read is shown
    with duckdb.connect(str(flowmart.published), read_only=True) as con:
        (runs,) = con.sql("SELECT sum(runs) FROM marts.workflow_runs_daily").fetchall()[0]
    assert runs == frames["process_instance"].height


def test_incremental_reads_steer_postgres_to_the_change_column_index(sources):
    """A first read scans the table; an incremental one asks the planner for the index
    on the change column (a session setting of flowmart's own connection)."""
    urls, _ = sources
    table = next(t for t in SOURCE_TABLES if t.name == "node_instance")
    with open_source(urls["postgresql"]) as source:
        for since, expected in ((None, "on"), (datetime(2026, 3, 4), "off")):
            with source.read_changes(table, since) as batches:
                rows = batches.read_all().num_rows
            cursor = source._conn.cursor()
            cursor.execute("SELECT current_setting('enable_seqscan')")
            assert cursor.fetchall() == [(expected,)]
            cursor.close()
            assert rows > 0

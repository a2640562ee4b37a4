"""The demo source: deterministic, shaped by the contract, and carrying the quirks the marts
must handle (missing trigger rows, handled/unhandled errors, timeouts, every state)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import adbc_driver_sqlite.dbapi
import polars as pl
import pytest

from models import SOURCE_TABLES
from orchestration.demo import generate_demo_source, polars_schema, write_source
from orchestration.source_url import parse_source_url

END = date(2026, 3, 2)
AS_OF = datetime.combine(END + timedelta(days=1), datetime.min.time(), UTC)
ISO_UTC_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(scope="module")
def small() -> dict[str, pl.DataFrame]:
    return generate_demo_source(days=3, executions_per_day=200, seed=7, end_date=END)


@pytest.fixture(scope="module")
def larger() -> dict[str, pl.DataFrame]:
    """Enough executions for the rare states (running, waiting) to occur."""
    return generate_demo_source(days=4, executions_per_day=5000, seed=7, end_date=END)


def test_same_seed_gives_identical_frames(small):
    again = generate_demo_source(days=3, executions_per_day=200, seed=7, end_date=END)
    assert all(again[name].equals(frame) for name, frame in small.items())


def test_another_seed_gives_other_data(small):
    other = generate_demo_source(days=3, executions_per_day=200, seed=8, end_date=END)
    assert not other["process_instance"].equals(small["process_instance"])
    assert not other["node_instance"].equals(small["node_instance"])


def test_frames_match_the_contract(small):
    assert list(small) == [t.name for t in SOURCE_TABLES]
    for table in SOURCE_TABLES:
        assert small[table.name].schema == polars_schema(table), table.name
        assert small[table.name].height > 0, table.name


def test_primary_keys_are_unique(larger):
    for table in SOURCE_TABLES:
        frame = larger[table.name]
        assert not frame.select(table.primary_key).is_duplicated().any(), table.name


def test_rows_reference_existing_executions_and_nodes(small):
    executions = small["process_instance"]["id"]
    nodes = small["node_instance"]["id"]
    for name in ("node_instance", "review_task", "ai_execution_history", "execution_log"):
        assert small[name]["process_instance_id"].is_in(executions.implode()).all(), name
    for name in ("review_task", "ai_execution_history"):
        assert small[name]["node_instance_id"].is_in(nodes.implode()).all(), name
    parents = small["process_instance"]["parent_instance_id"].drop_nulls()
    assert parents.len() > 0 and parents.is_in(executions.implode()).all()


def test_times_are_consistent_and_never_in_the_future(larger):
    for table in SOURCE_TABLES:
        for name, dtype in larger[table.name].schema.items():
            if isinstance(dtype, pl.Datetime):
                values = larger[table.name][name].drop_nulls()
                assert (values < AS_OF).all(), f"{table.name}.{name}"
                assert (values.dt.microsecond() % 1000 == 0).all(), "millisecond precision"
    runs = larger["node_instance"].join(
        larger["process_instance"].select("id", "start_time", "end_time", "state_cd"),
        left_on="process_instance_id",
        right_on="id",
        suffix="_execution",
    )
    assert (runs["start_time"] >= runs["start_time_execution"]).all()
    finished = runs.filter(pl.col("end_time_execution").is_not_null())
    assert (finished["end_time"] <= finished["end_time_execution"]).all()
    assert (runs["end_time"].is_null() == (runs["status_cd"] == 5)).all()
    unfinished = larger["process_instance"]["state_cd"].is_in([1, 2])
    assert (larger["process_instance"]["end_time"].is_null() == unfinished).all()


def test_engine_quirks_are_present(small):
    nodes, executions = small["node_instance"], small["process_instance"]
    with_trigger = nodes.filter(pl.col("node_type").str.ends_with("Trigger"))
    assert with_trigger["process_instance_id"].n_unique() < executions.height
    errors = nodes.filter(pl.col("status_cd") == 7)
    assert errors["error_handled"].any() and not errors["error_handled"].all()
    assert (errors["error_details"] == "TIMEOUT").any()
    assert errors["error_details"].str.contains(r"\d").any()
    assert (nodes["attempts"] > 1).any() and (nodes["iteration"] > 0).any()


def test_every_execution_state_occurs(larger):
    executions = larger["process_instance"]
    assert set(executions["state_cd"].unique()) == {1, 2, 3, 4, 7}
    unhandled = larger["node_instance"].filter(pl.col("status_cd") == 7, ~pl.col("error_handled"))
    completed = executions.filter(pl.col("state_cd") == 4)["id"]
    assert unhandled["process_instance_id"].is_in(completed.implode()).any()
    long_waits = executions.filter(
        pl.col("state_cd") == 4, pl.col("end_time") - pl.col("start_time") > timedelta(days=1)
    )
    assert long_waits.height > 0
    statuses = set(larger["review_task"]["status"].unique())
    assert statuses == {"pending", "approved", "revision_requested", "rejected", "cancelled"}


def test_agency_exceeds_its_execution_limit(small):
    orgs, plans = small["organization"], small["plan"]
    agency = orgs.filter(pl.col("agency_id").is_not_null())["agency_id"][0]
    billed = orgs.filter(pl.col("billing_owner_id") == agency)["id"]
    assert billed.len() >= 3 and orgs.filter(pl.col("agency_id") == agency).height >= 3
    monthly = (
        small["process_instance"]
        .filter(
            pl.col("parent_instance_id").is_null(),
            pl.col("organization_id").is_in(billed.implode()),
        )
        .group_by(pl.col("start_time").dt.month())
        .len()
    )
    tier = orgs.filter(pl.col("id") == agency)["tier"][0]
    limit = plans.filter(pl.col("tier") == tier)["monthly_execution_limit"][0]
    assert monthly["len"].max() > limit


def test_tiny_generation_works():
    frames = generate_demo_source(days=2, executions_per_day=50, seed=1, end_date=END)
    assert 0 < frames["process_instance"].height < 200


def sqlite_rows(url: str, sql: str) -> list[tuple]:
    path = parse_source_url(url).target
    with adbc_driver_sqlite.dbapi.connect(path) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_sqlite_round_trip(small, tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'demo.sqlite'}"
    assert write_source(small, url) == {name: frame.height for name, frame in small.items()}
    for name, frame in small.items():
        assert sqlite_rows(url, f"SELECT COUNT(*) FROM {name}") == [(frame.height,)], name
    execution = small["process_instance"].filter(pl.col("state_cd") == 4).row(0, named=True)
    [(start, end)] = sqlite_rows(
        url, f"SELECT start_time, end_time FROM process_instance WHERE id = '{execution['id']}'"
    )
    assert ISO_UTC_MS.match(start) and ISO_UTC_MS.match(end)
    assert start == execution["start_time"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert set(sqlite_rows(url, "SELECT DISTINCT is_active FROM workflow")) == {(0,), (1,)}
    [(period, *_)] = sqlite_rows(url, "SELECT period_start FROM usage_record LIMIT 1")
    assert re.fullmatch(r"\d{4}-\d\d-01", period)


def test_source_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    relative = parse_source_url("sqlite:///data/demo.sqlite")
    assert relative == ("sqlite", str(tmp_path / "data" / "demo.sqlite"))
    assert parse_source_url("sqlite:////tmp/x.sqlite") == ("sqlite", "/tmp/x.sqlite")
    postgres = "postgresql://user:pw@localhost:5432/platform"
    assert parse_source_url(postgres) == ("postgresql", postgres)
    with pytest.raises(ValueError, match="unsupported source URL"):
        parse_source_url("mysql://localhost/platform")


def test_write_source_creates_a_relative_sqlite_file(small, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert write_source({"plan": small["plan"]}, "sqlite:///data/demo.sqlite") == {"plan": 4}
    assert (tmp_path / "data" / "demo.sqlite").is_file()

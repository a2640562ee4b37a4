"""Refresh cost follows the change (orchestration/rebuild.py): which models a run
rebuilds, on a hand-made manifest with known answers, and end to end through the CLI:
a quiet refresh rebuilds and rewrites nothing, a dimension change rebuilds only what
reads it, and the published marts still equal a from-scratch build."""

import os

import duckdb

from orchestration.rebuild import (
    DIRTY_DAYS_INPUT,
    EXTRACTED_UNTIL,
    PROJECT,
    UTC_DATE,
    plan_rebuild,
)
from tests.oracle import mart_rows, published_snapshot
from tests.sources import create_sqlite_source, execution, insert_rows, node_run


def node(
    kind: str, macros: tuple[str, ...] = (), materialized: str = "table", parents: tuple = ()
) -> dict:
    return {
        "resource_type": kind,
        "config": {"materialized": materialized},
        "depends_on": {"macros": list(macros), "nodes": list(parents)},
    }


def data_test(name: str, parent: str) -> dict:
    return {**node("test", parents=(parent,)), "name": name}


# raw.process_instance -> stg_runs -> fct (day-partitioned) -> daily (partitioned)
# raw.workflow -> stg_workflow (a view) -> usage (whole) ; insights uses the clock;
# alerts read meta.watermarks; tests are never "rebuilt" themselves.
MANIFEST = {
    "nodes": {
        "model.flowmart.stg_runs": node("model"),
        "model.flowmart.fct": node("model", ("macro.flowmart.day_partitioned",)),
        "model.flowmart.daily": node("model", ("macro.flowmart.in_dirty_partitions",)),
        "model.flowmart.stg_workflow": node("model", materialized="view"),
        "snapshot.flowmart.workflow_history": node("snapshot"),
        "model.flowmart.usage": node("model"),
        "model.flowmart.insights": node("model", ("macro.flowmart.utc_today",)),
        "model.flowmart.alerts": node("model"),
        "seed.flowmart.stop_words": node("seed"),
        "test.flowmart.not_null_fct_id": data_test("not_null_fct_id", "model.flowmart.fct"),
        "test.flowmart.not_null_stg_workflow_id.1a2b": data_test(
            "not_null_stg_workflow_id", "model.flowmart.stg_workflow"
        ),
    },
    "macros": {
        "macro.flowmart.utc_today": {"depends_on": {"macros": ["macro.flowmart.utc_now"]}},
        "macro.flowmart.utc_now": {"depends_on": {"macros": []}},
        "macro.flowmart.in_dirty_partitions": {
            "depends_on": {"macros": ["macro.flowmart.dirty_days"]}
        },
        "macro.flowmart.dirty_days": {"depends_on": {"macros": []}},
        "macro.flowmart.day_partitioned": {"depends_on": {"macros": []}},
    },
    "child_map": {
        "source.flowmart.raw.process_instance": ["model.flowmart.stg_runs"],
        "model.flowmart.stg_runs": ["model.flowmart.fct"],
        "model.flowmart.fct": ["model.flowmart.daily", "test.flowmart.not_null_fct_id"],
        "model.flowmart.daily": ["model.flowmart.insights"],
        "source.flowmart.raw.workflow": [
            "model.flowmart.stg_workflow",
            "snapshot.flowmart.workflow_history",
        ],
        "model.flowmart.stg_workflow": [
            "model.flowmart.usage",
            "test.flowmart.not_null_stg_workflow_id.1a2b",
        ],
        "snapshot.flowmart.workflow_history": ["model.flowmart.usage"],
        "source.flowmart.meta.watermarks": ["model.flowmart.alerts"],
    },
}


def rebuilt(*changed: str) -> list[str]:
    return plan_rebuild(MANIFEST, set(changed)).names


def test_nothing_changed_rebuilds_nothing():
    plan = plan_rebuild(MANIFEST, set())
    assert plan.nodes == () and not plan.everything


def test_a_changed_raw_table_rebuilds_what_reads_it_and_nothing_else():
    assert rebuilt("raw.process_instance") == ["daily", "fct", "insights", "stg_runs"]


def test_a_view_is_not_rebuilt_for_changed_rows_but_its_tests_run_on_them():
    plan = plan_rebuild(MANIFEST, {"raw.workflow"})
    assert plan.names == ["usage", "workflow_history"]
    assert plan.tests == ("not_null_stg_workflow_id",)
    assert plan.selection == ["usage", "workflow_history", "not_null_stg_workflow_id"]
    # only a changed project rebuilds the view itself
    assert "stg_workflow" in plan_rebuild(MANIFEST, {PROJECT}).names


def test_dirty_days_rebuild_every_partitioned_model_even_through_hooks_and_macros():
    # fct reads meta.dirty_days only in its pre-hook, daily through a macro: dbt's graph
    # does not know; the plan does
    assert rebuilt(DIRTY_DAYS_INPUT) == ["daily", "fct", "insights"]


def test_clocks_rebuild_only_their_readers():
    assert rebuilt(UTC_DATE) == ["insights"]
    assert rebuilt(EXTRACTED_UNTIL) == ["alerts"]


def test_a_changed_project_rebuilds_everything_but_runs_no_test_as_a_model():
    plan = plan_rebuild(MANIFEST, {PROJECT})
    assert plan.everything
    assert "not_null_fct_id" not in plan.names
    assert len(plan.names) == 9


# -- end to end ---------------------------------------------------------------------------
ROWS = {
    "process_instance": [
        execution("e1", "2026-03-01T10:00:00Z", "2026-03-01T10:00:02Z"),
        execution("e2", "2026-03-02T11:00:00Z", "2026-03-02T11:00:01Z"),
    ],
    "node_instance": [
        node_run("n1", "e1", "2026-03-01T10:00:00Z", "2026-03-01T10:00:02Z"),
        node_run("n2", "e2", "2026-03-02T11:00:00Z", "2026-03-02T11:00:01Z"),
    ],
    "organization": [
        {
            "id": "o1",
            "name": "Org 1",
            "tier": "pro",
            "billing_owner_id": "o1",
            "agency_id": None,
            "timezone": "UTC",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
        }
    ],
}


def rebuilt_models(home) -> set[str]:
    with duckdb.connect(str(home / "warehouse" / "work.duckdb"), read_only=True) as con:
        return {r[0] for r in con.sql("SELECT name FROM meta.rebuilt_models").fetchall()}


def test_quiet_refresh_rebuilds_and_rewrites_nothing(make_flowmart, tmp_path):
    source = tmp_path / "source.sqlite"
    flowmart = make_flowmart(create_sqlite_source(source, ROWS))
    code, _, err = flowmart.run("refresh")
    assert code == 0, err
    before = published_snapshot(flowmart.home)

    code, out, err = flowmart.run("refresh")  # the overlap re-reads rows: no change
    assert code == 0, err
    assert "nothing changed since the last publication" in out
    assert "(0 new, 0 updated)" in out
    assert published_snapshot(flowmart.home) == before  # file, link and Parquet


def test_a_dimension_change_rebuilds_its_readers_and_reuses_the_rest(make_flowmart, tmp_path):
    source = tmp_path / "source.sqlite"
    flowmart = make_flowmart(create_sqlite_source(source, ROWS))
    assert flowmart.run("refresh")[0] == 0
    link = flowmart.home / "published" / "parquet"
    before = {p.name: p.stat().st_ino for p in link.resolve().iterdir()}

    organization = {
        **ROWS["organization"][0],
        "name": "Renamed",
        "updated_at": "2026-03-03T00:00:00Z",
    }
    insert_rows(source, {"organization": [organization]})
    code, _, err = flowmart.run("refresh")
    assert code == 0, err
    models = rebuilt_models(flowmart.home)
    assert "usage_monthly" in models  # reads stg_organization, a view: not rebuilt
    assert "stg_organization" not in models
    assert "fct_executions" not in models and "workflow_runs_daily" not in models
    after = {p.name: p.stat().st_ino for p in link.resolve().iterdir()}
    assert after.keys() == before.keys()
    # unchanged marts are the same files (hard links), not copies
    assert after["fct_executions.parquet"] == before["fct_executions.parquet"]
    assert os.stat(link.resolve() / "fct_executions.parquet").st_nlink >= 2


def test_marts_after_incremental_changes_equal_a_scratch_build(make_flowmart, tmp_path):
    """Rows, a dimension and a late completion arrive over three refreshes; the
    published marts equal those of one refresh of the final source in a new home."""
    source = tmp_path / "source.sqlite"
    rows = {**ROWS, "process_instance": [*ROWS["process_instance"]]}
    rows["process_instance"].append(execution("e3", "2026-03-02T12:00:00Z", None, state=2))
    incremental = make_flowmart(create_sqlite_source(source, rows), tmp_path / "incremental")
    assert incremental.run("refresh")[0] == 0
    completed = execution("e3", "2026-03-02T12:00:00Z", "2026-03-04T00:00:00Z")
    insert_rows(source, {"process_instance": [completed]})
    assert incremental.run("refresh")[0] == 0
    organization = {
        **ROWS["organization"][0],
        "timezone": "Europe/Berlin",
        "updated_at": "2026-03-05T00:00:00Z",
    }
    insert_rows(source, {"organization": [organization]})
    assert incremental.run("refresh")[0] == 0

    scratch = make_flowmart(incremental.source_url, tmp_path / "scratch")
    assert scratch.run("refresh")[0] == 0
    assert mart_rows(incremental.published) == mart_rows(scratch.published)


def test_alert_windows_clock_moves_only_while_it_bounds_the_data(tmp_path):
    """alert_events' windows end at the hour boundary before the last extraction, and
    never beyond the last data hour + 1 h: a later quiet extraction changes the input
    only while the wall clock, not the data, is the bound."""
    from datetime import datetime

    from orchestration import warehouse
    from orchestration.rebuild import current_inputs

    def extracted_until(last_extracted: datetime, newest_change: datetime) -> str:
        with warehouse.connect(tmp_path / "w.duckdb") as con:
            warehouse.ensure_schema(con)
            con.execute("DELETE FROM meta.watermarks").fetchall()
            con.execute(
                "INSERT INTO meta.watermarks VALUES ('process_instance', NULL, ?, 1, ?)",
                [newest_change, last_extracted],
            ).fetchall()
            return current_inputs(con, "p")[EXTRACTED_UNTIL]

    data = datetime(2026, 3, 1, 14, 30)
    assert extracted_until(datetime(2026, 3, 1, 14, 40), data) == "2026-03-01 14:00:00"
    assert extracted_until(datetime(2026, 3, 1, 15, 10), data) == "2026-03-01 15:00:00"
    # hours later, nothing new: the data bounds the windows, the input stays
    assert extracted_until(datetime(2026, 3, 1, 16, 10), data) == "2026-03-01 15:00:00"
    assert extracted_until(datetime(2026, 3, 2, 9, 0), data) == "2026-03-01 15:00:00"

"""Engines' own databases as sources: n8n's run-data decoder, which kind a database is,
and what a database of another engine version is told. The end-to-end comparisons with
each engine's own answers are in tests/test_engine_<kind>.py (cases: engine_cases.py).
"""

from __future__ import annotations

import json
import sqlite3

import pyarrow as pa
import pytest

from orchestration.engines import AUTO, CONTRACT, ENGINES, n8n, resolve_kind
from orchestration.source import SourceContractError
from tests.engine_cases import CASES


def test_n8n_run_data_is_decoded_from_its_flatted_json():
    """n8n's execution data is a list whose first element is the root and in whose
    objects every string is the index of another element: a hand-made one, with a node
    that routed its error to its output items and a node that ran twice."""
    data = [
        {"resultData": "1"},
        {"runData": "2"},
        {"Risky": "3", "Loop": "13"},
        ["4"],
        {"startTime": 1796475124672, "executionTime": 874, "executionStatus": "5", "data": "6"},
        "success",
        {"main": "7"},
        ["8"],
        ["9"],
        {"json": "10"},
        {"error": "11"},
        {"message": "12"},
        "risky failed, routed to error output",
        ["14", "16"],
        {"startTime": 1796475125000, "executionTime": 1, "executionStatus": "5"},
        "error",
        {"startTime": 1796475125002, "executionTime": 2, "executionStatus": "15",
         "error": "17"},
        {"message": "18"},
        "boom",
    ]  # fmt: skip
    snapshot = {"nodes": [
        {"id": "n-risky", "name": "Risky", "type": "n8n-nodes-base.code",
         "onError": "continueErrorOutput"},
        {"id": "n-loop", "name": "Loop", "type": "n8n-nodes-base.code"},
    ]}  # fmt: skip
    rows = n8n.node_runs(
        pa.table({"executionId": ["7"], "workflowData": [json.dumps(snapshot)],
                  "data": [json.dumps(data)]})
    ).to_pylist()  # fmt: skip
    picked = [
        (r["node_id"], r["run_index"], r["status"], r["on_error"], r["error_message"],
         r["handled_error"], r["start_ms"])
        for r in rows
    ]  # fmt: skip
    assert picked == [
        ("n-risky", "0", "success", "continueErrorOutput", None,
         "risky failed, routed to error output", "1796475124672"),
        ("n-loop", "0", "success", None, None, None, "1796475125000"),
        ("n-loop", "1", "error", None, "boom", None, "1796475125002"),
    ]  # fmt: skip


# --- which kind a database is, and what another version of an engine is told -----------


def test_kinds_are_told_by_their_tables():
    assert resolve_kind(AUTO, {"process_instance", "node_instance", "plan"}) == CONTRACT
    for kind, engine in ENGINES.items():
        assert resolve_kind(AUTO, set(engine.marker_tables) | {"other"}) == kind
    with pytest.raises(SourceContractError, match="matches no known kind"):
        resolve_kind(AUTO, {"orders", "customers"})
    with pytest.raises(SourceContractError, match="FLOWMART_SOURCE_KIND=airflow"):
        resolve_kind(CONTRACT, {"dag_run", "task_instance", "dag"})


def test_unknown_source_kind_is_refused(make_flowmart, tmp_path):
    flowmart = make_flowmart(f"sqlite:///{tmp_path / 'x.sqlite'}", kind="jenkins")
    code, _, err = flowmart.run("refresh")
    assert code == 2
    assert "FLOWMART_SOURCE_KIND must be one of contract, " in err


# an engine version without a column the adapter reads: (kind, fixture, table, column)
MISSING_COLUMNS = [
    ("airflow", "airflow3.sqlite", "task_instance", "try_number"),
    ("dagster", "dagster_home", "runs", "end_time"),
    ("n8n", "n8n.sqlite", "execution_entity", "mode"),
    ("prefect", "prefect3.sqlite", "task_run", "run_count"),
]


@pytest.mark.parametrize(("kind", "fixture", "table", "column"), MISSING_COLUMNS)
def test_another_engine_version_gets_an_error_naming_table_and_column(
    make_flowmart, tmp_path, kind, fixture, table, column
):
    case = next(c for c in CASES if c.kind == kind and c.fixture == fixture)
    url = case.copy_to(tmp_path)
    with sqlite3.connect(tmp_path / case.source) as con:
        con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    flowmart = make_flowmart(url, kind="auto")
    code, _, err = flowmart.run("refresh")
    assert code == 1
    label = ENGINES[kind].label
    assert f"{label} database: table '{table}' has no column '{column}'" in err
    assert not flowmart.published.exists()

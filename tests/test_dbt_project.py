"""The dbt project on its own: unit tests on hand-made rows, data tests, contracts."""

import json
import os
import subprocess

from orchestration import warehouse
from orchestration.defs.dbt import dbt_executable, published_marts
from orchestration.settings import DBT_PROJECT_DIR


def run_dbt(work_db, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            dbt_executable(),
            *args,
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(work_db.parent / "target"),
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "FLOWMART_WORK_DB": str(work_db)},
        capture_output=True,
        text=True,
    )


def test_dbt_build_on_an_empty_warehouse_passes_every_unit_and_data_test(tmp_path):
    work_db = tmp_path / "work.duckdb"
    with warehouse.connect(work_db) as con:
        warehouse.ensure_schema(con)
    result = run_dbt(work_db, "build")
    assert result.returncode == 0, result.stdout[-3000:]
    run_results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    unit_tests = {
        r["unique_id"].split(".")[-1]: r["status"]
        for r in run_results["results"]
        if r["unique_id"].startswith("unit_test.")
    }
    assert unit_tests["fct_executions_status_derivation"] == "pass"
    assert unit_tests["workflow_runs_daily_rates_and_percentiles"] == "pass"
    assert unit_tests["int_node_runs_adds_one_trigger_only_where_missing"] == "pass"


def test_published_marts_are_the_models_of_the_marts_schema():
    assert {"fct_executions", "workflow_runs_daily"} <= set(published_marts())
    assert not any(m.startswith(("stg_", "int_")) for m in published_marts())

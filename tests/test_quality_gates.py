"""The Great Expectations gates: raw suites rendered from the contracts and validated on
the latest extraction batch, mart suites and reconciliations, and what `flowmart status`
shows. Real DuckDB, real GE, real Dagster runs; nothing mocked."""

from __future__ import annotations

import shutil
from dataclasses import astuple
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from models import SOURCE_TABLES, TABLES_BY_NAME
from models import expectations as rendering
from orchestration import validator, warehouse
from orchestration.quality import (
    FUTURE_TOLERANCE_ENV,
    FUTURE_TOLERANCE_VARIABLE,
    ExpectationOutcome,
    SuiteOutcome,
    _all_expected,
    load_suite,
    read_results,
    record_results,
    suite_paths,
    suite_query,
    validate_frame,
    validate_table,
    validated_rows_sql,
)
from tests.oracle import flowmart_home, private_copy, publication_state

EXTRACTED = datetime(2026, 3, 10, 12, 0)
EARLIER = EXTRACTED - timedelta(days=1)


def raw_suite(table: str) -> dict:
    return load_suite(suite_paths()[f"raw_{table}"])


def summary(outcome) -> list[tuple]:
    """(severity, expectation, column, unexpected) of every expectation that failed."""
    return sorted(
        (o.severity, o.expectation, o.column, o.unexpected_count)
        for o in outcome.outcomes
        if not o.success
    )


# --- rendering -------------------------------------------------------------------------


def test_raw_suites_are_rendered_from_the_contracts():
    assert rendering.stale_files() == [], "run python -m models.expectations"
    assert {f"raw_{t.name}" for t in SOURCE_TABLES} <= set(suite_paths())
    assert {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "state_cd", "value_set": [1, 2, 3, 4, 7]},
        "severity": "critical",
    } in raw_suite("process_instance")["expectations"]
    kinds = {(e["type"], e["severity"]) for e in raw_suite("usage_record")["expectations"]}
    assert ("expect_compound_columns_to_be_unique", "critical") in kinds
    assert ("expect_column_values_to_be_null", "warning") in kinds  # future updated_at


def test_drift_check_fails_on_an_edited_or_orphan_suite(tmp_path, monkeypatch, capsys):
    copy = tmp_path / "expectations"
    shutil.copytree(rendering.EXPECTATIONS_DIR, copy)
    monkeypatch.setattr(rendering, "EXPECTATIONS_DIR", copy)
    assert rendering.main(["--check"]) == 0
    edited = copy / "raw_ai_execution_history.json"
    edited.write_text(edited.read_text().replace('"min_value": 0', '"min_value": -1', 1))
    (copy / "raw_no_such_table.json").write_text("{}")
    assert rendering.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert "raw_ai_execution_history.json differs" in out
    assert "raw_no_such_table.json differs" in out
    assert rendering.main([]) == 0  # re-rendering repairs both
    assert rendering.main(["--check"]) == 0


# --- known answers on tiny raw batches ----------------------------------------------------


@pytest.fixture
def work_db(tmp_path):
    """An empty working warehouse; `load(table, rows)` writes raw rows and watermarks."""
    path = tmp_path / "work.duckdb"
    with warehouse.connect(path) as con:
        warehouse.ensure_schema(con)
        con.execute(
            "INSERT INTO meta.watermarks (table_name, last_extracted) SELECT unnest(?), ?",
            [[t.name for t in SOURCE_TABLES], EXTRACTED],
        ).fetchall()

    def load(table: str, rows: list[dict]) -> None:
        columns = [*TABLES_BY_NAME[table].column_names, "_extracted_at", "_quarantine_reason"]
        with warehouse.connect(path) as con:
            con.executemany(
                f"INSERT INTO raw.{table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})",
                [
                    [row.get(c) for c in columns[:-2]]
                    + [row.get("_extracted_at", EXTRACTED), row.get("_quarantine_reason")]
                    for row in rows
                ],
            ).fetchall()

    load.path = path
    return load


def validate(work_db, table: str):
    with warehouse.connect(work_db.path, read_only=True) as con:
        return validate_table(con, raw_suite(table))


def ai_call(id: str, **overrides) -> dict:
    return {
        "id": id,
        "process_instance_id": "e1",
        "node_instance_id": "n1",
        "organization_id": "o1",
        "model_provider": "OPENAI",
        "model_name": "gpt",
        "tokens_used": 100,
        "cost_cents": 10,
        "execution_time_ms": 900,
        "success": True,
        "tools_used": '["search"]',
        "created_at": datetime(2026, 3, 10, 11, 0),
        **overrides,
    }


def execution_row(id: str, **overrides) -> dict:
    return {
        "id": id,
        "process_meta_id": "w1",
        "process_name": "W",
        "organization_id": "o1",
        "trigger_type": "api",
        "state_cd": 4,
        "start_time": datetime(2026, 3, 10, 10, 0),
        "end_time": datetime(2026, 3, 10, 10, 1),
        "updated_at": datetime(2026, 3, 10, 10, 1),
        **overrides,
    }


def test_negative_token_count_in_the_latest_batch_is_critical(work_db):
    work_db(
        "ai_execution_history",
        [
            ai_call("ok"),
            ai_call("negative", tokens_used=-5),
            # not validated: quarantined, or written by an earlier extraction
            ai_call("quarantined", tokens_used=-1, _quarantine_reason="below_min(tokens_used)"),
            ai_call("older", tokens_used=-1, _extracted_at=EARLIER),
        ],
    )
    outcome = validate(work_db, "ai_execution_history")
    assert outcome.rows == 2
    assert summary(outcome) == [
        ("critical", "expect_column_values_to_be_between", "tokens_used", 1)
    ]


def test_timestamp_two_days_ahead_is_a_warning_only(work_db, monkeypatch):
    ahead = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=2)
    work_db("ai_execution_history", [ai_call("ok"), ai_call("ahead", created_at=ahead)])
    outcome = validate(work_db, "ai_execution_history")
    assert summary(outcome) == [
        ("warning", "expect_column_values_to_be_null", "future_created_at", 1)
    ]
    assert outcome.critical_failures == []
    monkeypatch.setenv(FUTURE_TOLERANCE_ENV, str(3 * 24 * 60))  # three days of tolerance
    assert summary(validate(work_db, "ai_execution_history")) == []


def test_keys_codes_order_nulls_json_and_time_zones_are_critical(work_db):
    work_db(
        "process_instance",
        [
            execution_row("ok"),
            execution_row("twice"),
            execution_row("twice", process_name="again"),
            execution_row("code", state_cd=9),
            execution_row("backwards", end_time=datetime(2026, 3, 10, 9, 0)),
            execution_row("running", state_cd=1, end_time=None),  # fine: no end yet
            execution_row("orphan", organization_id=None),
            execution_row("json", variables="{not json"),
        ],
    )
    assert summary(validate(work_db, "process_instance")) == [
        ("critical", "expect_column_pair_values_a_to_be_greater_than_b", "end_time", 1),
        ("critical", "expect_column_values_to_be_in_set", "state_cd", 1),
        ("critical", "expect_column_values_to_be_null", "invalid_json_variables", 1),
        ("critical", "expect_column_values_to_be_unique", "id", 2),
        ("critical", "expect_column_values_to_not_be_null", "organization_id", 1),
    ]
    organization = {
        "id": "o1",
        "name": "Org",
        "tier": "pro",
        "billing_owner_id": "o1",
        "created_at": EARLIER,
        "updated_at": EARLIER,
    }
    work_db(
        "organization",
        [
            {**organization, "timezone": "Europe/Paris"},
            {**organization, "id": "o2", "timezone": "Mars/Olympus_Mons"},
        ],
    )
    assert summary(validate(work_db, "organization")) == [
        ("critical", "expect_column_values_to_be_null", "unknown_timezone_timezone", 1)
    ]


def test_compound_key_duplicates_are_critical(work_db):
    record = {"billing_owner_id": "o1", "executions_counted": 3, "updated_at": EARLIER}
    work_db(
        "usage_record",
        [
            {**record, "period_start": date(2026, 2, 1)},
            {**record, "period_start": date(2026, 3, 1)},
            {**record, "period_start": date(2026, 3, 1), "executions_counted": 4},
        ],
    )
    assert summary(validate(work_db, "usage_record")) == [
        ("critical", "expect_compound_columns_to_be_unique", "billing_owner_id,period_start", 2)
    ]


def test_candidate_rows_give_the_counts_of_the_whole_batch(work_db):
    """GE over only the rows SQL selected as candidates says what GE over the whole batch
    says; and with no candidate at all, every expectation holds as on the whole batch."""
    good = [execution_row(f"ok{i}") for i in range(5)]
    bad = [
        execution_row("twice"),
        execution_row("twice", state_cd=9),
        execution_row("backwards", end_time=datetime(2026, 3, 10, 9, 0)),
    ]
    work_db("process_instance", good + bad)
    suite = raw_suite("process_instance")
    with warehouse.connect(work_db.path, read_only=True) as con:
        con.execute(f"SET VARIABLE {FUTURE_TOLERANCE_VARIABLE} = 60")
        whole = validate_frame(con.sql(validated_rows_sql(suite)).df(), suite)
        candidates = validate_table(con, suite)
    assert candidates.rows == whole.rows == 8
    assert sorted(astuple(o) for o in whole.outcomes) == sorted(
        astuple(o) for o in candidates.outcomes
    )
    assert len(summary(candidates)) == 3

    work_db("ai_execution_history", [ai_call(f"a{i}") for i in range(3)])
    suite = raw_suite("ai_execution_history")
    with warehouse.connect(work_db.path, read_only=True) as con:
        con.execute(f"SET VARIABLE {FUTURE_TOLERANCE_VARIABLE} = 60")
        whole = validate_frame(con.sql(validated_rows_sql(suite)).df(), suite)
    assert summary(whole) == []
    assert sorted(astuple(o) for o in whole.outcomes) == sorted(
        astuple(o) for o in _all_expected(suite, 3).outcomes
    )


def test_a_mart_suite_of_row_level_expectations_is_validated_on_candidates(tmp_path):
    """Mart suites need not ask for candidate rows: when every expectation is row-level
    (value lengths included), DuckDB selects the candidates and GE's counts are those
    of the whole table; a clean table passes without GE."""
    suite = {
        "name": "signatures",
        "meta": {"table": "marts.signatures"},
        "expectations": [
            {
                "type": "expect_column_value_lengths_to_be_between",
                "kwargs": {"column": "error_signature", "max_value": 5},
                "severity": "critical",
            },
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "error_signature"},
                "severity": "warning",
            },
        ],
    }
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        con.execute(
            "CREATE SCHEMA marts; CREATE TABLE marts.signatures AS SELECT * FROM "
            "(VALUES ('ok'), ('abcde'), ('abcdef'), (NULL), ('toolongtoo')) t(error_signature)"
        ).fetchall()
        # GE is given exactly the rows an expectation flags
        flagged = {row[0] for row in con.sql(suite_query(suite)).fetchall()}
        assert flagged == {"abcdef", None, "toolongtoo"}
        whole = validate_frame(con.sql(validated_rows_sql(suite)).df(), suite)
        candidates = validate_table(con, suite)
        assert candidates.rows == whole.rows == 5
        assert sorted(astuple(o) for o in candidates.outcomes) == sorted(
            astuple(o) for o in whole.outcomes
        )
        assert summary(candidates) == [
            ("critical", "expect_column_value_lengths_to_be_between", "error_signature", 2),
            ("warning", "expect_column_values_to_not_be_null", "error_signature", 1),
        ]
        # GE in its own process (started while dbt builds) says the same
        worker = validator.Worker()
        try:
            in_worker = validate_table(con, suite, worker.validate)
        finally:
            worker.close()
        assert astuple(in_worker) == astuple(candidates)
        con.execute(
            "DELETE FROM marts.signatures WHERE error_signature IS NULL "
            "OR length(error_signature) > 5"
        ).fetchall()
        assert summary(validate_table(con, suite)) == []


def test_the_validator_starts_only_after_checks_that_found_unexpected_rows(tmp_path):
    """The GE worker is started for a run whose last checks found unexpected rows (a
    standing warning): after clean checks, or before any, nothing is started; a gone
    worker is not used."""
    suite = {"name": "s", "meta": {"table": "marts.s"}, "expectations": []}
    try:
        validator.start_if_needed(tmp_path)  # no checks ran yet
        assert validator._worker is None
        record_results(tmp_path, "r1", [(suite, SuiteOutcome(suite="s", rows=1))])
        validator.start_if_needed(tmp_path)
        assert validator._worker is None
        failing = ExpectationOutcome("expect_column_values_to_be_between", "x", "warning", False, 1)
        outcome = SuiteOutcome(suite="s", rows=1, outcomes=[failing])
        record_results(tmp_path, "r2", [(suite, outcome)])
        validator.start_if_needed(tmp_path)
        worker = validator._worker
        assert worker is not None
        worker._process.kill()
        worker._process.wait()
        assert worker.validate(None, suite, 0) is None  # gone: the caller validates itself
    finally:
        validator.stop()
    assert validator._worker is None


# --- end to end ----------------------------------------------------------------------------

END = date(2026, 3, 10)


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """One refresh of a small generated source (built once for the module)."""
    from orchestration.demo import generate_demo_source

    root = tmp_path_factory.mktemp("gates")
    frames = generate_demo_source(days=1, executions_per_day=40, seed=3, end_date=END)
    with flowmart_home(root, frames) as refresh:
        refresh()
    return root


@pytest.fixture
def flowmart(refreshed, tmp_path, make_flowmart):
    return private_copy(refreshed, tmp_path / "copy", make_flowmart)


def test_refresh_runs_every_suite_raw_checks_first_and_publishes(refreshed):
    home = refreshed / "home"
    results = read_results(home)
    assert set(results) == set(suite_paths())  # every raw, mart and reconciliation suite
    assert len({r["run_id"] for r in results.values()}) == 1
    critical = {n: r["failures"] for n, r in results.items() if not r["passed"]}
    assert all(f["severity"] == "warning" for fs in critical.values() for f in fs), critical
    assert results["raw_process_instance"]["rows"] > 0
    assert results["reconcile_workflow_runs_daily_hourly"]["rows"] > 0
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    (run,) = instance.get_runs(limit=1)
    steps = {s.step_key: s for s in instance.get_run_step_stats(run.run_id)}
    # blocking raw checks sit between extraction and dbt
    assert steps["raw_tables"].end_time <= steps["raw_great_expectations"].start_time
    assert steps["raw_great_expectations"].end_time <= steps["dbt_models"].start_time
    assert (home / "published" / "flowmart.duckdb").exists()


def test_rebuild_job_runs_no_raw_check():
    from orchestration.definitions import defs

    def raw_checks(job_name: str) -> set:
        job = defs.resolve_job_def(job_name)
        return {
            k for k in job.asset_layer.asset_graph.asset_check_keys if k.asset_key.path[0] == "raw"
        }

    great_expectations = {
        dg.AssetCheckKey(dg.AssetKey(["raw", t.name]), "great_expectations") for t in SOURCE_TABLES
    }
    assert great_expectations <= raw_checks("refresh")
    assert not great_expectations & raw_checks("rebuild")


def run_subset(assets: set, checks: set):
    """Part of the refresh job, as the CLI runs it (in process, today's partition)."""
    from orchestration.definitions import defs

    today = datetime.now(UTC).date().isoformat()
    job = defs.resolve_job_def("refresh").get_subset(
        asset_selection=assets, asset_check_selection=checks
    )
    return job.execute_in_process(
        instance=dg.DagsterInstance.get(),
        raise_on_error=False,
        tags={
            "dagster/asset_partition_range_start": today,
            "dagster/asset_partition_range_end": today,
        },
    )


def ge_checks(prefix: str) -> set:
    from orchestration.defs.quality import great_expectations_suites, raw_great_expectations

    checks = raw_great_expectations if prefix == "raw" else great_expectations_suites
    return set(checks.check_keys)


PUBLISHED = dg.AssetKey(["published", "flowmart"])


def failed(result, severity) -> set[tuple[str, str]]:
    return {
        (e.asset_key.to_user_string(), e.check_name)
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == severity
    }


def test_tampered_mart_fails_reconciliation_and_blocks_publication(flowmart):
    with warehouse.connect(flowmart.home / "warehouse" / "work.duckdb") as con:
        (day,) = con.execute(
            "UPDATE marts.workflow_runs_daily SET runs = runs + 1, succeeded = succeeded + 1 "
            "WHERE (org_id, workflow_id, day) = (SELECT (org_id, workflow_id, day) "
            "FROM marts.workflow_runs_daily ORDER BY ALL LIMIT 1) RETURNING day"
        ).fetchall()[0]
        con.execute("INSERT INTO meta.dirty_days VALUES (?, 'test')", [day]).fetchall()
    before = publication_state(flowmart.home)
    result = run_subset({PUBLISHED}, ge_checks("marts"))
    assert failed(result, dg.AssetCheckSeverity.ERROR) == {
        ("marts/workflow_runs_daily", "reconciles_with_hourly"),
        ("marts/workflow_runs_daily", "reconciles_with_fct_executions"),
    }
    assert PUBLISHED not in {e.asset_key for e in result.get_asset_materialization_events()}
    assert publication_state(flowmart.home) == before

    code, out, _ = flowmart.run("status")
    assert code == 0
    assert "reconcile_workflow_runs_daily_hourly (marts/workflow_runs_daily:" in out
    assert "critical  expect_column_values_to_be_between(runs_difference): 1 unexpected" in out
    assert "succeeded_difference" in out


def test_raw_failure_stops_dbt_and_a_raw_warning_shows_in_status(flowmart):
    """A quarantine that let a negative token count through, and a clock two days
    ahead: the first stops dbt and publication, the second is reported only."""
    ahead = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=2)
    with warehouse.connect(flowmart.home / "warehouse" / "work.duckdb") as con:
        con.execute(
            "UPDATE raw.ai_execution_history SET tokens_used = -5 "
            "WHERE id = (SELECT min(id) FROM raw.ai_execution_history)"
        ).fetchall()
        con.execute(
            "UPDATE raw.api_key_usage SET created_at = ? "
            "WHERE id = (SELECT min(id) FROM raw.api_key_usage)",
            [ahead],
        ).fetchall()
    before = publication_state(flowmart.home)
    from orchestration.definitions import defs

    not_raw = {k for k in defs.resolve_asset_graph().executable_asset_keys if k.path[0] != "raw"}
    result = run_subset(not_raw, ge_checks("raw"))
    assert failed(result, dg.AssetCheckSeverity.ERROR) == {
        ("raw/ai_execution_history", "great_expectations")
    }
    assert failed(result, dg.AssetCheckSeverity.WARN) == {
        ("raw/api_key_usage", "great_expectations")
    }
    assert result.get_asset_materialization_events() == []  # no model, no publication
    assert publication_state(flowmart.home) == before

    code, out, _ = flowmart.run("status")
    assert code == 0
    assert "critical  expect_column_values_to_be_between(tokens_used): 1 unexpected" in out
    assert "warning   expect_column_values_to_be_null(future_created_at): 1 unexpected" in out

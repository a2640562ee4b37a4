"""Bad source rows end to end: each class of bad input is quarantined with the rule it
broke and its values as read, the marts exclude it, publication goes on; a row heals
when it is corrected or what it lacked arrives; a high quarantine rate and a source
table that lost a column stop publication, leaving the published file byte-identical."""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.oracle import home_environment, private_copy, publication_state
from tests.sources import (
    create_sqlite_source,
    execute,
    execution,
    insert_rows,
    node_run,
    organization,
)

D = "2026-03-02"
LATER = "2026-03-05T00:00:00Z"


def review(id: str, subject: str, round: int, execution_id: str = "e1", **overrides) -> dict:
    return {
        "id": id,
        "organization_id": "o1",
        "process_instance_id": execution_id,
        "node_instance_id": "n1",
        "subject_id": subject,
        "round": round,
        "reviewer_id": "r1",
        "status": "approved",
        "feedback": None,
        "created_at": f"{D}T11:00:00Z",
        "decided_at": f"{D}T12:00:00Z",
        "updated_at": f"{D}T12:00:00Z",
        **overrides,
    }


def ai_call(id: str, **overrides) -> dict:
    return {
        "id": id,
        "process_instance_id": "e1",
        "node_instance_id": "n1",
        "organization_id": "o1",
        "model_provider": "OPENAI",
        "model_name": "gpt-4o",
        "tokens_used": 100,
        "cost_cents": 1250,
        "execution_time_ms": 800,
        "success": 1,
        "tools_used": '["web_search"]',
        "created_at": f"{D}T10:00:01Z",
        **overrides,
    }


def at(hour: int, second: int = 0) -> str:
    return f"{D}T{hour:02d}:00:{second:02d}Z"


# (table, key, reasons) of every bad row the source below holds
EXPECTED = {
    ("process_instance", '{"id":"e_code"}', "unknown_value(state_cd)"),
    ("process_instance", '{"id":"e_backwards"}', "end_time_before_start_time"),
    ("process_instance", '{"id":null}', "null_key(id)"),
    ("process_instance", '{"id":"e_time"}', "unparseable(start_time)"),
    ("process_instance", '{"id":"e_json"}', "invalid_json(variables)"),
    ("process_instance", '{"id":"e_dup"}', "duplicate_key"),
    ("node_instance", '{"id":"n_code"}', "unknown_value(status_cd)"),
    ("node_instance", '{"id":"n_json"}', "invalid_json(output)"),
    ("node_instance", '{"id":"n_orphan"}', "orphan(process_instance_id)"),
    ("review_task", '{"id":"v_orphan"}', "orphan(process_instance_id)"),
    ("review_task", '{"id":"v_gap"}', "review_round_gap"),
    ("ai_execution_history", '{"id":"a_tokens"}', "below_min(tokens_used)"),
    ("ai_execution_history", '{"id":"a_cost"}', "below_min(cost_cents)"),
    ("ai_execution_history", '{"id":"a_tools"}', "invalid_json(tools_used)"),
    ("api_key_usage", '{"id":2}', "below_min(response_time_ms)"),
    ("organization", '{"id":"o_tz"}', "unknown_timezone(timezone)"),
}


def bad_source(path) -> str:
    url = create_sqlite_source(
        path,
        {
            "organization": [organization("o1", "UTC"), organization("o_tz", "GMT+2")],
            "process_instance": [
                execution("e1", at(10), at(10, 5)),
                execution("e_code", at(11), at(11, 5), state=9),
                execution("e_backwards", at(12, 5), at(12)),
                execution("e_time", "yesterday at noon", at(13, 5)),
                execution("e_json", at(14), at(14, 5), variables='{"order": 42'),
            ],
            "node_instance": [
                node_run("n1", "e1", at(10), at(10, 5), output='{"ok": true}'),
                node_run("n_code", "e1", at(10, 1), at(10, 2), status_cd=3),
                node_run("n_json", "e1", at(10, 2), at(10, 3), output="{oops"),
                node_run("n_orphan", "ghost", at(10), at(10, 1)),
            ],
            "review_task": [
                review("v1", "s1", 1),
                review("v_other", "s2", 1),
                review("v_gap", "s2", 3),
                review("v_orphan", "s3", 1, execution_id="ghost"),
            ],
            "ai_execution_history": [
                ai_call("a1"),
                ai_call("a_tokens", tokens_used=-5),
                ai_call("a_cost", cost_cents=-1250),
                ai_call("a_tools", tools_used='["web_search"'),
            ],
            "api_key_usage": [
                {
                    "id": i,
                    "api_key_id": "k1",
                    "organization_id": "o1",
                    "endpoint": "/x",
                    "method": "GET",
                    "status_code": 200,
                    "response_time_ms": ms,
                    "ip_address": None,
                    "error_message": None,
                    "created_at": at(10, i),
                }
                for i, ms in ((1, 40), (2, -3))
            ],
        },
    )
    # A source table that lost its constraints: a NULL id, two distinct rows under one id.
    execute(path, "CREATE TABLE pi AS SELECT * FROM process_instance")
    execute(path, "DROP TABLE process_instance")
    execute(path, "ALTER TABLE pi RENAME TO process_instance")
    unconstrained = [
        execution(None, at(13), at(13, 5)),
        execution("e_dup", at(15), at(15, 5), trigger_type="webhook"),
        execution("e_dup", at(15), at(15, 5), trigger_type="api"),
    ]
    for row in unconstrained:
        insert_rows(path, {"process_instance": [row]})
    return url


def quarantined(flowmart) -> set[tuple[str, str, str]]:
    with duckdb.connect(str(flowmart.home / "warehouse" / "work.duckdb"), read_only=True) as con:
        return set(
            con.sql(
                "SELECT table_name, row_key, reasons FROM quarantine.quarantined_rows"
            ).fetchall()
        )


def published(flowmart, sql: str) -> list[tuple]:
    with duckdb.connect(str(flowmart.published), read_only=True) as con:
        return con.sql(sql).fetchall()


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A home with one successful refresh (built once per module)."""
    root = tmp_path_factory.mktemp("baseline")
    with home_environment(root, bad_source(root / "source.sqlite")) as refresh:
        refresh()
    return root


@pytest.fixture
def bad(baseline, tmp_path, make_flowmart):
    """A private copy of the baseline installation, source included."""
    return private_copy(baseline, tmp_path / "copy", make_flowmart)


def test_bad_rows_are_quarantined_with_their_rule_and_excluded_from_the_marts(bad):
    assert quarantined(bad) == EXPECTED
    with duckdb.connect(str(bad.home / "warehouse" / "work.duckdb"), read_only=True) as con:
        [(values,)] = con.sql(
            "SELECT source_values FROM quarantine.quarantined_rows WHERE row_key LIKE '%e_time%'"
        ).fetchall()
    assert json.loads(values)["start_time"] == "yesterday at noon"  # as the source had it

    # n1 and the trigger run the engine did not record (trigger normalization)
    executions = published(bad, "SELECT execution_id, node_runs FROM marts.fct_executions")
    assert executions == [("e1", 2)]
    assert published(bad, "SELECT sum(node_runs) FROM marts.node_reliability_daily") == [(2,)]
    assert published(bad, "SELECT sum(decided) FROM marts.review_daily") == [(2,)]
    assert published(bad, "SELECT sum(calls), sum(tokens) FROM marts.ai_usage_daily") == [(1, 100)]
    assert published(bad, "SELECT sum(requests) FROM marts.api_usage_daily") == [(1,)]

    code, out, _ = bad.run("status")
    assert code == 0
    assert "quarantine  17 source rows no mart counts" in out, out  # both e_dup rows
    assert "unknown_value(state_cd)" in out and "review_round_gap" in out


def test_corrected_rows_and_late_parents_heal(bad):
    insert_rows(
        bad.source_path,
        {
            "process_instance": [
                execution("e_code", at(11), at(11, 5), state=4, updated_at=LATER),
                execution("ghost", at(9), at(9, 5), updated_at=LATER),
            ],
        },
    )
    code, out, err = bad.run("refresh")
    assert code == 0, out + err
    healed = {
        ("process_instance", '{"id":"e_code"}', "unknown_value(state_cd)"),
        ("node_instance", '{"id":"n_orphan"}', "orphan(process_instance_id)"),
        ("review_task", '{"id":"v_orphan"}', "orphan(process_instance_id)"),
    }
    assert quarantined(bad) == EXPECTED - healed
    assert published(
        bad, "SELECT execution_id, status, node_runs FROM marts.fct_executions ORDER BY 1"
    ) == [("e1", "succeeded", 2), ("e_code", "succeeded", 1), ("ghost", "succeeded", 2)]


def test_a_high_quarantine_rate_blocks_publication(bad, monkeypatch):
    before = publication_state(bad.home)
    insert_rows(
        bad.source_path,
        {"process_instance": [execution("e_bad2", at(16), at(16, 5), state=0, updated_at=LATER)]},
    )
    monkeypatch.setenv("FLOWMART_QUARANTINE_MIN_ROWS", "1")
    monkeypatch.setenv("FLOWMART_QUARANTINE_MAX_RATE", "0.5")
    code, out, err = bad.run("refresh")
    assert code != 0
    assert "raw/process_instance:quarantine_rate" in out + err
    assert publication_state(bad.home) == before

    monkeypatch.setenv("FLOWMART_QUARANTINE_MAX_RATE", "1")
    code, out, err = bad.run("refresh")  # the same batch, judged by a laxer limit
    assert code == 0, out + err
    assert ("process_instance", '{"id":"e_bad2"}', "unknown_value(state_cd)") in quarantined(bad)


def test_a_source_table_missing_a_column_publishes_nothing(bad):
    before = publication_state(bad.home)
    execute(bad.source_path, "ALTER TABLE node_instance DROP COLUMN attempts")
    code, out, err = bad.run("refresh")
    assert code != 0
    assert "node_instance" in out + err and "attempts" in out + err
    assert publication_state(bad.home) == before


# -- the rules no other test breaks, and a valid row that once blocked publication ---------
RARE_RULES = {
    ("process_instance", '{"id":"e_null"}', "null_value(process_meta_id)"),
    ("api_key_usage", '{"id":2}', "above_max(status_code)"),
    ("review_task", '{"id":"v_order"}', "decided_at_before_created_at"),
    ("review_task", '{"id":"v_status"}', "unknown_value(status)"),
    ("execution_log", '{"id":2}', "unknown_value(level)"),
}


def log_line(id: int, level: str) -> dict:
    return {
        "id": id,
        "process_instance_id": "e1",
        "organization_id": "o1",
        "node_id": "http",
        "level": level,
        "message": "called",
        "created_at": at(10, id),
    }


def request(id: int, status_code: int) -> dict:
    return {
        "id": id,
        "api_key_id": "k1",
        "organization_id": "o1",
        "endpoint": "/x",
        "method": "GET",
        "status_code": status_code,
        "response_time_ms": 40,
        "ip_address": None,
        "error_message": None,
        "created_at": at(10, id),
    }


def test_each_rare_rule_quarantines_its_row_and_zero_attempts_count_as_one(tmp_path, make_flowmart):
    """One bad row per rule no other test breaks, beside good rows: each is quarantined
    with its rule and counted by no mart. A node run with attempts = 0 (the contract
    allows it) counts one attempt and no retry, and publication goes on."""
    path = tmp_path / "source.sqlite"
    url = create_sqlite_source(
        path,
        {
            "organization": [organization("o1", "UTC")],
            "process_instance": [execution("e1", at(10), at(10, 5))],
            "node_instance": [
                node_run("n1", "e1", at(10), at(10, 1)),
                node_run("n_zero", "e1", at(10, 1), at(10, 2), attempts=0),
                node_run("n_retried", "e1", at(10, 2), at(10, 3), attempts=3),
            ],
            "review_task": [
                review("v1", "s1", 1),
                review("v_status", "s2", 1, status="maybe"),
                review("v_order", "s3", 1, created_at=at(12), decided_at=at(11)),
            ],
            "execution_log": [log_line(1, "INFO"), log_line(2, "LOUD")],
            "api_key_usage": [request(1, 200), request(2, 600)],
        },
    )
    # process_instance without its NOT NULL constraints, to hold a NULL workflow
    execute(path, "CREATE TABLE pi AS SELECT * FROM process_instance")
    execute(path, "DROP TABLE process_instance")
    execute(path, "ALTER TABLE pi RENAME TO process_instance")
    insert_rows(path, {"process_instance": [execution("e_null", at(11), at(11, 5))]})
    execute(path, "UPDATE process_instance SET process_meta_id = NULL WHERE id = 'e_null'")

    flowmart = make_flowmart(url)
    code, out, err = flowmart.run("refresh")
    assert code == 0, out + err
    assert quarantined(flowmart) == RARE_RULES
    assert published(flowmart, "SELECT execution_id, node_runs FROM marts.fct_executions") == [
        ("e1", 4)  # three recorded, and the trigger the engine did not record
    ]
    # attempts: 1 + 1 (attempts = 0) + 3 + 1 (trigger); retries: only n_retried's two
    for mart in ("node_reliability_daily", "node_type_reliability_daily"):
        totals = f"SELECT sum(node_runs), sum(attempts), sum(retries) FROM marts.{mart}"
        assert published(flowmart, totals) == [(4, 6, 2)], mart
    assert published(flowmart, "SELECT sum(decided) FROM marts.review_daily") == [(1,)]
    assert published(flowmart, "SELECT sum(log_lines) FROM marts.log_volume_daily") == [(1,)]
    assert published(flowmart, "SELECT sum(requests) FROM marts.api_usage_daily") == [(1,)]

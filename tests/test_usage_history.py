"""usage_monthly's month-end inventory comes from the warehouse's own history of
workflow state (dbt snapshots at every refresh), and from created_at/deleted_at only
before that history starts: a workflow that was disabled when last month ended and was
enabled since still counts as inactive for last month, once the warehouse saw it so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from tests.sources import create_sqlite_source, execution, insert_rows

NOW = datetime.now(UTC).replace(microsecond=0)
THIS_MONTH = NOW.replace(day=1, hour=0, minute=0, second=0)
LAST_MONTH = (THIS_MONTH - timedelta(days=1)).replace(day=1)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def workflow(id: str, org: str, active: bool, updated: datetime) -> dict:
    return {
        "id": id,
        "organization_id": org,
        "name": id,
        "trigger_type": "webhook",
        "is_active": int(active),
        "created_at": iso(LAST_MONTH - timedelta(days=40)),
        "updated_at": iso(updated),
        "deleted_at": None,
    }


def source_rows() -> dict[str, list[dict]]:
    """The agency a bills its client c; pro allows 1 execution and 1 active workflow.
    Last month: 2 top-level executions (and a sub-process), w1 disabled since day 5,
    w2 enabled. This month: one execution so far."""
    long_ago = iso(LAST_MONTH - timedelta(days=90))
    started = LAST_MONTH + timedelta(days=10)
    return {
        "plan": [
            {
                "tier": "pro",
                "monthly_execution_limit": 1,
                "active_workflow_limit": 1,
                "credential_limit": 5,
                "updated_at": long_ago,
            },
        ],
        "organization": [
            {
                "id": org,
                "name": org,
                "tier": "pro",
                "billing_owner_id": "a",
                "agency_id": agency,
                "timezone": "UTC",
                "created_at": long_ago,
                "updated_at": long_ago,
            }
            for org, agency in (("a", None), ("c", "a"))
        ],
        "workflow": [
            workflow("w1", "a", active=False, updated=LAST_MONTH + timedelta(days=5)),
            workflow("w2", "c", active=True, updated=LAST_MONTH - timedelta(days=40)),
        ],
        "credential": [
            {
                "id": "k1",
                "organization_id": "c",
                "type": "oauth2",
                "created_at": long_ago,
                "updated_at": long_ago,
                "deleted_at": None,
            },
        ],
        "process_instance": [
            execution("e1", iso(started), iso(started + timedelta(seconds=1)), organization_id="a"),
            execution(
                "e2",
                iso(started),
                iso(started + timedelta(seconds=1)),
                organization_id="c",
                process_meta_id="w2",
            ),
            execution(
                "e3",
                iso(started),
                iso(started + timedelta(seconds=1)),
                organization_id="c",
                process_meta_id="w2",
                parent_instance_id="e2",
            ),
            execution(
                "e4", iso(THIS_MONTH), iso(THIS_MONTH + timedelta(seconds=1)), organization_id="a"
            ),
        ],
        "usage_record": [
            {
                "billing_owner_id": "a",
                "period_start": LAST_MONTH.date().isoformat(),
                "executions_counted": 3,
                "updated_at": iso(THIS_MONTH),
            },
        ],
    }


def usage(flowmart) -> dict:
    code, _, err = flowmart.run("refresh")
    assert code == 0, err
    with duckdb.connect(str(flowmart.published), read_only=True) as con:
        rows = con.sql(
            "SELECT month, billing_owner_id, executions, active_workflows, credentials, "
            "over_any_limit, billed_executions, billing_difference "
            "FROM marts.usage_monthly ORDER BY month"
        ).fetchall()
    return {(month, owner): rest for month, owner, *rest in rows}


@pytest.fixture
def source(tmp_path):
    return create_sqlite_source(tmp_path / "source.sqlite", source_rows())


def test_month_end_inventory_follows_the_warehouse_history(source, make_flowmart, tmp_path):
    if timedelta(minutes=5) > NOW - THIS_MONTH:
        pytest.skip("the month has just begun: no room for a change after its first second")
    last, this = LAST_MONTH.date(), THIS_MONTH.date()
    flowmart = make_flowmart(source)
    first = usage(flowmart)
    # 2 top-level executions of a and c (not the sub-process) over a limit of 1; w1 off
    assert first[(last, "a")] == [2, 1, 1, True, 3, -1]
    assert first[(this, "a")] == [1, 1, 1, False, None, None]

    # w1 is enabled now, after last month ended
    enabled = workflow("w1", "a", active=True, updated=NOW - timedelta(seconds=1))
    insert_rows(flowmart.source_path, {"workflow": [enabled]})
    second = usage(flowmart)
    assert second[(last, "a")] == [2, 1, 1, True, 3, -1]  # the history knows it was off
    assert second[(this, "a")] == [1, 2, 1, True, None, None]  # as of now: 2 > 1

    # a warehouse that never saw w1 disabled only has created_at and deleted_at
    fresh = usage(make_flowmart(source, home=tmp_path / "fresh"))
    assert fresh[(last, "a")] == [2, 2, 1, True, 3, -1]
    assert fresh[(this, "a")] == [1, 2, 1, True, None, None]

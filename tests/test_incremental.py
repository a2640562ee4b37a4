"""Incremental refreshes, late changes, purges, backfills and the one-writer guard,
through the real CLI, Dagster, dbt and DuckDB."""

import subprocess
import sys
from datetime import date

import dagster as dg
import duckdb
import pytest

from orchestration.demo import generate_demo_source, write_source
from tests.oracle import mart_rows
from tests.sources import (
    create_sqlite_source,
    execute,
    execution,
    insert_rows,
    node_run,
    organization,
)

D1, D2 = "2026-03-01", "2026-03-02"


def query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).fetchall()


def daily(flowmart):
    return query(
        flowmart.published,
        "SELECT day::VARCHAR, runs, succeeded, failed, waiting FROM marts.workflow_runs_daily "
        "ORDER BY day",
    )


@pytest.fixture
def two_days(make_flowmart, tmp_path):
    url = create_sqlite_source(
        tmp_path / "source.sqlite",
        {
            "process_instance": [
                execution("waits", f"{D1}T10:00:00Z", None, state=2),
                execution("moves", f"{D1}T11:00:00Z", f"{D1}T11:00:05Z"),
                execution("stays", f"{D2}T09:00:00Z", f"{D2}T09:00:01Z"),
            ],
            "node_instance": [
                node_run("n-moves", "moves", f"{D1}T11:00:00Z", f"{D1}T11:00:05Z"),
                node_run("n-stays", "stays", f"{D2}T09:00:00Z", f"{D2}T09:00:01Z"),
            ],
        },
    )
    flowmart = make_flowmart(url)
    code, _, err = flowmart.run("refresh")
    assert code == 0, err
    assert daily(flowmart) == [(D1, 2, 1, 0, 1), (D2, 1, 1, 0, 0)]
    return flowmart


def test_late_completion_flips_its_start_day(two_days):
    late = f"{D1[:-2]}11T10:00:00Z"  # completes ten days later
    insert_rows(
        two_days.source_path,
        {"process_instance": [execution("waits", f"{D1}T10:00:00Z", late, state=4)]},
    )
    code, _, err = two_days.run("refresh")
    assert code == 0, err
    assert daily(two_days) == [(D1, 2, 2, 0, 0), (D2, 1, 1, 0, 0)]
    assert query(
        two_days.published, "SELECT status FROM marts.fct_executions WHERE execution_id = 'waits'"
    ) == [("succeeded",)]


def test_corrected_start_time_moves_the_run_and_leaves_nothing_stale(two_days):
    insert_rows(
        two_days.source_path,
        {
            "process_instance": [
                execution(
                    "moves", f"{D2}T11:00:00Z", f"{D2}T11:00:05Z", updated_at=f"{D2}T12:00:00Z"
                )
            ]
        },
    )
    code, _, err = two_days.run("refresh")
    assert code == 0, err
    assert daily(two_days) == [(D1, 1, 0, 0, 1), (D2, 2, 2, 0, 0)]
    assert query(
        two_days.published,
        "SELECT day::VARCHAR, node_runs FROM marts.fct_executions WHERE execution_id = 'moves'",
    ) == [(D2, 2)]  # its node run and the synthetic trigger


def test_purged_source_rows_stay_counted_through_refresh_and_backfill(two_days):
    execute(two_days.source_path, "DELETE FROM process_instance WHERE id = 'stays'")
    execute(two_days.source_path, "DELETE FROM node_instance WHERE process_instance_id = 'stays'")
    code, _, err = two_days.run("refresh")
    assert code == 0, err
    assert daily(two_days) == [(D1, 2, 1, 0, 1), (D2, 1, 1, 0, 0)]
    code, _, err = two_days.run("backfill", "--start", D1, "--end", D2)
    assert code == 0, err
    assert daily(two_days) == [(D1, 2, 1, 0, 1), (D2, 1, 1, 0, 0)]


def test_one_writer_at_a_time(two_days, monkeypatch):
    """A run that finds the warehouse locked fails at once with who holds it."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys; from pathlib import Path; from orchestration.locking import "
                "warehouse_lock\nwith warehouse_lock(Path(sys.argv[1]), {'job': 'backfill'}, 0):\n"
                "    print('held', flush=True); sys.stdin.readline()"
            ),
            str(two_days.home / "warehouse" / ".lock"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        before = two_days.published.read_bytes()
        monkeypatch.setenv("FLOWMART_LOCK_WAIT_SECONDS", "0")
        code, _, err = two_days.run("refresh")
        assert code == 1
        assert "another flowmart run holds the working warehouse" in err
        assert '"job": "backfill"' in err
        assert two_days.published.read_bytes() == before
    finally:
        holder.communicate("\n")
    code, _, err = two_days.run("refresh")
    assert code == 0, err


def test_backfills_are_idempotent_single_runs_equal_to_a_scratch_build(make_flowmart, tmp_path):
    end = date(2026, 3, 6)
    frames = generate_demo_source(days=4, executions_per_day=150, seed=3, end_date=end)
    url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    write_source(frames, url)
    scratch = make_flowmart(url, tmp_path / "scratch")
    assert scratch.run("refresh")[0] == 0
    expected = mart_rows(scratch.published)

    flowmart = make_flowmart(url, tmp_path / "home")
    assert flowmart.run("refresh")[0] == 0
    instance = dg.DagsterInstance.from_config(str(flowmart.home / "dagster"))
    runs_before = len(instance.get_runs())
    for _ in range(2):
        code, _, err = flowmart.run("backfill", "--start", "2026-03-03", "--end", "2026-03-06")
        assert code == 0, err
        assert mart_rows(flowmart.published) == expected
    runs = instance.get_runs()
    assert len(runs) == runs_before + 2  # a four-day range is one run, not four
    assert runs[0].tags["dagster/asset_partition_range_start"] == "2026-03-03"
    assert runs[0].tags["dagster/asset_partition_range_end"] == "2026-03-06"


def test_a_time_zone_change_alone_moves_every_month_of_its_organization(make_flowmart, tmp_path):
    """An organization's new time zone, the only change of a refresh (it marks no day):
    its runs move to their new local day and hour in every month, February's as much
    as March's; the other organization's rows stay as they were."""

    source = tmp_path / "source.sqlite"
    url = create_sqlite_source(
        source,
        {
            "organization": [organization("o1"), organization("o2")],
            "process_instance": [
                # Tuesday 2026-02-10 10:00 UTC; Tuesday 2026-03-10 23:00 UTC
                execution("feb", "2026-02-10T10:00:00Z", "2026-02-10T10:00:05Z"),
                execution("mar", "2026-03-10T23:00:00Z", "2026-03-10T23:00:05Z"),
                execution(
                    "other",
                    "2026-03-10T23:00:00Z",
                    "2026-03-10T23:00:05Z",
                    organization_id="o2",
                    process_meta_id="w2",
                ),
            ],
        },
    )
    flowmart = make_flowmart(url)
    distribution = (
        "SELECT org_id, month::VARCHAR, local_day_of_week, local_hour, timezone, runs "
        "FROM marts.run_distribution_monthly ORDER BY ALL"
    )
    code, _, err = flowmart.run("refresh")
    assert code == 0, err
    before = query(flowmart.published, distribution)
    assert before == [
        ("o1", "2026-02-01", 1, 10, "UTC", 1),
        ("o1", "2026-03-01", 1, 23, "UTC", 1),
        ("o2", "2026-03-01", 1, 23, "UTC", 1),
    ]

    execute(
        source,
        "UPDATE organization SET timezone = 'Asia/Kolkata', "
        "updated_at = '2026-03-11T00:00:00Z' WHERE id = 'o1'",
    )
    code, _, err = flowmart.run("refresh")
    assert code == 0, err
    # UTC+05:30: 10:00 -> 15:30 the same Tuesday; 23:00 -> 04:30 on Wednesday
    assert query(flowmart.published, distribution) == [
        ("o1", "2026-02-01", 1, 15, "Asia/Kolkata", 1),
        ("o1", "2026-03-01", 2, 4, "Asia/Kolkata", 1),
        ("o2", "2026-03-01", 1, 23, "UTC", 1),
    ]

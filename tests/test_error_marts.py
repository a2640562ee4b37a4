"""Error and recovery marts (error_signatures_daily, incidents, mttr_daily): a real
refresh of a generated source compared, row by row and column by column, with an
independent polars implementation of METRICS.md; plus an incident that opens on one
day and recovers in a later refresh, through the real CLI."""

import duckdb
import polars as pl

from tests.oracle import assert_same, expected_executions, read_mart, utc_naive
from tests.sources import create_sqlite_source, insert_rows, node_run
from tests.sources import execution as execution_row
from tests.text_rules import mask_personal_data, signature

# -- error signatures -------------------------------------------------------------------


def expected_error_signatures(frames) -> pl.DataFrame:
    executions = frames["process_instance"].select(
        pl.col("id").alias("process_instance_id"),
        pl.col("organization_id").alias("org_id"),
        pl.col("process_meta_id").alias("workflow_id"),
        pl.col("start_time").dt.date().alias("day"),
    )
    failed = (
        frames["node_instance"]
        .filter(pl.col("status_cd") == 7)
        .join(executions, on="process_instance_id")
        .with_columns(
            pl.col("error_details")
            .map_elements(signature, return_dtype=pl.String, skip_nulls=False)
            .alias("error_signature"),
            utc_naive("start_time").alias("seen_at"),
        )
        .sort("seen_at", "id")
    )
    return failed.group_by(
        "org_id", "workflow_id", "node_type", "error_signature", "day", maintain_order=True
    ).agg(
        pl.len().alias("occurrences"),
        pl.col("process_instance_id").n_unique().alias("executions_affected"),
        pl.col("seen_at").min().alias("first_seen_at"),
        pl.col("seen_at").max().alias("last_seen_at"),
        pl.col("error_details")
        .first()
        .map_elements(mask_personal_data, return_dtype=pl.String)
        .alias("sample_message"),
    )


def test_error_signatures_daily_matches_metrics_definitions(frames, published):
    expected = expected_error_signatures(frames)
    assert expected.height > 10
    assert_same(
        read_mart(published, "error_signatures_daily"),
        expected,
        ["org_id", "workflow_id", "node_type", "error_signature", "day"],
        all_columns=False,
    )


# -- incidents and MTTR -----------------------------------------------------------------


def terminal_sequence(frames) -> pl.DataFrame:
    """Each workflow's succeeded and failed executions, in METRICS.md's order."""
    times = frames["process_instance"].select(
        pl.col("id").alias("execution_id"),
        utc_naive("start_time").alias("start_time"),
        utc_naive("end_time").alias("end_time"),
    )
    return (
        expected_executions(frames)
        .drop("start_time")
        .join(times, on="execution_id")
        .filter(pl.col("status").is_in(["succeeded", "failed"]) & pl.col("end_time").is_not_null())
        .sort("workflow_id", "end_time", "start_time", "execution_id")
    )


def expected_incidents(frames) -> pl.DataFrame:
    failed = pl.col("status") == "failed"
    previous_failed = failed.shift(1).over("workflow_id").fill_null(False)
    sequence = (
        terminal_sequence(frames)
        .with_columns((failed & ~previous_failed).alias("opens"))
        .with_columns(
            pl.col("opens").cast(pl.Int64).cum_sum().over("workflow_id").alias("incident")
        )
    )
    # Within one incident number: its failures, then (maybe) successes up to the next one.
    return (
        sequence.filter(pl.col("incident") > 0)
        .group_by("workflow_id", "incident", maintain_order=True)
        .agg(
            pl.col("execution_id").first().alias("opening"),
            pl.col("org_id").first(),
            pl.col("end_time").first().alias("started_at"),
            pl.col("end_time").filter(pl.col("status") == "succeeded").first().alias("resolved_at"),
            (pl.col("status") == "failed").sum().cast(pl.Int64).alias("failed_runs"),
        )
        .with_columns(
            (pl.col("workflow_id") + ":" + pl.col("opening")).alias("incident_id"),
            ((pl.col("resolved_at") - pl.col("started_at")).dt.total_microseconds() / 1e6).alias(
                "time_to_recovery_s"
            ),
        )
        .select(
            "incident_id",
            "org_id",
            "workflow_id",
            "started_at",
            "resolved_at",
            "failed_runs",
            "time_to_recovery_s",
        )
    )


def expected_mttr_daily(frames) -> pl.DataFrame:
    last_activity = (
        terminal_sequence(frames)
        .group_by("workflow_id")
        .agg(pl.col("end_time").max().dt.date().alias("last_day"))
    )
    incidents = (
        expected_incidents(frames)
        .join(last_activity, on="workflow_id")
        .with_columns(
            pl.col("started_at").dt.date().alias("opened"),
            pl.col("resolved_at").dt.date().alias("resolved"),
        )
    )
    days = incidents.with_columns(
        pl.date_ranges("opened", pl.coalesce("resolved", "last_day")).alias("day")
    ).explode("day")
    resolved_today = pl.col("resolved") == pl.col("day")
    return days.group_by("org_id", "workflow_id", "day").agg(
        (pl.col("opened") == pl.col("day")).sum().cast(pl.Int64).alias("incidents_opened"),
        resolved_today.sum().cast(pl.Int64).alias("incidents_resolved"),
        pl.col("time_to_recovery_s").filter(resolved_today).mean().alias("mttr_s"),
        (
            (pl.col("opened") <= pl.col("day"))
            & (pl.col("resolved").is_null() | (pl.col("resolved") > pl.col("day")))
        )
        .sum()
        .cast(pl.Int64)
        .alias("open_incidents"),
    )


def test_incidents_match_metrics_definitions(frames, published):
    expected = expected_incidents(frames)
    assert expected["resolved_at"].null_count() > 0 and expected["failed_runs"].max() > 1
    assert_same(read_mart(published, "incidents"), expected, ["incident_id"], all_columns=False)


def test_mttr_daily_matches_metrics_definitions(frames, published):
    expected = expected_mttr_daily(frames)
    assert expected["incidents_resolved"].sum() > 0
    assert_same(
        read_mart(published, "mttr_daily"),
        expected,
        ["org_id", "workflow_id", "day"],
        all_columns=False,
    )


# -- an incident across two refreshes ---------------------------------------------------

D1, D2 = "2026-03-01", "2026-03-02"


def query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_incident_opened_one_day_is_resolved_by_a_later_refresh(make_flowmart, tmp_path):
    url = create_sqlite_source(
        tmp_path / "source.sqlite",
        {
            "process_instance": [
                execution_row("ok", f"{D1}T09:00:00Z", f"{D1}T09:01:00Z"),
                execution_row("legacy", f"{D1}T10:00:00Z", f"{D1}T10:01:00Z", state=7),
                execution_row("aborted", f"{D1}T10:30:00Z", f"{D1}T10:31:00Z", state=3),
                execution_row("unhandled", f"{D1}T11:00:00Z", f"{D1}T11:02:00Z"),
            ],
            "node_instance": [
                node_run("n-ok", "ok", f"{D1}T09:00:00Z", f"{D1}T09:01:00Z"),
                node_run(
                    "n-bad",
                    "unhandled",
                    f"{D1}T11:00:00Z",
                    f"{D1}T11:02:00Z",
                    status_cd=7,
                    error_details="Request to https://x.io/1 failed with status 503",
                ),
            ],
        },
    )
    flowmart = make_flowmart(url)
    code, _, err = flowmart.run("refresh")
    assert code == 0, err
    incidents_sql = (
        "SELECT incident_id, started_at::VARCHAR, resolved_at::VARCHAR, failed_runs, "
        "time_to_recovery_s FROM marts.incidents"
    )
    mttr_sql = (
        "SELECT day::VARCHAR, incidents_opened, incidents_resolved, mttr_s, open_incidents "
        "FROM marts.mttr_daily ORDER BY day"
    )
    assert query(flowmart.published, incidents_sql) == [
        ("w1:legacy", f"{D1} 10:01:00", None, 2, None)
    ]
    assert query(flowmart.published, mttr_sql) == [(D1, 1, 0, None, 1)]
    assert query(
        flowmart.published,
        "SELECT day::VARCHAR, error_signature, occurrences FROM marts.error_signatures_daily",
    ) == [(D1, "request to <url> failed with status <n>", 1)]

    insert_rows(
        flowmart.source_path,
        {
            "process_instance": [execution_row("recovers", f"{D2}T08:00:00Z", f"{D2}T08:30:00Z")],
            "node_instance": [node_run("n-rec", "recovers", f"{D2}T08:00:00Z", f"{D2}T08:30:00Z")],
        },
    )
    code, _, err = flowmart.run("refresh")
    assert code == 0, err
    recovery_s = 22 * 3600 + 29 * 60  # D1 10:01 -> D2 08:30
    assert query(flowmart.published, incidents_sql) == [
        ("w1:legacy", f"{D1} 10:01:00", f"{D2} 08:30:00", 2, recovery_s)
    ]
    assert query(flowmart.published, mttr_sql) == [
        (D1, 1, 0, None, 1),
        (D2, 0, 1, recovery_s, 0),
    ]

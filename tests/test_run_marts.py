"""Run, node, log and local-time marts end to end: a generated source, a real
`flowmart refresh`, and every row and column compared with an independent polars
implementation of METRICS.md (floats with relative tolerance 1e-6)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tests.oracle import assert_same, expected_executions, read_mart, utc_naive

STATUSES = ("succeeded", "failed", "aborted", "running", "waiting")
PERCENTILES = ((0.5, "p50_duration_ms"), (0.95, "p95_duration_ms"), (0.99, "p99_duration_ms"))


def run_metrics(rows: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    count = lambda s: (pl.col("status") == s).sum()  # noqa: E731
    terminal = pl.col("succeeded") + pl.col("failed")
    return (
        rows.group_by(keys)
        .agg(
            pl.len().alias("runs"),
            *(count(s).alias(s) for s in STATUSES),
            pl.col("duration_ms").mean().alias("avg_duration_ms"),
            pl.col("duration_ms").sum().alias("total_duration_ms"),
            *(
                pl.col("duration_ms").quantile(q, interpolation="linear").alias(name)
                for q, name in PERCENTILES
            ),
        )
        .with_columns(
            pl.when(terminal > 0).then(pl.col("succeeded") / terminal).alias("success_rate"),
            pl.when(terminal > 0).then(pl.col("failed") / terminal).alias("failure_rate"),
        )
    )


def test_workflow_runs_hourly(frames, published):
    rows = expected_executions(frames).with_columns(
        utc_naive("start_time").dt.truncate("1h").alias("hour")
    )
    expected = run_metrics(rows, ["org_id", "workflow_id", "hour", "day"])
    actual = read_mart(published, "workflow_runs_hourly")
    assert_same(actual, expected, ["org_id", "workflow_id", "hour"])
    assert (actual["hour"].dt.date() == actual["day"]).all()


def test_org_runs_daily(frames, published):
    expected = run_metrics(expected_executions(frames), ["org_id", "day"])
    assert_same(read_mart(published, "org_runs_daily"), expected, ["org_id", "day"])


def test_platform_runs_daily(frames, published):
    expected = run_metrics(expected_executions(frames), ["day"])
    actual = read_mart(published, "platform_runs_daily")
    assert_same(actual, expected, ["day"])
    assert actual["runs"].sum() == frames["process_instance"].height


def node_runs(frames) -> pl.DataFrame:
    """Node runs with their execution's org, workflow and day, trigger-normalized."""
    execs = frames["process_instance"].select(
        pl.col("id").alias("process_instance_id"),
        pl.col("organization_id").alias("org_id"),
        pl.col("process_meta_id").alias("workflow_id"),
        "trigger_type",
        pl.col("start_time").dt.date().alias("day"),
    )
    recorded = frames["node_instance"].join(execs, on="process_instance_id", how="inner")
    has_trigger = recorded.filter(pl.col("node_type").str.ends_with("Trigger")).select(
        "process_instance_id"
    )
    synthetic = execs.join(has_trigger.unique(), on="process_instance_id", how="anti").select(
        "process_instance_id",
        "org_id",
        "workflow_id",
        "day",
        pl.lit("__trigger__").alias("node_id"),
        (pl.col("trigger_type") + "Trigger").alias("node_type"),
        pl.lit(8, dtype=pl.Int16).alias("status_cd"),
        pl.lit(1, dtype=pl.Int32).alias("attempts"),
        pl.lit(None, dtype=pl.String).alias("error_details"),
        pl.lit(None, dtype=pl.Float64).alias("duration_ms"),
    )
    recorded = recorded.select(
        "process_instance_id",
        "org_id",
        "workflow_id",
        "day",
        "node_id",
        "node_type",
        "status_cd",
        pl.max_horizontal("attempts", 1).alias("attempts"),  # a run is one attempt at least
        "error_details",
        pl.when(pl.col("end_time").is_not_null())
        .then((pl.col("end_time") - pl.col("start_time")).dt.total_microseconds() / 1000)
        .alias("duration_ms"),
    )
    return pl.concat([recorded, synthetic])


def node_metrics(rows: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    count = lambda code: (pl.col("status_cd") == code).sum()  # noqa: E731
    decided = pl.col("successes") + pl.col("failures")
    return (
        rows.group_by(keys)
        .agg(
            pl.col("attempts").cast(pl.Int64).sum().alias("attempts"),
            pl.len().alias("node_runs"),
            count(8).alias("successes"),
            count(7).alias("failures"),
            count(6).alias("cancelled"),
            count(5).alias("in_progress"),
            (pl.col("error_details") == "TIMEOUT").fill_null(False).sum().alias("timeouts"),
            (pl.col("attempts").cast(pl.Int64) - 1).sum().alias("retries"),
            pl.col("duration_ms").mean().alias("avg_duration_ms"),
            pl.col("duration_ms").quantile(0.95, interpolation="linear").alias("p95_duration_ms"),
        )
        .with_columns(pl.when(decided > 0).then(pl.col("failures") / decided).alias("failure_rate"))
    )


def test_node_reliability_daily(frames, published):
    keys = ["org_id", "workflow_id", "node_id", "node_type", "day"]
    rows = node_runs(frames)
    expected = node_metrics(rows, keys)
    actual = read_mart(published, "node_reliability_daily")
    assert_same(actual, expected, keys)
    assert actual["node_runs"].sum() == rows.height
    assert (actual["timeouts"] > 0).any() and (actual["node_id"] == "__trigger__").any()


def test_node_type_reliability_daily(frames, published):
    expected = node_metrics(node_runs(frames), ["node_type", "day"])
    assert_same(read_mart(published, "node_type_reliability_daily"), expected, ["node_type", "day"])


def test_log_volume_daily(frames, published):
    execs = frames["process_instance"].select(
        pl.col("id").alias("process_instance_id"),
        pl.col("organization_id").alias("org_id"),
        pl.col("process_meta_id").alias("workflow_id"),
    )
    level = lambda name: (pl.col("level") == name).sum()  # noqa: E731
    expected = (
        frames["execution_log"]
        .join(execs, on="process_instance_id", how="inner")
        .group_by("org_id", "workflow_id", pl.col("created_at").dt.date().alias("day"))
        .agg(
            pl.len().alias("log_lines"),
            level("ERROR").alias("error_lines"),
            level("WARN").alias("warn_lines"),
        )
    )
    actual = read_mart(published, "log_volume_daily")
    assert_same(actual, expected, ["org_id", "workflow_id", "day"])
    assert actual["error_lines"].sum() > 0 and actual["warn_lines"].sum() > 0


def test_run_distribution_monthly(frames, published):
    zones = frames["organization"].select(pl.col("id").alias("organization_id"), pl.col("timezone"))
    starts = frames["process_instance"].join(zones, on="organization_id", how="left")
    assert starts["timezone"].null_count() == 0
    local = pl.concat(
        [
            group.with_columns(
                pl.col("start_time")
                .dt.convert_time_zone(tz)
                .dt.replace_time_zone(None)
                .alias("local")
            ).select("organization_id", "process_meta_id", "start_time", "timezone", "local")
            for (tz,), group in starts.group_by("timezone")
        ]
    )
    expected = local.group_by(
        pl.col("organization_id").alias("org_id"),
        pl.col("process_meta_id").alias("workflow_id"),
        pl.col("start_time").dt.truncate("1mo").dt.date().alias("month"),
        (pl.col("local").dt.weekday() - 1).alias("local_day_of_week"),
        pl.col("local").dt.hour().alias("local_hour"),
        "timezone",
    ).agg(pl.len().alias("runs"))
    keys = ["org_id", "workflow_id", "month", "local_day_of_week", "local_hour"]
    actual = read_mart(published, "run_distribution_monthly")
    assert_same(actual, expected, keys)
    assert actual["runs"].sum() == frames["process_instance"].height
    # the generated organizations span time zones on both sides of UTC
    assert actual["timezone"].n_unique() > 3


def test_late_changes_reach_the_incremental_marts(published, request):
    if request.node.callspec.params["built"] != "after_late_changes":
        pytest.skip("only after the second, incremental refresh")
    distribution = read_mart(published, "run_distribution_monthly")
    assert (distribution["month"] == date(2026, 2, 1)).any(), "corrected start_time: new month"
    assert (distribution["timezone"] == "Asia/Kolkata").any(), "time-zone change rebuilt"
    assert (read_mart(published, "platform_runs_daily")["day"] == date(2026, 2, 26)).any()

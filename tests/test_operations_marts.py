"""Operations marts (workspace_benchmarks, execution_path_variants, slow_executions) end
to end: the shared demo builds compared, row by row and column by column, with
independent polars implementations of their definitions (floats with relative tolerance
1e-6). The incidents and review oracles of their own modules are reused as inputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import yaml

from tests.oracle import assert_same, expected_executions, read_mart, utc_naive
from tests.test_error_marts import expected_incidents
from tests.test_review_marts import expected_review_daily
from tests.text_rules import mask_personal_data

TERMINAL = ("succeeded", "failed")
DBT_VARS = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "dbt_project" / "dbt_project.yml").read_text()
)["vars"]
BENCHMARKED = (
    "runs",
    "success_rate",
    "p95_duration_ms",
    "mttr_s",
    "first_pass_approval_rate",
    "ai_cost_per_run_usd",
)


def month(column: str) -> pl.Expr:
    """The first day of the UTC month of a date or (naive UTC) timestamp, as a date."""
    return pl.col(column).dt.truncate("1mo").cast(pl.Date).alias("month")


def ratio(numerator: str, denominator: str) -> pl.Expr:
    return pl.when(pl.col(denominator) > 0).then(pl.col(numerator) / pl.col(denominator))


def executions(frames) -> pl.DataFrame:
    return expected_executions(frames).with_columns(month("day"))


def node_runs(frames) -> pl.DataFrame:
    """Every node run with its execution's org, workflow and start day; an execution
    whose engine wrote no trigger row gets one `__trigger__` run without times."""
    execs = frames["process_instance"].select(
        pl.col("id").alias("execution_id"),
        pl.col("organization_id").alias("org_id"),
        pl.col("process_meta_id").alias("workflow_id"),
        "trigger_type",
        pl.col("start_time").dt.date().alias("day"),
    )
    recorded = (
        frames["node_instance"]
        .rename({"process_instance_id": "execution_id", "id": "node_run_id"})
        .join(execs, on="execution_id", how="inner")
        .with_columns(
            pl.col("node_type").str.ends_with("Trigger").alias("is_trigger"),
            utc_naive("start_time").alias("start_time"),
            ((pl.col("end_time") - pl.col("start_time")).dt.total_microseconds() / 1000).alias(
                "duration_ms"
            ),
        )
    )
    with_trigger = recorded.filter("is_trigger").select("execution_id").unique()
    synthetic = execs.join(with_trigger, on="execution_id", how="anti").select(
        "execution_id",
        "org_id",
        "workflow_id",
        "day",
        pl.lit(None, dtype=pl.String).alias("node_run_id"),
        pl.lit("__trigger__").alias("node_id"),
        (pl.col("trigger_type") + "Trigger").alias("node_type"),
        pl.lit(True).alias("is_trigger"),
        pl.lit(None, dtype=recorded["start_time"].dtype).alias("start_time"),
        pl.lit(None, dtype=pl.Float64).alias("duration_ms"),
    )
    return pl.concat([recorded.select(synthetic.columns), synthetic])


# -- execution_path_variants --------------------------------------------------------------


def execution_paths(frames) -> pl.DataFrame:
    """Each execution's path: the trigger, then runs by start_time, node run id; the
    runs of one node folded into one step at its first run, `node xN` when N > 1."""
    steps = (
        node_runs(frames)
        .sort(
            [~pl.col("is_trigger"), pl.col("start_time"), pl.col("node_run_id")],
            nulls_last=False,
        )
        .with_columns(pl.int_range(pl.len()).over("execution_id").alias("position"))
        .group_by("execution_id", "node_id")
        .agg(pl.col("position").min(), pl.len().alias("runs"))
        .with_columns(
            pl.when(pl.col("runs") > 1)
            .then(pl.format("{} x{}", "node_id", "runs"))
            .otherwise(pl.col("node_id"))
            .alias("step")
        )
    )
    return (
        steps.sort("position")
        .group_by("execution_id")
        .agg(pl.col("step").str.join(" > ").alias("path"), pl.len().alias("nodes"))
        .with_columns(
            pl.col("path")
            .map_elements(lambda p: hashlib.md5(p.encode()).hexdigest(), return_dtype=pl.String)
            .alias("path_hash")
        )
    )


def expected_path_variants(frames) -> pl.DataFrame:
    keys = ["org_id", "workflow_id", "month"]
    return (
        executions(frames)
        .join(execution_paths(frames), on="execution_id", how="inner")
        .group_by(*keys, "path", "path_hash", "nodes")
        .agg(
            pl.len().alias("executions"),
            (pl.col("status") == "succeeded").sum().alias("succeeded"),
            (pl.col("status") == "failed").sum().alias("failed"),
            pl.col("duration_ms").mean().alias("avg_duration_ms"),
        )
        .with_columns(
            (pl.col("succeeded") + pl.col("failed")).alias("terminal"),
            (pl.col("executions") / pl.col("executions").sum().over(keys)).alias(
                "share_of_workflow_executions"
            ),
        )
        .with_columns(ratio("failed", "terminal").alias("failure_rate"))
        .drop("terminal")
        .sort(["executions", "path"], descending=[True, False])
        .with_columns(pl.int_range(1, pl.len() + 1).over(keys).alias("variant_rank"))
    )


def test_execution_path_variants(frames, published):
    expected = expected_path_variants(frames)
    # the demo's loops fold into `node xN` steps; some executions lack a trigger row
    assert expected["path"].str.contains(r" x\d").any()
    assert expected["path"].str.starts_with("__trigger__ > ").any()
    assert (expected["variant_rank"] > 1).any() and expected["failure_rate"].null_count() > 0
    actual = read_mart(published, "execution_path_variants")
    assert_same(actual, expected, ["org_id", "workflow_id", "month", "path"])
    assert actual["executions"].sum() == frames["process_instance"].height


# -- slow_executions ----------------------------------------------------------------------


def p95(rows: pl.DataFrame, keys: list[str], name: str) -> pl.DataFrame:
    return rows.group_by(keys).agg(
        pl.col("duration_ms").quantile(0.95, interpolation="linear").alias(name)
    )


def expected_slow_executions(frames) -> pl.DataFrame:
    workflow_day = ["org_id", "workflow_id", "day"]
    terminal = executions(frames).filter(pl.col("status").is_in(TERMINAL))
    slow = terminal.join(p95(terminal, workflow_day, "p95_duration_ms"), on=workflow_day).filter(
        pl.col("duration_ms") > pl.col("p95_duration_ms")
    )
    node_day = [*workflow_day, "node_id", "node_type"]
    runs = node_runs(frames)
    finished = runs.filter(pl.col("duration_ms").is_not_null())
    first_slow = (
        runs.join(slow.select("execution_id"), on="execution_id", how="semi")
        .join(p95(finished, node_day, "node_p95_duration_ms"), on=node_day)
        .filter(pl.col("duration_ms") > pl.col("node_p95_duration_ms"))
        .sort("start_time", "node_run_id")
        .group_by("execution_id")
        .first()
        .select(
            "execution_id",
            pl.col("node_id").alias("first_slow_node_id"),
            pl.col("node_type").alias("first_slow_node_type"),
            pl.col("duration_ms").alias("first_slow_node_duration_ms"),
            "node_p95_duration_ms",
        )
    )
    return (
        slow.join(first_slow, on="execution_id", how="left")
        .with_columns(
            utc_naive("start_time").alias("started_at"),
            (pl.col("duration_ms") - pl.col("p95_duration_ms")).alias("excess_ms"),
        )
        .drop("start_time", "month")
    )


def test_slow_executions(frames, published):
    expected = expected_slow_executions(frames)
    assert expected.height > 10
    assert expected["first_slow_node_id"].null_count() < expected.height
    actual = read_mart(published, "slow_executions")
    assert_same(actual, expected, ["execution_id"])
    assert (actual["excess_ms"] > 0).all()


# -- workspace_benchmarks -----------------------------------------------------------------


def monthly_activity(frames) -> list[pl.DataFrame]:
    """Per (org_id, month): runs, p95, resolved incidents, first passes and AI cost."""
    execs = executions(frames)
    runs = execs.group_by("org_id", "month").agg(
        pl.len().alias("runs"),
        (pl.col("status") == "succeeded").sum().alias("succeeded"),
        (pl.col("status") == "failed").sum().alias("failed"),
        pl.col("duration_ms").quantile(0.95, interpolation="linear").alias("p95_duration_ms"),
    )
    recoveries = (
        expected_incidents(frames)
        .filter(pl.col("resolved_at").is_not_null())
        .group_by("org_id", month("resolved_at"))
        .agg(
            pl.len().alias("incidents_resolved"),
            pl.col("time_to_recovery_s").mean().alias("mttr_s"),
        )
    )
    reviews = (
        expected_review_daily(frames)
        .group_by("org_id", month("day"))
        .agg(pl.col("first_pass_subjects").sum(), pl.col("first_pass_approved").sum())
    )
    ai_costs = (
        frames["ai_execution_history"]
        .group_by(
            pl.col("organization_id").alias("org_id"),
            pl.col("created_at").dt.date().dt.truncate("1mo").alias("month"),
        )
        .agg((pl.col("cost_cents").sum() / 10000).alias("ai_cost_usd"))
    )
    return [runs, recoveries, reviews, ai_costs]


def percentile_rank(metric: str, peers: list[str]) -> pl.Expr:
    """percent_rank() among the non-NULL values: (rank - 1) / (n - 1), ties at the
    lowest rank, 0 for a single value."""
    values = pl.col(metric).count().over(peers)
    rank = pl.col(metric).rank("min").over(peers)
    return (
        pl.when(pl.col(metric).is_null())
        .then(None)
        .when(values == 1)
        .then(0.0)
        .otherwise((rank - 1) / (values - 1))
    )


def is_outlier(metric: str, peers: list[str], k: float, min_workspaces: int) -> pl.Expr:
    q1 = pl.col(metric).quantile(0.25, interpolation="linear").over(peers)
    q3 = pl.col(metric).quantile(0.75, interpolation="linear").over(peers)
    outside = (pl.col(metric) < q1 - k * (q3 - q1)) | (pl.col(metric) > q3 + k * (q3 - q1))
    enough = pl.col(metric).count().over(peers) >= min_workspaces
    return (enough & outside).fill_null(False)


def expected_workspace_benchmarks(frames) -> pl.DataFrame:
    k = DBT_VARS["benchmark_outlier_iqr_multiplier"]
    min_workspaces = DBT_VARS["benchmark_min_workspaces"]
    clients = (
        frames["organization"]
        .filter(pl.col("agency_id").is_not_null())
        .select(
            pl.col("id").alias("org_id"),
            pl.col("name")
            .map_elements(mask_personal_data, return_dtype=pl.String)
            .alias("org_name"),
            "agency_id",
        )
    )
    activity = monthly_activity(frames)
    rows = pl.concat([a.select("org_id", "month") for a in activity]).unique()
    for measures in activity:
        rows = rows.join(measures, on=["org_id", "month"], how="left")
    peers = ["agency_id", "month"]
    rows = (
        rows.join(clients, on="org_id", how="inner")
        .with_columns(
            pl.col("runs", "incidents_resolved", "first_pass_subjects").fill_null(0),
            pl.col("ai_cost_usd").fill_null(0.0),
            (pl.col("succeeded") + pl.col("failed")).alias("terminal"),
        )
        .with_columns(
            ratio("succeeded", "terminal").alias("success_rate"),
            ratio("first_pass_approved", "first_pass_subjects").alias("first_pass_approval_rate"),
            ratio("ai_cost_usd", "runs").alias("ai_cost_per_run_usd"),
            pl.len().over(peers).alias("workspaces"),
        )
        .with_columns(
            *(percentile_rank(m, peers).alias(f"{m}_percentile_rank") for m in BENCHMARKED),
            *(
                is_outlier(m, peers, k, min_workspaces).alias(f"{m}_is_outlier")
                for m in BENCHMARKED
            ),
        )
        .with_columns(pl.any_horizontal(f"{m}_is_outlier" for m in BENCHMARKED).alias("is_outlier"))
    )
    return rows.drop("succeeded", "failed", "terminal", "first_pass_approved")


def test_workspace_benchmarks(frames, published):
    expected = expected_workspace_benchmarks(frames)
    # the demo's agency has three client workspaces side by side (with three values and
    # k = 1.5 no value can lie outside the fences: the unit tests cover the outliers)
    assert expected["workspaces"].max() == 3
    assert (expected["runs_percentile_rank"] == 0.5).any()
    actual = read_mart(published, "workspace_benchmarks")
    assert_same(actual, expected, ["agency_id", "org_id", "month"])

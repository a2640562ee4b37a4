"""alert_events end to end: a generated source, a real `flowmart refresh`, and every
enabled alert rule evaluated again in polars straight from the source tables (each
window's rows picked by brute force, not from the hourly marts), compared row by row
with the published mart (floats with relative tolerance 1e-6). The threshold, guard and
daylight-saving edges are dbt unit tests (dbt_project/models/marts/alert_events.yml)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import polars as pl

from tests.oracle import assert_same, expected_executions, mart_rows, read_mart, utc_naive
from tests.text_rules import mask_personal_data

MIN_RUNS = 5  # dbt_project.yml, var alert_min_runs
RUN_METRICS = (
    "runs",
    "failed_runs",
    "failure_rate",
    "success_rate",
    "avg_duration_ms",
    "p95_duration_ms",
)
UNGUARDED = ("runs", "failed_runs", "ai_cost_usd")
COMPARISONS = {
    ">": lambda value, threshold: value > threshold,
    ">=": lambda value, threshold: value >= threshold,
    "<": lambda value, threshold: value < threshold,
    "<=": lambda value, threshold: value <= threshold,
    "=": lambda value, threshold: value == threshold,
}
ALERT_ID = re.compile(r"^.+:\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$")


def scope_rows(frames, rules: pl.DataFrame) -> pl.DataFrame:
    """Every source row each rule watches: (rule_id, at, status, duration_ms, is_error,
    cost_cents). Runs: the rule's workflow's executions in its organization, or all of
    the organization's; API requests: the organization's, whatever the workflow; AI
    calls: the organization's, or those of the workflow's executions."""
    executions = expected_executions(frames).select(
        "org_id", "workflow_id", utc_naive("start_time").alias("at"), "status", "duration_ms"
    )
    requests = frames["api_key_usage"].select(
        pl.col("organization_id").alias("org_id"),
        utc_naive("created_at").alias("at"),
        (pl.col("status_code") >= 400).alias("is_error"),
    )
    workflow_of = frames["process_instance"].select(
        pl.col("id").alias("process_instance_id"), pl.col("process_meta_id").alias("workflow_id")
    )
    ai_calls = (
        frames["ai_execution_history"]
        .join(workflow_of, on="process_instance_id", how="left")
        .select(
            pl.col("organization_id").alias("org_id"),
            "workflow_id",
            utc_naive("created_at").alias("at"),
            "cost_cents",
        )
    )
    in_scope = pl.col("rule_workflow_id").is_null() | (
        pl.col("rule_workflow_id") == pl.col("workflow_id")
    )
    rules = rules.select(
        "rule_id", "org_id", "metric", pl.col("workflow_id").alias("rule_workflow_id")
    )
    return pl.concat(
        [
            rules.filter(pl.col("metric").is_in(RUN_METRICS))
            .join(executions, on="org_id")
            .filter(in_scope),
            rules.filter(pl.col("metric") == "api_error_rate").join(requests, on="org_id"),
            rules.filter(pl.col("metric") == "ai_cost_usd")
            .join(ai_calls, on="org_id")
            .filter(in_scope),
        ],
        how="diagonal_relaxed",
    ).select("rule_id", "at", "status", "duration_ms", "is_error", "cost_cents")


def window_ends(rows: pl.DataFrame, rules: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Each rule's window ends: every hour from its first row's hour + 1 h to its last
    row's hour + 1 h, none after the current hour."""
    current_hour = now.replace(minute=0, second=0, microsecond=0, tzinfo=None)
    return (
        rows.group_by("rule_id")
        .agg(
            (pl.col("at").min().dt.truncate("1h") + timedelta(hours=1)).alias("first"),
            (pl.col("at").max().dt.truncate("1h") + timedelta(hours=1)).alias("last"),
        )
        .with_columns(pl.min_horizontal("last", pl.lit(current_hour)).alias("last"))
        .filter(pl.col("first") <= pl.col("last"))
        .select(
            "rule_id",
            pl.datetime_ranges("first", "last", interval="1h", time_unit="us").alias("window_end"),
        )
        .explode("window_end")
        .join(rules, on="rule_id")
        .with_columns(
            (pl.col("window_end") - pl.duration(minutes=pl.col("window_minutes"))).alias(
                "window_start"
            )
        )
    )


def window_measures(ends: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The measures of every window, from the rows in [window_start, window_end)."""
    terminal = pl.col("status").is_in(("succeeded", "failed"))
    measured = (
        ends.select("rule_id", "window_start", "window_end")
        .join(rows, on="rule_id")
        .filter((pl.col("at") >= pl.col("window_start")) & (pl.col("at") < pl.col("window_end")))
        .group_by("rule_id", "window_end")
        .agg(
            pl.col("at").count().alias("rows"),
            terminal.sum().alias("terminal_runs"),
            (pl.col("status") == "failed").sum().alias("failed_runs"),
            (pl.col("status") == "succeeded").sum().alias("succeeded_runs"),
            pl.col("duration_ms").filter(terminal).mean().alias("avg_duration_ms"),
            pl.col("duration_ms").filter(terminal).quantile(0.95, "linear").alias("p95"),
            pl.col("is_error").sum().alias("errors"),
            pl.col("cost_cents").sum().alias("cost_cents"),
        )
    )
    counts = ["rows", "terminal_runs", "failed_runs", "succeeded_runs", "errors", "cost_cents"]
    return ends.join(measured, on=["rule_id", "window_end"], how="left").with_columns(
        pl.col(counts).fill_null(0)
    )


def rate(numerator: str, denominator: str) -> pl.Expr:
    return pl.when(pl.col(denominator) > 0).then(pl.col(numerator) / pl.col(denominator))


def expected_alert_events(frames, now: datetime) -> pl.DataFrame:
    rules = (
        frames["alert_rule"]
        .filter(pl.col("enabled"))
        .select(
            pl.col("id").alias("rule_id"),
            pl.col("organization_id").alias("org_id"),
            "workflow_id",
            "metric",
            "operator",
            "threshold",
            "window_minutes",
        )
    )
    rows = scope_rows(frames, rules)
    windows = window_measures(window_ends(rows, rules, now), rows)
    metric = pl.col("metric")
    windows = windows.with_columns(
        pl.when(metric == "runs")
        .then(pl.col("rows"))
        .when(metric == "failed_runs")
        .then(pl.col("failed_runs"))
        .when(metric == "failure_rate")
        .then(rate("failed_runs", "terminal_runs"))
        .when(metric == "success_rate")
        .then(rate("succeeded_runs", "terminal_runs"))
        .when(metric == "avg_duration_ms")
        .then(pl.col("avg_duration_ms"))
        .when(metric == "p95_duration_ms")
        .then(pl.col("p95"))
        .when(metric == "api_error_rate")
        .then(rate("errors", "rows"))
        .when(metric == "ai_cost_usd")
        .then(pl.col("cost_cents") / 10000)
        .cast(pl.Float64)
        .alias("value"),
        pl.when(metric.is_in(RUN_METRICS))
        .then(pl.col("terminal_runs"))
        .otherwise(pl.col("rows"))
        .cast(pl.Int64)
        .alias("runs"),
    )
    condition = pl.lit(False)
    for operator, holds in COMPARISONS.items():
        condition = condition | (
            (pl.col("operator") == operator) & holds(pl.col("value"), pl.col("threshold"))
        )
    acknowledgements = frames["alert_acknowledgement"].select(
        "alert_id",
        utc_naive("acknowledged_at").alias("acknowledged_at"),
        # who acknowledged, as published: an e-mail address is personal data
        pl.col("acknowledged_by").map_elements(mask_personal_data, return_dtype=pl.String),
    )
    return (
        windows.filter(
            condition.fill_null(False) & (metric.is_in(UNGUARDED) | (pl.col("runs") >= MIN_RUNS))
        )
        .with_columns(
            (
                pl.col("rule_id") + ":" + pl.col("window_end").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
            ).alias("alert_id"),
            pl.col("window_end").dt.date().alias("day"),
        )
        .join(acknowledgements, on="alert_id", how="left")
        .select(
            "alert_id",
            "rule_id",
            "org_id",
            "workflow_id",
            "metric",
            "operator",
            "threshold",
            "window_minutes",
            "window_start",
            "window_end",
            "day",
            "value",
            "runs",
            "acknowledged_at",
            "acknowledged_by",
        )
    )


def test_alert_events(built):
    frames, published = built
    expected = expected_alert_events(frames, datetime.now(UTC))
    # the demo's rules fire on several metrics, p95 from execution rows among them, and
    # a `runs <` rule fires on quiet windows inside its data's range
    assert expected.height > 0 and expected["metric"].n_unique() >= 5
    assert "p95_duration_ms" in expected["metric"]
    assert (expected.filter(pl.col("metric") == "runs")["value"] == 0).any()
    actual = read_mart(published, "alert_events")
    assert_same(actual, expected, ["alert_id"])
    assert all(ALERT_ID.match(alert_id) for alert_id in actual["alert_id"])


def test_demo_acknowledgements_use_the_published_alert_id_format(built):
    """The demo writes acknowledgements as '<rule id>:<window end, ISO UTC, Z>': each one
    names a window end of its rule, whether or not that window fired."""
    frames, published = built
    acknowledged = frames["alert_acknowledgement"]["alert_id"]
    assert acknowledged.len() > 0
    assert all(ALERT_ID.match(alert_id) for alert_id in acknowledged)
    actual = read_mart(published, "alert_events")
    joined = actual.filter(pl.col("acknowledged_at").is_not_null())
    assert set(joined["alert_id"]) == set(acknowledged) & set(actual["alert_id"])
    assert (joined["acknowledged_by"].is_not_null()).all()


def test_a_new_day_keeps_settled_alerts_takes_late_acknowledgements_equals_scratch(
    make_flowmart, tmp_path
):
    """alert_events is incremental per rule (macros/alert_windows.sql): a refresh that
    brings only a new day evaluates each rule's windows after its last data hour and
    keeps the earlier alerts, which still take acknowledgements that arrived since. The
    marts equal those of one refresh of the final source in a new home."""
    from orchestration.demo import generate_demo_source, write_source

    end = datetime(2026, 3, 10).date()
    frames = generate_demo_source(days=3, executions_per_day=120, seed=14, end_date=end)
    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    write_source(frames, source)
    incremental = make_flowmart(source, tmp_path / "incremental")
    assert incremental.run("refresh")[0] == 0
    earlier = read_mart(incremental.published, "alert_events")

    new_day = generate_demo_source(
        days=1, executions_per_day=120, seed=99, end_date=end + timedelta(days=1)
    )
    facts = ("process_instance", "node_instance", "api_key_usage", "ai_execution_history")
    # integer ids count from 1 in every generated source: the new day's move out of the way
    late = {
        name: new_day[name].with_columns(pl.col("id") + 10**9)
        if new_day[name].schema["id"].is_integer()
        else new_day[name]
        for name in facts
    }
    # acknowledgements of every window end of the second day, of every enabled rule
    second_day = end - timedelta(days=1)
    acks = frames["alert_acknowledgement"]
    rules = frames["alert_rule"].filter("enabled")["id"]
    ids = [f"{rule}:{second_day}T{hour:02d}:00:00Z" for rule in rules for hour in range(1, 24)]
    late["alert_acknowledgement"] = (
        pl.DataFrame({"alert_id": ids})
        .filter(~pl.col("alert_id").is_in(acks["alert_id"].implode()))
        .with_columns(
            pl.lit("late reviewer").alias("acknowledged_by"),
            pl.lit(acks["acknowledged_at"].max() + timedelta(days=2)).alias("acknowledged_at"),
            pl.lit(None).alias("note"),
        )
        .cast(acks.schema)
        .select(acks.columns)
    )
    write_source(late, source, replace=False)
    assert incremental.run("refresh")[0] == 0
    after = read_mart(incremental.published, "alert_events")

    # the second day's alerts were kept (not evaluated again), and acknowledged late
    kept = after.filter(pl.col("day") == second_day)
    assert kept.height > 0
    assert (
        kept.drop("acknowledged_at", "acknowledged_by")
        .sort("alert_id")
        .equals(
            earlier.filter(pl.col("day") == second_day)
            .drop("acknowledged_at", "acknowledged_by")
            .sort("alert_id")
        )
    )
    assert (kept["acknowledged_by"] == "late reviewer").sum() > 0
    assert after.filter(pl.col("day") > end).height > 0  # the new day was evaluated

    scratch = make_flowmart(source, tmp_path / "scratch")
    assert scratch.run("refresh")[0] == 0
    assert mart_rows(incremental.published) == mart_rows(scratch.published)

"""Insights and the AI cost forecast end to end: a generated source of 15 days, a real
`flowmart refresh` with thresholds set through FLOWMART_DBT_VARS, and the findings and
forecasts compared with an independent polars/NumPy implementation of issue 7's rules.
Every threshold's edge is a dbt unit test (insights.yml, _intermediate_insights.yml)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from orchestration.commands import print_demo_summary
from orchestration.defs.dbt import dbt_build_args
from orchestration.demo import generate_demo_source
from orchestration.settings import Settings, SettingsError, parse_dbt_vars
from tests.oracle import END, assert_same, expected_executions, flowmart_home, read_mart

# Low thresholds, so that the 15 generated days give findings of every run type.
THRESHOLDS = {
    "insight_window_days": [7],
    "insight_min_runs": 60,
    "cost_spike_warning_pct": 10,
    "cost_spike_critical_pct": 30,
    "failure_pattern_warning_rate": 0.02,
    "failure_pattern_critical_rate": 0.05,
    "performance_degradation_warning_pct": 10,
    "performance_improvement_pct": 10,
    "latency_variability_warning_ratio": 3.0,
}
WINDOW = 7


@pytest.fixture(scope="module")
def insight_build(tmp_path_factory):
    frames = generate_demo_source(days=15, executions_per_day=60, seed=5, end_date=END)
    root = tmp_path_factory.mktemp("insights")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FLOWMART_DBT_VARS", json.dumps(THRESHOLDS))
        with flowmart_home(root, frames) as refresh:
            return frames, refresh()


def period_measures(frames) -> pl.DataFrame:
    """Per scope (org_id, or None for the platform) and period: the measures compared."""
    runs = expected_executions(frames)
    as_of = runs["day"].max()
    current_start, previous_start = as_of - timedelta(WINDOW - 1), as_of - timedelta(2 * WINDOW - 1)
    period = (
        pl.when(pl.col("day") >= current_start)
        .then(pl.lit("current"))
        .otherwise(pl.lit("previous"))
    )
    runs = runs.filter(pl.col("day") >= previous_start).with_columns(period.alias("period"))
    calls = (
        frames["ai_execution_history"]
        .with_columns(pl.col("created_at").dt.date().alias("day"))
        .filter(pl.col("day") >= previous_start)
        .with_columns(period.alias("period"), pl.col("organization_id").alias("org_id"))
    )
    terminal = pl.col("status").is_in(["succeeded", "failed"])
    scopes = []
    for scope in (["org_id"], []):
        measures = runs.group_by(*scope, "period").agg(
            terminal.sum().alias("terminal"),
            (pl.col("status") == "failed").sum().alias("failed"),
            pl.col("duration_ms").mean().alias("avg_ms"),
            pl.col("duration_ms").quantile(0.5, "linear").alias("p50_ms"),
            pl.col("duration_ms").quantile(0.95, "linear").alias("p95_ms"),
        )
        cost = calls.group_by(*scope, "period").agg(
            (pl.col("cost_cents").sum() / 10000).alias("cost")
        )
        joined = measures.join(cost, on=[*scope, "period"], how="full", coalesce=True)
        if not scope:
            joined = joined.with_columns(pl.lit(None, pl.String).alias("org_id"))
        scopes.append(
            joined.select(
                "org_id", "period", "terminal", "failed", "avg_ms", "p50_ms", "p95_ms", "cost"
            )
        )
    return pl.concat(scopes).with_columns(pl.col("terminal", "failed", "cost").fill_null(0))


def expected_findings(frames) -> pl.DataFrame:
    """cost_spike, failure_pattern, performance_* and latency_variability, per the issue."""
    measures = period_measures(frames)
    as_of = expected_executions(frames)["day"].max()
    t = THRESHOLDS
    rows = []
    for org_id in measures["org_id"].unique().to_list():
        scope = measures.filter(pl.col("org_id").eq_missing(org_id))
        by_period = {r["period"]: r for r in scope.iter_rows(named=True)}
        now = by_period.get("current", {"terminal": 0, "failed": 0, "cost": 0.0})
        before = by_period.get("previous", {"terminal": 0, "failed": 0, "cost": 0.0})

        def finding(kind, severity, significant, previous, current, org_id=org_id):
            key = f"{kind}:{org_id or 'platform'}:{WINDOW}d:{as_of.isoformat()}"
            rows.append((key, severity, significant, previous, current))

        if before["cost"] > 0:
            change = 100 * (now["cost"] - before["cost"]) / before["cost"]
            if change >= t["cost_spike_warning_pct"]:
                severity = "critical" if change >= t["cost_spike_critical_pct"] else "warning"
                finding("cost_spike", severity, before["cost"] >= 1.0, before["cost"], now["cost"])
        rate = now["failed"] / now["terminal"] if now["terminal"] else None
        if rate is not None and rate >= t["failure_pattern_warning_rate"]:
            severity = "critical" if rate >= t["failure_pattern_critical_rate"] else "warning"
            previous = before["failed"] / before["terminal"] if before["terminal"] else None
            finding("failure_pattern", severity, now["terminal"] >= 60, previous, rate)
        if now.get("avg_ms") is not None and before.get("avg_ms"):
            change = 100 * (now["avg_ms"] - before["avg_ms"]) / before["avg_ms"]
            enough = min(now["terminal"], before["terminal"]) >= 60
            if change >= t["performance_degradation_warning_pct"]:
                finding(
                    "performance_degradation", "warning", enough, before["avg_ms"], now["avg_ms"]
                )
            if change <= -t["performance_improvement_pct"]:
                finding("performance_improvement", "info", enough, before["avg_ms"], now["avg_ms"])
        if now.get("p50_ms"):
            ratio = now["p95_ms"] / now["p50_ms"]
            if ratio > t["latency_variability_warning_ratio"]:
                previous = before["p95_ms"] / before["p50_ms"] if before.get("p50_ms") else None
                finding("latency_variability", "warning", now["terminal"] >= 60, previous, ratio)
    return pl.DataFrame(
        rows,
        schema=["insight_id", "severity", "is_significant", "previous_value", "current_value"],
        orient="row",
    )


def test_run_and_cost_findings_match_an_independent_implementation(insight_build):
    frames, published = insight_build
    expected = expected_findings(frames)
    actual = read_mart(published, "insights").filter(pl.col("type") != "model_recommendation")
    assert set(actual["type"]) >= {"cost_spike", "failure_pattern", "latency_variability"}
    assert_same(actual, expected, keys=["insight_id"], all_columns=False)


def test_every_finding_explains_itself_and_priorities_rank_them(insight_build):
    _, published = insight_build
    insights = read_mart(published, "insights").sort("priority")
    assert insights["priority"].to_list() == list(range(1, insights.height + 1))
    severity_order = {"critical": 0, "warning": 1, "info": 2}
    ranks = [severity_order[s] for s in insights["severity"]]
    assert ranks == sorted(ranks)
    assert insights["title"].str.len_chars().min() > 20
    failures = insights.filter(pl.col("type") == "failure_pattern")
    for breakdown in failures["breakdown"]:
        signatures = json.loads(breakdown)
        assert 1 <= len(signatures) <= 3
        assert all(0 < s["share"] <= 1 for s in signatures)


def expected_forecasts(frames) -> dict[str | None, tuple[float, float, float, float]]:
    """Per scope: (current daily average, projected 7 days, projected 30 days, confidence)
    from NumPy's least-squares line through the daily cost (15 days, zeros filled)."""
    runs = expected_executions(frames)
    first, as_of = runs["day"].min(), runs["day"].max()
    days = pl.date_range(max(first, as_of - timedelta(29)), as_of, eager=True).alias("day")
    calls = frames["ai_execution_history"].with_columns(
        pl.col("created_at").dt.date().alias("day"), pl.col("organization_id").alias("org_id")
    )
    result = {}
    for org_id in [*calls["org_id"].unique().to_list(), None]:
        scoped = calls if org_id is None else calls.filter(pl.col("org_id") == org_id)
        daily = scoped.group_by("day").agg((pl.col("cost_cents").sum() / 10000).alias("cost"))
        series = days.to_frame().join(daily, on="day", how="left")["cost"].fill_null(0).to_numpy()
        x = np.arange(len(series))
        slope, intercept = np.polyfit(x, series, 1)
        ahead = [max(0.0, intercept + slope * (x[-1] + k)) for k in range(1, 31)]
        rmse = float(np.sqrt(np.mean((series - (intercept + slope * x)) ** 2)))
        confidence = max(0.0, 1 - rmse / series.mean())
        result[org_id] = (series[-7:].mean(), sum(ahead[:7]), sum(ahead), confidence)
    return result


def test_cost_forecast_matches_a_least_squares_fit(insight_build):
    frames, published = insight_build
    forecast = read_mart(published, "ai_cost_forecast")
    expected = expected_forecasts(frames)
    assert sorted(forecast["org_id"].to_list(), key=str) == sorted(expected, key=str)
    for row in forecast.iter_rows(named=True):
        got = (
            row["current_daily_avg_usd"],
            row["projected_next_7d_usd"],
            row["projected_next_30d_usd"],
            row["confidence"],
        )
        assert got == pytest.approx(expected[row["org_id"]], rel=1e-6, abs=1e-9), row["org_id"]


def test_thresholds_come_from_flowmart_dbt_vars():
    plain = Settings(home=Path("/x"), source_url="sqlite:///x")
    assert dbt_build_args(plain) == ["build", "--exclude", "test_type:unit"]
    tuned = Settings(home=plain.home, source_url=plain.source_url, dbt_vars="{alert_min_runs: 9}")
    assert dbt_build_args(tuned)[-2:] == ["--vars", '{"alert_min_runs": 9}']
    with pytest.raises(SettingsError, match="YAML mapping"):
        parse_dbt_vars("[1, 2]")
    with pytest.raises(SettingsError, match="not valid YAML"):
        parse_dbt_vars("{a: [")


def test_cli_refuses_unusable_dbt_vars_before_doing_anything(make_flowmart, tmp_path):
    flowmart = make_flowmart(f"sqlite:///{tmp_path / 'none.sqlite'}")
    flowmart.monkeypatch.setenv("FLOWMART_DBT_VARS", "not: [a mapping")
    code, _, err = flowmart.run("refresh")
    assert code == 2
    assert "FLOWMART_DBT_VARS is not valid YAML" in err
    assert not (flowmart.home / "warehouse").exists()


def test_demo_ends_with_the_top_insights_and_open_alerts(insight_build, capsys):
    _, published = insight_build
    print_demo_summary(published)
    shown = capsys.readouterr().out
    ending = shown[shown.index("Top insights") :]
    top = read_mart(published, "insights").filter("is_significant").sort("priority").head(5)
    assert top.height > 0
    assert all(title in ending for title in top["title"])
    open_alerts = read_mart(published, "alert_events").filter(pl.col("acknowledged_at").is_null())
    alerts_shown = ending[ending.index("Open alerts") :]
    assert open_alerts.height > 0
    assert open_alerts.sort("window_end")["rule_id"][-1] in alerts_shown

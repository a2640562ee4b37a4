"""API and AI usage marts end to end: a generated source, a real `flowmart refresh`, and
every row and column compared with an independent polars implementation of METRICS.md
(floats with relative tolerance 1e-6); and no IP address of the source anywhere in the
published file."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pytest

from tests.oracle import assert_same, read_mart, utc_naive
from tests.text_rules import mask_personal_data

API_KEYS = ["org_id", "api_key_id", "endpoint", "method"]


def api_requests(frames) -> pl.DataFrame:
    return frames["api_key_usage"].select(
        pl.col("organization_id").alias("org_id"),
        "api_key_id",
        pl.col("endpoint").map_elements(mask_personal_data, return_dtype=pl.String),
        "method",
        "status_code",
        "response_time_ms",
        "ip_address",
        utc_naive("created_at").dt.truncate("1h").alias("hour"),
        pl.col("created_at").dt.date().alias("day"),
    )


def api_metrics(rows: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    status = pl.col("status_code")
    latency = pl.col("response_time_ms")
    return (
        rows.group_by(keys)
        .agg(
            pl.len().alias("requests"),
            status.is_between(400, 499).sum().alias("client_errors"),
            (status >= 500).sum().alias("server_errors"),
            latency.mean().alias("avg_response_ms"),
            latency.quantile(0.5, interpolation="linear").alias("p50_response_ms"),
            latency.quantile(0.95, interpolation="linear").alias("p95_response_ms"),
            pl.col("ip_address").drop_nulls().n_unique().alias("distinct_callers"),
        )
        .with_columns(
            ((pl.col("client_errors") + pl.col("server_errors")) / pl.col("requests")).alias(
                "error_rate"
            )
        )
    )


def test_api_usage_hourly(frames, published):
    keys = [*API_KEYS, "hour"]
    expected = api_metrics(api_requests(frames), [*keys, "day"])
    actual = read_mart(published, "api_usage_hourly")
    assert_same(actual, expected, keys)
    assert (actual["hour"].dt.date() == actual["day"]).all()
    assert actual["requests"].sum() == frames["api_key_usage"].height
    assert actual["client_errors"].sum() > 0 and actual["server_errors"].sum() > 0


def test_api_usage_daily(frames, published):
    keys = [*API_KEYS, "day"]
    expected = api_metrics(api_requests(frames), keys)
    actual = read_mart(published, "api_usage_daily")
    assert_same(actual, expected, keys)
    assert actual["requests"].sum() == frames["api_key_usage"].height
    # a day's callers are not the sum of its hours' callers
    hourly = read_mart(published, "api_usage_hourly")
    assert hourly["distinct_callers"].sum() > actual["distinct_callers"].sum()


def ai_calls(frames) -> pl.DataFrame:
    return frames["ai_execution_history"].with_columns(
        pl.col("organization_id").alias("org_id"), pl.col("created_at").dt.date().alias("day")
    )


def test_ai_usage_daily(frames, published):
    keys = ["org_id", "model_provider", "model_name", "day"]
    expected = (
        ai_calls(frames)
        .group_by(keys)
        .agg(
            pl.len().alias("calls"),
            (~pl.col("success")).sum().alias("failed_calls"),
            pl.col("tokens_used").cast(pl.Int64).sum().alias("tokens"),
            (pl.col("cost_cents").cast(pl.Int64).sum() / 10000).alias("cost_usd"),
            pl.col("execution_time_ms").mean().alias("avg_latency_ms"),
            pl.col("execution_time_ms")
            .quantile(0.95, interpolation="linear")
            .alias("p95_latency_ms"),
        )
        .with_columns(
            pl.when(pl.col("tokens") > 0)
            .then(pl.col("cost_usd") / pl.col("tokens") * 1000)
            .alias("cost_per_1k_tokens_usd")
        )
    )
    actual = read_mart(published, "ai_usage_daily")
    assert_same(actual, expected, keys)
    assert actual["calls"].sum() == frames["ai_execution_history"].height
    assert actual["failed_calls"].sum() > 0


def test_ai_tool_usage_daily(frames, published):
    """Parsed with Python's json, independently of DuckDB: a tool counts once per call."""
    calls = ai_calls(frames)
    pairs = [
        (org_id, tool, day, call_id)
        for org_id, day, call_id, tools in calls.select(
            "org_id", "day", "id", "tools_used"
        ).iter_rows()
        if tools is not None
        for tool in set(json.loads(tools))
        if tool is not None
    ]
    expected = (
        pl.DataFrame(pairs, schema=["org_id", "tool", "day", "call_id"], orient="row")
        .group_by("org_id", "tool", "day")
        .agg(pl.col("call_id").n_unique().alias("calls"))
    )
    actual = read_mart(published, "ai_tool_usage_daily")
    assert_same(actual, expected, ["org_id", "tool", "day"])
    assert actual["tool"].n_unique() >= 4


def month_of(column: str) -> pl.Expr:
    return utc_naive(column).dt.truncate("1mo").dt.date()


def standing_at_month_end(rows: pl.DataFrame, months: pl.Series, counted: pl.Expr) -> pl.DataFrame:
    """(month, org_id, n) of rows standing when each month ended. These sources were
    extracted once, so the warehouse's history of a row is one version, valid from its
    updated_at: before that, only created_at/deleted_at tell whether it existed."""
    as_of = pl.col("month").dt.offset_by("1mo").cast(pl.Datetime("us"))
    existed = (utc_naive("created_at") < as_of) & (
        utc_naive("deleted_at").is_null() | (utc_naive("deleted_at") >= as_of)
    )
    in_history = utc_naive("updated_at") < as_of
    return (
        rows.join(pl.DataFrame({"month": months}), how="cross")
        .filter(existed & (counted | ~in_history))
        .group_by("month", pl.col("organization_id").alias("org_id"))
        .agg(pl.len().alias("n"))
    )


def test_usage_monthly(frames, published):
    """Top-level executions and the month-end inventory of every organization, rolled up
    to its billing owner; limits of the owner's plan; reconciliation with billing. The
    source's months are long closed, so no month is "as of now"."""
    orgs = frames["organization"].select(pl.col("id").alias("org_id"), "billing_owner_id", "tier")
    executions = (
        frames["process_instance"]
        .filter(pl.col("parent_instance_id").is_null())
        .group_by(pl.col("organization_id").alias("org_id"), month_of("start_time").alias("month"))
        .agg(pl.len().alias("executions"))
    )
    billed = frames["usage_record"].select(
        "billing_owner_id",
        pl.col("period_start").alias("month"),
        pl.col("executions_counted").alias("billed_executions"),
    )
    months = pl.concat([executions["month"], billed["month"]]).unique()
    inventory = (
        standing_at_month_end(frames["workflow"], months, pl.col("is_active"))
        .rename({"n": "active_workflows"})
        .join(
            standing_at_month_end(frames["credential"], months, pl.lit(True)).rename(
                {"n": "credentials"}
            ),
            on=["month", "org_id"],
            how="full",
            coalesce=True,
        )
    )
    per_owner = (
        pl.concat(
            [executions, inventory.with_columns(executions=pl.lit(0, pl.UInt32))],
            how="diagonal_relaxed",
        )
        .join(orgs, on="org_id")
        .group_by("billing_owner_id", "month")
        .agg(pl.col("executions", "active_workflows", "credentials").fill_null(0).sum())
    )
    keys = ["billing_owner_id", "month"]
    owner_months = pl.concat(
        [per_owner.filter(pl.col("executions") > 0).select(keys), billed.select(keys)]
    ).unique()
    limits = orgs.join(frames["plan"], on="tier").select(
        pl.col("org_id").alias("billing_owner_id"),
        pl.col("monthly_execution_limit").alias("execution_limit"),
        "active_workflow_limit",
        "credential_limit",
    )
    over = [
        (pl.col(used) > pl.col(limit)).fill_null(False)
        for used, limit in [
            ("executions", "execution_limit"),
            ("active_workflows", "active_workflow_limit"),
            ("credentials", "credential_limit"),
        ]
    ]
    expected = (
        owner_months.join(per_owner, on=["billing_owner_id", "month"], how="left")
        .join(billed, on=["billing_owner_id", "month"], how="left")
        .join(limits, on="billing_owner_id", how="left")
        .with_columns(pl.col("executions", "active_workflows", "credentials").fill_null(0))
        .with_columns(
            pl.when(pl.col("execution_limit") > 0)
            .then(100 * pl.col("executions") / pl.col("execution_limit"))
            .alias("pct_of_execution_limit"),
            (over[0] | over[1] | over[2]).alias("over_any_limit"),
            (pl.col("executions") - pl.col("billed_executions")).alias("billing_difference"),
            pl.when(pl.col("billed_executions") != 0)
            .then(
                (pl.col("executions") - pl.col("billed_executions")) / pl.col("billed_executions")
            )
            .alias("billing_difference_rate"),
        )
    )
    actual = read_mart(published, "usage_monthly")
    assert_same(actual, expected, ["billing_owner_id", "month"])
    # the demo's agency bills two client workspaces and goes over its limit; its
    # billing counted sub-processes too in its busiest month
    agency = actual.filter(pl.col("billing_owner_id") == "org_brightwave")
    assert agency["over_any_limit"].any()
    assert (agency["billing_difference"] < 0).any()


def test_no_ip_address_anywhere_in_the_published_file(frames, published):
    """Every column of every table of the published file, cast to text: no value equals
    an ip_address of the source or quotes one, and no column is named after one."""
    addresses = frames["api_key_usage"]["ip_address"].drop_nulls().unique()
    assert addresses.len() > 10
    with duckdb.connect(str(published), read_only=True) as con:
        con.register("source_addresses", pl.DataFrame({"ip": addresses}))
        columns = con.sql(
            """SELECT table_catalog, table_schema, table_name, column_name
               FROM information_schema.columns
               WHERE table_catalog = current_database()"""
        ).fetchall()
        tables = {(c[1], c[2]) for c in columns}
        assert ("marts", "api_usage_daily") in tables and ("marts", "ai_usage_daily") in tables
        # quoting any one address, whole: one constant pattern, compiled once (a pattern
        # per row and address, built in SQL, took a minute)
        quoting = "(^|[^0-9.])(" + "|".join(ip.replace(".", "\\.") for ip in addresses) + ")"
        quoting = f"{quoting}($|[^0-9])".replace("'", "''")
        leaks = []
        for catalog, schema, table, column in columns:
            assert "ip" not in column.lower().split("_"), f"{schema}.{table}.{column}"
            found = con.sql(
                f"""SELECT count(*) FROM "{catalog}"."{schema}"."{table}"
                    WHERE CAST("{column}" AS VARCHAR) IN (SELECT ip FROM source_addresses)"""
            ).fetchall()[0][0]
            if found:
                leaks.append(f"{schema}.{table}.{column}: {found}")
            # nor quoted inside a text (a sample message, a label): whole addresses only
            quoted = con.sql(
                f"""SELECT count(*) FROM "{catalog}"."{schema}"."{table}"
                    WHERE regexp_matches(CAST("{column}" AS VARCHAR), '{quoting}')"""
            ).fetchall()[0][0]
            if quoted:
                leaks.append(f"{schema}.{table}.{column} quotes one: {quoted}")
        assert not leaks, leaks


def test_late_rows_rebuild_their_whole_day(frames, published, request):
    if request.node.callspec.params["built"] != "after_late_changes":
        pytest.skip("only after the second, incremental refresh")
    day = frames["api_key_usage"]["created_at"].max().date()
    daily = read_mart(published, "api_usage_daily").filter(pl.col("day") == day)
    assert (
        daily["requests"].sum()
        == frames["api_key_usage"].filter(pl.col("created_at").dt.date() == day).height
    )
    tools = read_mart(published, "ai_tool_usage_daily")
    assert (tools["day"] == frames["ai_execution_history"]["created_at"].max().date()).any()

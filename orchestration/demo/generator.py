"""Deterministic, realistic demo data for every source table of the platform.

The marts are only as convincing as the data they are shown on, and tests and benchmarks
need that same data at any size. This simulates a small multi-tenant platform: an agency
whose client workspaces push it over its plan limit, workflows that retry, time out and
fail (some in bursts), human reviews that take days, AI calls with costs, API traffic,
and the engine's quirks the marts must absorb (missing trigger rows, "completed"
executions with unhandled errors, the legacy engine's "failed" state, billing counts that
differ slightly from the executions). Everything is drawn from one numpy Generator,
column-wise with numpy and polars (Python loops only run over the few organizations and
~100 workflows), so a seed reproduces the same frames and 10 M node runs stay affordable.

Internally timestamps are int64 milliseconds since the epoch (NO_TIME marks NULL); the
frames get the contract's polars types at the very end (`_frame`).

The parts, in the order the data flows: `_platform` (the fixed shape: tenants, plans,
node kinds, rates), `_catalog` (workflows and their run templates), `_executions` and
`_simulation` (what runs when, and how it ends), `_execution_tables` and `_account_tables`
(the source tables), with `_columns` and `_text` as column-wise building blocks. All draws
come from one Generator in a fixed order, so moving a draw changes every seed's data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import polars as pl

from models import TABLES_BY_NAME, LogicalType, SourceTable
from orchestration.demo._account_tables import (
    acknowledgements,
    alert_rules,
    api_usage,
    billing,
    credentials,
    organizations,
    plans,
    workflow_table,
)
from orchestration.demo._catalog import build_catalog
from orchestration.demo._columns import NO_TIME, Window
from orchestration.demo._execution_tables import (
    ai_calls,
    execution_log,
    node_instances,
    process_instances,
    review_tasks,
)
from orchestration.demo._executions import simulate_executions
from orchestration.demo._text import RandomText

POLARS_DTYPES: dict[LogicalType, pl.DataType] = {
    LogicalType.TEXT: pl.String(),
    LogicalType.JSON: pl.String(),
    LogicalType.SMALLINT: pl.Int16(),
    LogicalType.INTEGER: pl.Int32(),
    LogicalType.BIGINT: pl.Int64(),
    LogicalType.DOUBLE: pl.Float64(),
    LogicalType.BOOLEAN: pl.Boolean(),
    LogicalType.TIMESTAMP: pl.Datetime("us", "UTC"),
    LogicalType.DATE: pl.Date(),
}


def polars_schema(table: SourceTable) -> pl.Schema:
    """The polars schema a frame of `table` has: contract columns, order and types."""
    return pl.Schema({c.name: POLARS_DTYPES[c.type] for c in table.columns})


def _timestamps(ms: np.ndarray) -> pl.Series:
    values = pl.Series(np.asarray(ms, dtype=np.int64))
    return pl.select(
        pl.when(values != NO_TIME)
        .then(values * 1000)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
    ).to_series()


def _frame(name: str, data: dict[str, Any]) -> pl.DataFrame:
    """A frame with exactly the contract's columns, order and polars types."""
    table = TABLES_BY_NAME[name]
    if set(data) != set(table.column_names):
        raise ValueError(f"{name}: generated {sorted(data)}, contract has {table.column_names}")
    columns = []
    for column in table.columns:
        values = data[column.name]
        if column.type is LogicalType.TIMESTAMP:
            series = _timestamps(values)
        elif isinstance(values, pl.Series):
            series = values
        else:
            series = pl.Series(values, dtype=POLARS_DTYPES[column.type], strict=False)
        columns.append(series.cast(POLARS_DTYPES[column.type]).alias(column.name))
    return pl.DataFrame(columns)


def generate_demo_source(
    days: int = 30,
    executions_per_day: int = 10_000,
    seed: int = 42,
    end_date: date | None = None,
) -> dict[str, pl.DataFrame]:
    """Every source table as a polars frame (contract columns and types), keyed by name.

    Covers the UTC days end_date - days + 1 .. end_date (default: today, cut at the current
    minute). `executions_per_day` counts top-level executions on average; sub-process
    executions come on top. The same arguments give identical frames, except that a
    window ending today moves with the clock.
    """
    if days < 1 or executions_per_day < 1:
        raise ValueError("days and executions_per_day must be at least 1")
    window = Window.ending(end_date, days)
    rng = np.random.default_rng(seed)
    text = RandomText(rng)
    catalog = build_catalog(window, rng)
    executions = simulate_executions(catalog, window, executions_per_day, text)
    usage, pro_limit = billing(executions, window, rng)
    rules = alert_rules(catalog, window, rng)
    tables = {
        "plan": plans(window, pro_limit),
        "organization": organizations(window),
        "workflow": workflow_table(catalog),
        "credential": credentials(window, rng),
        "process_instance": process_instances(executions, catalog, rng),
        "node_instance": node_instances(executions, catalog, text),
        "review_task": review_tasks(executions, rng, text),
        "api_key_usage": api_usage(executions, catalog, window, rng, text),
        "ai_execution_history": ai_calls(executions, catalog, rng),
        "execution_log": execution_log(executions, catalog, rng),
        "usage_record": usage,
        "alert_rule": rules,
        "alert_acknowledgement": acknowledgements(rules, window, rng),
    }
    return {name: _frame(name, tables[name]) for name in TABLES_BY_NAME}

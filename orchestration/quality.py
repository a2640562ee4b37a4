"""Great Expectations suites as publication gates.

GE 1.x cannot validate DuckDB 2.0 tables over SQL (and dagster-ge needs GE < 1.0), so a
suite validates a pandas frame pulled from the working warehouse. Every expectation
carries a severity: critical failures block publication, warnings are reported.
A suite's `meta.table` names what it validates and `meta.derived_columns` adds computed
columns (e.g. a sum that must equal another column) as plain SQL expressions.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from orchestration.partitions import DIRTY_DAYS
from orchestration.settings import EXPECTATIONS_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None


@dataclass
class SuiteOutcome:
    suite: str
    rows: int
    outcomes: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "critical"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity != "critical"]


def suite_paths() -> dict[str, Path]:
    return {p.stem: p for p in sorted(EXPECTATIONS_DIR.glob("*.json"))}


def load_suite(path: Path) -> dict:
    return json.loads(path.read_text())


def suite_query(suite: dict) -> str:
    """The rows a suite validates. A day-partitioned mart (`meta.partition_column`) is
    validated on the partitions rebuilt by this run only: the others were validated when
    they were built and have not changed, and every grain includes the day."""
    meta = suite.get("meta", {})
    derived = "".join(f", {sql} AS {name}" for name, sql in meta.get("derived_columns", {}).items())
    query = f"SELECT *{derived} FROM {meta['table']}"
    if "partition_column" in meta:
        query += f" WHERE {meta['partition_column']} IN (SELECT day FROM {DIRTY_DAYS})"
    return query


@cache
def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("flowmart")
    return source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole")


def warm_up_great_expectations() -> None:
    """Import GE (seconds of CPU) on a background thread while dbt, a subprocess, runs:
    the blocking checks that follow then start at once."""
    threading.Thread(target=_batch_definition, name="ge-warm-up", daemon=True).start()


def validate_frame(frame, suite: dict) -> SuiteOutcome:
    import great_expectations as gx

    expectation_suite = gx.ExpectationSuite(
        name=suite["name"], expectations=suite["expectations"], meta=suite.get("meta")
    )
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(expectation_suite)
    outcome = SuiteOutcome(suite=suite["name"], rows=len(frame))
    for r in result.results:
        config = r.expectation_config
        outcome.outcomes.append(
            ExpectationOutcome(
                expectation=config.type,
                column=config.kwargs.get("column") or config.kwargs.get("column_A"),
                severity=str(getattr(config.severity, "value", config.severity)),
                success=bool(r.success),
                unexpected_count=(r.result or {}).get("unexpected_count"),
            )
        )
    return outcome


def validate_table(con: duckdb.DuckDBPyConnection, suite: dict) -> SuiteOutcome:
    return validate_frame(con.sql(suite_query(suite)).df(), suite)

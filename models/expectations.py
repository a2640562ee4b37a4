"""Render the Great Expectations suites of the raw tables from the contracts.

Every rule of a contract that extraction enforces by quarantine (keys present and unique,
not-null columns, known codes, bounds, valid JSON, known time zones, ordered times) is
also an expectation of `expectations/raw_<table>.json`, validated on the latest
extraction batch: the independent gate that verifies the quarantine. Timestamps in the
future beyond a tolerance are a warning only (a source clock ahead, not bad data).

Run `python -m models.expectations` after changing a contract; `--check` (run by
`make lint`) and tests/test_quality_gates.py fail while a committed suite differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from models import rendering
from models.contract import Column, LogicalType, SourceTable
from models.tables import SOURCE_TABLES

EXPECTATIONS_DIR = Path(__file__).resolve().parent.parent / "expectations"
RAW_SUITE_PREFIX = "raw_"
# A DuckDB variable that orchestration/quality.py sets before validating (from
# FLOWMART_FUTURE_TOLERANCE_MINUTES): the suites stay static, the tolerance does not.
FUTURE_TOLERANCE_VARIABLE = "future_tolerance_minutes"
CRITICAL, WARNING = "critical", "warning"


def _quoted(name: str) -> str:
    return f'"{name}"'


def _expectation(kind: str, severity: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "severity": severity}


def _column_expectations(table: SourceTable, column: Column, derived: dict[str, str]) -> list:
    name, rules = column.name, []
    if not column.nullable or name in table.primary_key:
        rules.append(_expectation("expect_column_values_to_not_be_null", CRITICAL, column=name))
    if column.allowed:
        rules.append(
            _expectation(
                "expect_column_values_to_be_in_set",
                CRITICAL,
                column=name,
                value_set=list(column.allowed),
            )
        )
    if column.min_value is not None or column.max_value is not None:
        bounds = {"min_value": column.min_value, "max_value": column.max_value}
        bounds = {k: v for k, v in bounds.items() if v is not None}
        rules.append(
            _expectation("expect_column_values_to_be_between", CRITICAL, column=name, **bounds)
        )
    # rules GE has no expectation for: a derived column holding the offending value
    checks = [
        (rule.replace("(", "_").removesuffix(")"), condition)
        for rule, condition in column.value_rules(_quoted(name))
        if rule.startswith(("invalid_json", "unknown_timezone"))
    ]
    for derived_name, condition in checks:
        derived[derived_name] = f"CASE WHEN {condition} THEN {_quoted(name)} END"
        rules.append(_expectation("expect_column_values_to_be_null", CRITICAL, column=derived_name))
    return rules


def render_raw_suite(table: SourceTable) -> dict:
    derived: dict[str, str] = {}
    expectations = [
        e for column in table.columns for e in _column_expectations(table, column, derived)
    ]
    if len(table.primary_key) == 1:
        expectations.append(
            _expectation("expect_column_values_to_be_unique", CRITICAL, column=table.primary_key[0])
        )
    else:
        expectations.append(
            _expectation(
                "expect_compound_columns_to_be_unique",
                CRITICAL,
                column_list=list(table.primary_key),
            )
        )
    for earlier, later in table.ordered:
        expectations.append(
            _expectation(
                "expect_column_pair_values_a_to_be_greater_than_b",
                CRITICAL,
                column_A=later,
                column_B=earlier,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        )
    now = "now() AT TIME ZONE 'UTC'"
    tolerance = f"to_minutes(getvariable('{FUTURE_TOLERANCE_VARIABLE}'))"
    for column in table.columns:
        if column.type is not LogicalType.TIMESTAMP:
            continue
        name = f"future_{column.name}"
        derived[name] = (
            f"CASE WHEN {_quoted(column.name)} > {now} + {tolerance} "
            f"THEN {_quoted(column.name)} END"
        )
        expectations.append(_expectation("expect_column_values_to_be_null", WARNING, column=name))
    clashes = set(derived) & set(table.column_names)
    if clashes:
        raise ValueError(f"{table.name}: derived column names clash with columns: {clashes}")
    return {
        "name": f"{RAW_SUITE_PREFIX}{table.name}",
        "meta": {
            "table": f"raw.{table.name}",
            "batch": "latest_extraction",
            "unexpected_rows_only": True,
            "derived_columns": derived,
            "notes": (
                "Generated from models/ by `python -m models.expectations`: edit the contract, "
                "not this. The rows of the latest extraction batch that were not quarantined; "
                "every critical expectation holds by construction after quarantine, this "
                "verifies it. future_* columns flag times beyond "
                "FLOWMART_FUTURE_TOLERANCE_MINUTES (default 60) from now: a warning."
            ),
        },
        "expectations": expectations,
    }


def dump_suite(suite: dict) -> str:
    """The layout of the hand-written suites: one expectation a line, for review."""
    meta = json.dumps(suite["meta"], indent=2).replace("\n", "\n  ")
    expectations = ",\n".join(f"    {json.dumps(e)}" for e in suite["expectations"])
    return (
        "{\n"
        f'  "name": {json.dumps(suite["name"])},\n'
        f'  "meta": {meta},\n'
        f'  "expectations": [\n{expectations}\n  ]\n'
        "}\n"
    )


def rendered_files() -> dict[Path, str]:
    return {
        EXPECTATIONS_DIR / f"{RAW_SUITE_PREFIX}{table.name}.json": dump_suite(
            render_raw_suite(table)
        )
        for table in SOURCE_TABLES
    }


def orphan_files(files: dict[Path, str]) -> list[Path]:
    return [p for p in EXPECTATIONS_DIR.glob(f"{RAW_SUITE_PREFIX}*.json") if p not in files]


def stale_files() -> list[Path]:
    """Committed raw suites that differ from the contracts, or have no contract."""
    files = rendered_files()
    return rendering.stale(files, orphan_files(files))


def main(argv: list[str]) -> int:
    files = rendered_files()
    return rendering.sync(argv, "python -m models.expectations", files, orphan_files(files))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

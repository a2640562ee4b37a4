"""Great Expectations suites as publication gates.

GE 1.x cannot validate DuckDB 2.0 tables over SQL (and dagster-ge needs GE < 1.0), so a
suite validates a pandas frame pulled from the working warehouse. Every expectation
carries a severity: critical failures block publication, warnings are reported.

What a suite validates is said by its `meta`:
- `table`: the relation, or `query`: SQL (a string or a list of lines) whose rows are
  validated, e.g. one row per compared group with its differences (reconciliations);
  `{dirty_days}` in it stands for the day partitions this run rebuilt.
- `partition_column`: a day-partitioned mart is validated on the partitions rebuilt by
  this run only: the others were validated when they were built and have not changed.
- `batch: latest_extraction`: a raw table is validated on the rows the latest extraction
  wrote that were not quarantined (`_extracted_at` = the table's `last_extracted`).
- `derived_columns`: computed columns (a sum that must equal another column, a time
  beyond now + the FLOWMART_FUTURE_TOLERANCE_MINUTES tolerance) as SQL expressions.
- `unexpected_rows_only`: GE sees only the rows some expectation could flag, selected
  in DuckDB from the expectations themselves (duplicates of a key are all kept), so a
  raw batch of millions of rows costs one scan, not a pandas frame. Unexpected counts
  are those of the whole batch. Only row-level expectations may be used so. A suite of
  row-level expectations only is validated so without asking; when no row is a
  candidate, every expectation holds and GE is not even imported (seconds a process).
- `asset`, `check`, `additional_deps`: the Dagster asset check that runs the suite
  (default: the asset of `table`, check `great_expectations`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb

from models.expectations import FUTURE_TOLERANCE_VARIABLE  # the raw suites' future_* columns
from orchestration.partitions import DIRTY_DAYS
from orchestration.quarantine import REASON_COLUMN
from orchestration.settings import EXPECTATIONS_DIR
from orchestration.warehouse import META_SCHEMA

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

DEFAULT_CHECK_NAME = "great_expectations"
FUTURE_TOLERANCE_ENV = "FLOWMART_FUTURE_TOLERANCE_MINUTES"
RESULTS_FILE = Path("logs") / "check_results.json"


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None

    def label(self) -> str:
        return f"{self.expectation}({self.column}): {self.unexpected_count} unexpected"


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


def checked_asset_path(suite: dict) -> list[str]:
    """The asset whose check runs this suite, as a key path (marts/workflow_runs_daily)."""
    meta = suite["meta"]
    return meta.get("asset", meta.get("table", "")).split(".")


def check_name(suite: dict) -> str:
    return suite["meta"].get("check", DEFAULT_CHECK_NAME)


def additional_dep_paths(suite: dict) -> list[list[str]]:
    return [dep.split(".") for dep in suite["meta"].get("additional_deps", [])]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(expectation: dict) -> list[str]:
    kwargs = expectation["kwargs"]
    names = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]
    return names + list(kwargs.get("column_list", []))


def _projection(suite: dict) -> str:
    """Only the columns the expectations read, plus the derived ones (raw tables are wide
    and long); everything when some expectation names no column."""
    derived = suite["meta"].get("derived_columns", {})
    derived_sql = [f"{sql} AS {_quoted(name)}" for name, sql in derived.items()]
    per_expectation = [_columns(e) for e in suite["expectations"]]
    if not all(per_expectation):
        return ", ".join(["*", *derived_sql])
    columns = dict.fromkeys(c for cs in per_expectation for c in cs if c not in derived)
    return ", ".join([*(_quoted(c) for c in columns), *derived_sql])


def _source(meta: dict) -> str:
    if "query" in meta:
        query = meta["query"] if isinstance(meta["query"], str) else "\n".join(meta["query"])
        return f"(\n{query.replace('{dirty_days}', f'(SELECT day FROM {DIRTY_DAYS})')}\n) AS q"
    return meta["table"]


def _filters(meta: dict) -> list[str]:
    filters = []
    if "partition_column" in meta:
        filters.append(f"{meta['partition_column']} IN (SELECT day FROM {DIRTY_DAYS})")
    if meta.get("batch") == "latest_extraction":
        table_name = meta["table"].split(".")[-1].replace("'", "''")
        filters.append(
            f"_extracted_at = (SELECT last_extracted FROM {META_SCHEMA}.watermarks "
            f"WHERE table_name = '{table_name}')"
        )
        filters.append(f"{REASON_COLUMN} IS NULL")
    elif "batch" in meta:
        raise ValueError(f"unknown batch {meta['batch']!r}")
    return filters


def validated_rows_sql(suite: dict) -> str:
    """Every row the suite validates (with its derived columns)."""
    meta = suite.get("meta", {})
    query = f"SELECT {_projection(suite)} FROM {_source(meta)}"
    filters = _filters(meta)
    if filters:
        query += " WHERE " + " AND ".join(filters)
    return query


def _literal(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise ValueError(f"no SQL literal for {value!r}")


def _check_kwargs(expectation: dict, allowed: set[str]) -> dict:
    kwargs = expectation["kwargs"]
    unknown = set(kwargs) - allowed
    if unknown:
        raise ValueError(
            f"{expectation['type']}: {sorted(unknown)} cannot be selected in SQL "
            "(unexpected_rows_only)"
        )
    return kwargs


def unexpected_row_condition(expectation: dict) -> tuple[str, list[str] | None]:
    """(SQL true for a row this expectation may flag, or the key columns whose duplicate
    rows it flags). Raises for an expectation that is not row-level."""
    kind = expectation["type"]
    if kind in ("expect_column_values_to_not_be_null", "expect_column_values_to_be_null"):
        column = _quoted(_check_kwargs(expectation, {"column"})["column"])
        negation = "" if kind == "expect_column_values_to_not_be_null" else "NOT "
        return f"{column} IS {negation}NULL", None
    if kind == "expect_column_values_to_be_in_set":
        kwargs = _check_kwargs(expectation, {"column", "value_set"})
        values = ", ".join(_literal(v) for v in kwargs["value_set"])
        return f"{_quoted(kwargs['column'])} NOT IN ({values})", None
    if kind == "expect_column_values_to_be_between":
        kwargs = _check_kwargs(
            expectation, {"column", "min_value", "max_value", "strict_min", "strict_max"}
        )
        column, conditions = _quoted(kwargs["column"]), []
        if kwargs.get("min_value") is not None:
            operator = "<=" if kwargs.get("strict_min") else "<"
            conditions.append(f"{column} {operator} {_literal(kwargs['min_value'])}")
        if kwargs.get("max_value") is not None:
            operator = ">=" if kwargs.get("strict_max") else ">"
            conditions.append(f"{column} {operator} {_literal(kwargs['max_value'])}")
        return " OR ".join(conditions) or "FALSE", None
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        kwargs = _check_kwargs(expectation, {"column_A", "column_B", "or_equal", "ignore_row_if"})
        if kwargs.get("ignore_row_if") != "either_value_is_missing":
            raise ValueError(f"{kind}: only ignore_row_if=either_value_is_missing in SQL")
        operator = "<" if kwargs.get("or_equal") else "<="
        return f"{_quoted(kwargs['column_A'])} {operator} {_quoted(kwargs['column_B'])}", None
    if kind == "expect_column_value_lengths_to_be_between":
        kwargs = _check_kwargs(expectation, {"column", "min_value", "max_value"})
        length, conditions = f"length({_quoted(kwargs['column'])})", []
        if kwargs.get("min_value") is not None:
            conditions.append(f"{length} < {_literal(kwargs['min_value'])}")
        if kwargs.get("max_value") is not None:
            conditions.append(f"{length} > {_literal(kwargs['max_value'])}")
        return " OR ".join(conditions) or "FALSE", None
    if kind == "expect_column_values_to_be_unique":
        return "", [_check_kwargs(expectation, {"column"})["column"]]
    if kind == "expect_compound_columns_to_be_unique":
        return "", list(_check_kwargs(expectation, {"column_list"})["column_list"])
    raise ValueError(f"{kind} is not row-level: it cannot be used with unexpected_rows_only")


def unexpected_rows_sql(suite: dict) -> str:
    """The validated rows that some expectation may flag: a superset of every unexpected
    row, with every row of a duplicated key, so GE counts as on the whole batch. A
    duplicated key is found by one aggregation, then joined (NULLs equal, as for GE)."""
    conditions, keys = [], []
    for expectation in suite["expectations"]:
        condition, key = unexpected_row_condition(expectation)
        if condition:
            conditions.append(f"({condition})")
        if key and key not in keys:
            keys.append(key)
    ctes, joins = [f"validated AS ({validated_rows_sql(suite)})"], []
    for i, key in enumerate(keys):
        aliases = [f"_key_{i}_{j}" for j in range(len(key))]
        selected = ", ".join(f"{_quoted(c)} AS {a}" for c, a in zip(key, aliases, strict=True))
        ctes.append(
            f"duplicates_{i} AS (SELECT {selected}, true AS _duplicate_{i} FROM validated "
            f"GROUP BY {', '.join(_quoted(c) for c in key)} HAVING count(*) > 1)"
        )
        on = " AND ".join(
            f"validated.{_quoted(c)} IS NOT DISTINCT FROM {a}"
            for c, a in zip(key, aliases, strict=True)
        )
        joins.append(f" LEFT JOIN duplicates_{i} ON {on}")
        conditions.append(f"_duplicate_{i}")
    return (
        f"WITH {', '.join(ctes)} SELECT validated.* FROM validated{''.join(joins)} "
        f"WHERE {' OR '.join(conditions) or 'FALSE'}"
    )


def candidate_rows_only(suite: dict) -> bool:
    """Whether GE sees only the candidate rows: when the suite asks for it (then every
    expectation must be row-level), and whenever every expectation is row-level anyway,
    which is what lets a clean mart pass without GE even being imported."""
    if suite.get("meta", {}).get("unexpected_rows_only"):
        return True
    try:
        for expectation in suite["expectations"]:
            unexpected_row_condition(expectation)
    except ValueError:
        return False
    return True


def suite_query(suite: dict) -> str:
    """The rows GE validates for this suite."""
    if candidate_rows_only(suite):
        return unexpected_rows_sql(suite)
    return validated_rows_sql(suite)


def future_tolerance_minutes() -> int:
    return int(os.environ.get(FUTURE_TOLERANCE_ENV, "60"))


@cache
def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("flowmart")
    return source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole")


def warm_up() -> None:
    """Import GE and make its context now: what the first validation would do."""
    _batch_definition()


def _outcome_column(kwargs: dict) -> str | None:
    return (
        kwargs.get("column")
        or kwargs.get("column_A")
        or (",".join(kwargs["column_list"]) if "column_list" in kwargs else None)
    )


def validate_frame(frame, suite: dict, rows: int | None = None) -> SuiteOutcome:
    import great_expectations as gx

    expectation_suite = gx.ExpectationSuite(
        name=suite["name"], expectations=suite["expectations"], meta=suite.get("meta")
    )
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(expectation_suite)
    outcome = SuiteOutcome(suite=suite["name"], rows=len(frame) if rows is None else rows)
    for r in result.results:
        config = r.expectation_config
        outcome.outcomes.append(
            ExpectationOutcome(
                expectation=config.type,
                column=_outcome_column(config.kwargs),
                severity=str(getattr(config.severity, "value", config.severity)),
                success=bool(r.success),
                unexpected_count=(r.result or {}).get("unexpected_count"),
            )
        )
    return outcome


def _all_expected(suite: dict, rows: int) -> SuiteOutcome:
    """No candidate row means no unexpected row in the whole batch: every expectation
    holds, as GE says of such a batch (tests/test_quality_gates.py checks it), and GE need
    not even be imported (seconds, before dbt can start)."""
    return SuiteOutcome(
        suite=suite["name"],
        rows=rows,
        outcomes=[
            ExpectationOutcome(
                expectation=e["type"],
                column=_outcome_column(e["kwargs"]),
                severity=e.get("severity", "critical"),
                success=True,
                unexpected_count=0,
            )
            for e in suite["expectations"]
        ],
    )


def validate_table(
    con: duckdb.DuckDBPyConnection, suite: dict, validate=validate_frame
) -> SuiteOutcome:
    """The suite's outcome on its rows in the working warehouse; `validate` is GE's
    validation of a frame (`validate_frame`, or the same in orchestration/validator)."""
    tolerance = future_tolerance_minutes()
    con.execute(f"SET VARIABLE {FUTURE_TOLERANCE_VARIABLE} = {tolerance}").fetchall()
    if not candidate_rows_only(suite):
        frame = con.sql(suite_query(suite)).df()
        return validate(frame, suite, len(frame))
    (rows,) = con.execute(f"SELECT count(*) FROM ({validated_rows_sql(suite)})").fetchall()[0]
    frame = con.sql(suite_query(suite)).df()
    if frame.empty:
        return _all_expected(suite, rows)
    return validate(frame, suite, rows)


# The latest outcome of every suite, kept under FLOWMART_HOME for `flowmart status`:
# written by the check steps, whoever launched the run (CLI, schedule, UI).


def results_path(home: Path) -> Path:
    return home / RESULTS_FILE


def read_results(home: Path) -> dict[str, dict]:
    """Suite name -> its latest recorded result; empty before any check ran."""
    try:
        return json.loads(results_path(home).read_text())["suites"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return {}


def record_results(home: Path, run_id: str, results: list[tuple[dict, SuiteOutcome]]) -> None:
    """Replace the recorded results of these suites (others keep theirs), atomically."""
    if not results:
        return
    suites = read_results(home)
    evaluated_at = datetime.now(UTC).isoformat(timespec="seconds")
    for suite, outcome in results:
        suites[suite["name"]] = {
            "asset": "/".join(checked_asset_path(suite)),
            "check": check_name(suite),
            "run_id": run_id,
            "evaluated_at": evaluated_at,
            "rows": outcome.rows,
            "expectations": len(outcome.outcomes),
            "passed": not (outcome.critical_failures or outcome.warnings),
            "failures": [asdict(o) for o in (*outcome.critical_failures, *outcome.warnings)],
        }
    path = results_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    staging.write_text(json.dumps({"suites": dict(sorted(suites.items()))}, indent=1) + "\n")
    staging.replace(path)

"""Great Expectations suites (expectations/*.json) as blocking Dagster asset checks.

Two steps (importing GE alone costs seconds, so each evaluates all its suites at once):
- `raw_great_expectations`: a suite per raw table (rendered from the contracts), run
  right after extraction; being blocking, a critical failure stops dbt and publication.
  The rebuild job (no extraction) does not run them.
- `great_expectations_suites`: a suite per published mart, plus the reconciliations
  between marts (daily = sum of hourly, marts = fct_executions), run after dbt on the
  marts it rebuilt (the others are as the last publication checked them).
A critical failure fails its check with ERROR severity, which stops every downstream
asset, publication included; warnings are reported only (WARN severity). Every outcome
is also recorded under FLOWMART_HOME for `flowmart status`.
"""

import dagster as dg

from orchestration import validator, warehouse
from orchestration.defs.resources import WarehouseLock
from orchestration.quality import (
    SuiteOutcome,
    additional_dep_paths,
    check_name,
    checked_asset_path,
    load_suite,
    record_results,
    suite_paths,
    validate_table,
)
from orchestration.rebuild import rebuilt_models
from orchestration.settings import load_settings

SUITES = {name: load_suite(path) for name, path in suite_paths().items()}


def checked_asset_key(suite: dict) -> dg.AssetKey:
    return dg.AssetKey(checked_asset_path(suite))


def _is_raw(suite: dict) -> bool:
    return checked_asset_path(suite)[0] == "raw"


RAW_SUITES = {name: suite for name, suite in SUITES.items() if _is_raw(suite)}
MART_SUITES = {name: suite for name, suite in SUITES.items() if not _is_raw(suite)}


def _spec(name: str, suite: dict) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        check_name(suite),
        asset=checked_asset_key(suite),
        additional_deps=[dg.AssetKey(path) for path in additional_dep_paths(suite)],
        blocking=True,
        description=f"GE suite expectations/{name}.json (critical expectations block)",
    )


def _labels(outcomes) -> list[str]:
    return [o.label() for o in outcomes]


def _result(name: str, suite: dict, outcome: SuiteOutcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=checked_asset_key(suite),
        check_name=check_name(suite),
        passed=not (outcome.critical_failures or outcome.warnings),
        severity=(
            dg.AssetCheckSeverity.ERROR if outcome.critical_failures else dg.AssetCheckSeverity.WARN
        ),
        metadata={
            "suite": name,
            "rows_validated": outcome.rows,
            "expectations": len(outcome.outcomes),
            "critical_failures": _labels(outcome.critical_failures),
            "warnings": _labels(outcome.warnings),
        },
    )


def _unchanged(name: str, suite: dict) -> dg.AssetCheckResult:
    """A mart this run did not rebuild is the one the last publication checked."""
    return dg.AssetCheckResult(
        asset_key=checked_asset_key(suite),
        check_name=check_name(suite),
        passed=True,
        metadata={"suite": name, "evaluated": False, "reason": "not rebuilt by this run"},
    )


def _reads_rebuilt(suite: dict, rebuilt: set[str]) -> bool:
    paths = [checked_asset_path(suite), *additional_dep_paths(suite)]
    return any(path[-1] in rebuilt for path in paths)


def _run_suites(
    context: dg.AssetCheckExecutionContext, suites: dict[str, dict], only_rebuilt: bool = False
):
    selected = set(context.selected_asset_check_keys)
    settings = load_settings()
    evaluated = []
    try:
        with warehouse.connect(settings.work_db, read_only=True) as con:
            rebuilt = rebuilt_models(con)
            for name, suite in suites.items():
                key = dg.AssetCheckKey(checked_asset_key(suite), check_name(suite))
                if key not in selected:
                    continue
                if only_rebuilt and not _reads_rebuilt(suite, rebuilt):
                    yield _unchanged(name, suite)
                    continue
                outcome = validate_table(con, suite, validator.validate)
                evaluated.append((suite, outcome))
                yield _result(name, suite, outcome)
    finally:
        validator.stop()
        record_results(settings.home, context.run.run_id, evaluated)


@dg.multi_asset_check(
    specs=[_spec(name, suite) for name, suite in RAW_SUITES.items()],
    can_subset=True,
)
def raw_great_expectations(context: dg.AssetCheckExecutionContext, warehouse_lock: WarehouseLock):
    yield from _run_suites(context, RAW_SUITES)


@dg.multi_asset_check(
    specs=[_spec(name, suite) for name, suite in MART_SUITES.items()],
    can_subset=True,
)
def great_expectations_suites(
    context: dg.AssetCheckExecutionContext, warehouse_lock: WarehouseLock
):
    yield from _run_suites(context, MART_SUITES, only_rebuilt=True)

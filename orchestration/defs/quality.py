"""Great Expectations suites (expectations/*.json) as blocking Dagster asset checks.

One check per published table with a suite, all evaluated in a single step (importing
GE alone costs seconds). A critical failure fails its check with ERROR severity, which
stops every downstream asset, publication included; warnings are reported only.
"""

import dagster as dg

from orchestration import warehouse
from orchestration.defs.resources import WarehouseLock
from orchestration.quality import load_suite, suite_paths, validate_table
from orchestration.settings import load_settings

SUITES = {name: load_suite(path) for name, path in suite_paths().items()}


def checked_asset_key(suite: dict) -> dg.AssetKey:
    return dg.AssetKey(suite["meta"]["table"].split("."))


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "great_expectations",
            asset=checked_asset_key(suite),
            blocking=True,
            description=f"GE suite expectations/{name}.json (critical expectations block)",
        )
        for name, suite in SUITES.items()
    ],
    can_subset=True,
)
def great_expectations_suites(
    context: dg.AssetCheckExecutionContext, warehouse_lock: WarehouseLock
):
    selected = {key.asset_key for key in context.selected_asset_check_keys}
    with warehouse.connect(load_settings().work_db, read_only=True) as con:
        for name, suite in SUITES.items():
            asset_key = checked_asset_key(suite)
            if asset_key not in selected:
                continue
            outcome = validate_table(con, suite)
            failed = [*outcome.critical_failures, *outcome.warnings]
            yield dg.AssetCheckResult(
                asset_key=asset_key,
                check_name="great_expectations",
                passed=not failed,
                severity=(
                    dg.AssetCheckSeverity.ERROR
                    if outcome.critical_failures
                    else dg.AssetCheckSeverity.WARN
                ),
                metadata={
                    "suite": name,
                    "rows_validated": outcome.rows,
                    "expectations": len(outcome.outcomes),
                    "critical_failures": [
                        f"{o.expectation}({o.column}): {o.unexpected_count} unexpected"
                        for o in outcome.critical_failures
                    ],
                    "warnings": [
                        f"{o.expectation}({o.column}): {o.unexpected_count} unexpected"
                        for o in outcome.warnings
                    ],
                },
            )

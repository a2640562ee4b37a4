"""The quarantine gate: a blocking check on every raw table after extraction.

Bad rows are quarantined one by one (orchestration/quarantine.py) and the marts go on
without them; but when a large share of a batch is bad, something upstream broke (a
new engine version writing other codes, a migration), and publishing marts built on
what is left would mislead. Then the check fails and nothing downstream runs.
"""

import dagster as dg

from models import SOURCE_TABLES
from orchestration import warehouse
from orchestration.defs.extract import raw_asset_key
from orchestration.defs.resources import WarehouseLock
from orchestration.quarantine import QuarantineLimits, latest_batch_rates
from orchestration.settings import load_settings


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            "quarantine_rate",
            asset=raw_asset_key(table.name),
            blocking=True,
            description="Share of the latest extraction batch quarantined, against "
            "FLOWMART_QUARANTINE_MAX_RATE (batches of FLOWMART_QUARANTINE_MIN_ROWS or more)",
        )
        for table in SOURCE_TABLES
    ],
    can_subset=True,
)
def quarantine_rate(context: dg.AssetCheckExecutionContext, warehouse_lock: WarehouseLock):
    limits = QuarantineLimits.from_environment()
    selected = {key.asset_key for key in context.selected_asset_check_keys}
    with warehouse.connect(load_settings().work_db, read_only=True) as con:
        for table in SOURCE_TABLES:
            if raw_asset_key(table.name) not in selected:
                continue
            rate = latest_batch_rates(con, table)
            yield dg.AssetCheckResult(
                asset_key=raw_asset_key(table.name),
                check_name="quarantine_rate",
                passed=not limits.exceeded_by(rate),
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "batch_rows": rate.rows,
                    "quarantined": rate.quarantined,
                    "rate": rate.rate,
                    "max_rate": limits.max_rate,
                    "min_rows": limits.min_rows,
                },
            )

"""The flowmart code location: extract -> dbt -> checks -> publish, in one job."""

import os

import dagster as dg

from orchestration.defs.dbt import dbt_models, today_partition_key
from orchestration.defs.extract import EXTRACT_GROUP, raw_tables
from orchestration.defs.publish import published_flowmart
from orchestration.defs.quality import great_expectations_suites, raw_great_expectations
from orchestration.defs.quarantine import quarantine_rate
from orchestration.defs.resources import WarehouseLock

# Everything, in one run: what `flowmart refresh` and the nightly schedule launch.
refresh_job = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all(),
    description="Extract every source change, rebuild, check, publish (flowmart refresh).",
)
# Everything but extraction: rebuild the marts from the warehouse's raw history.
rebuild_job = dg.define_asset_job(
    "rebuild",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(EXTRACT_GROUP),
    description="Rebuild, check and publish from raw history, no extraction (flowmart backfill).",
)


@dg.schedule(
    job=refresh_job,
    cron_schedule=os.environ.get("FLOWMART_REFRESH_CRON", "0 2 * * *"),
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def nightly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Every night: pick up every change since the last refresh (today's partition, plus
    whatever older days the changes touch)."""
    scheduled = context.scheduled_execution_time
    day = scheduled.date().isoformat() if scheduled else today_partition_key()
    return dg.RunRequest(partition_key=day, tags={"flowmart/command": "refresh"})


defs = dg.Definitions(
    assets=[raw_tables, dbt_models, published_flowmart],
    asset_checks=[raw_great_expectations, great_expectations_suites, quarantine_rate],
    jobs=[refresh_job, rebuild_job],
    schedules=[nightly_refresh],
    resources={"warehouse_lock": WarehouseLock()},
    # Dagster's multiprocess executor spends minutes on process start-up for small
    # steps here; every step is DuckDB- or dbt-bound anyway.
    executor=dg.in_process_executor,
)

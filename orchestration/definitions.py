"""The flowmart code location: extract -> dbt -> checks -> publish, in one job."""

import dagster as dg

from orchestration.defs.dbt import dbt_models, dbt_resource
from orchestration.defs.extract import EXTRACT_GROUP, raw_tables
from orchestration.defs.publish import published_flowmart
from orchestration.defs.quality import great_expectations_suites

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

defs = dg.Definitions(
    assets=[raw_tables, dbt_models, published_flowmart],
    asset_checks=[great_expectations_suites],
    jobs=[refresh_job, rebuild_job],
    resources={"dbt": dbt_resource},
    # Dagster's multiprocess executor spends minutes on process start-up for small
    # steps here; every step is DuckDB- or dbt-bound anyway.
    executor=dg.in_process_executor,
)

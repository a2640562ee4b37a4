"""Publication: the last asset of every run, reached only when every blocking check passed."""

import dagster as dg

from orchestration import warehouse
from orchestration.defs.dbt import day_partition_columns, published_marts
from orchestration.defs.resources import WarehouseLock
from orchestration.publishing import MARTS_SCHEMA, publish
from orchestration.rebuild import rebuilt_models
from orchestration.settings import load_settings

MARTS = published_marts()
DAY_PARTITIONS = day_partition_columns()


@dg.asset(
    key=dg.AssetKey(["published", "flowmart"]),
    deps=[dg.AssetKey([MARTS_SCHEMA, mart]) for mart in MARTS],
    group_name="publish",
    kinds={"duckdb", "parquet"},
    description=(
        "The analysts' DuckDB file and Parquet files: every mart, swapped in atomically "
        "after the checks passed."
    ),
)
def published_flowmart(
    context: dg.AssetExecutionContext, warehouse_lock: WarehouseLock
) -> dg.MaterializeResult:
    settings = load_settings()
    with warehouse.connect(settings.work_db) as con:
        publication = publish(
            con,
            MARTS,
            settings.published_db,
            settings.published_parquet,
            context.run.run_id,
            rebuilt=rebuilt_models(con),
            day_partitions=DAY_PARTITIONS,
        )
    return dg.MaterializeResult(
        metadata={
            "path": str(publication.path),
            "parquet": str(publication.parquet_path),
            "parquet_version": str(publication.parquet_version),
            "published_at": str(publication.published_at),
            **{f"rows.{mart}": rows for mart, rows in publication.rows_per_mart.items()},
        }
    )

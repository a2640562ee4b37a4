"""Extraction assets: one asset per source table, computed by one step.

A single multi-asset keeps one source connection and one warehouse connection for the
whole extraction (Dagster steps cost seconds here); it can still be subset to a table.
"""

from datetime import UTC, datetime

import dagster as dg

from models import SOURCE_TABLES
from orchestration import warehouse
from orchestration.defs.resources import WarehouseLock
from orchestration.engines import open_source_of_kind
from orchestration.extraction import extract_table
from orchestration.settings import load_settings
from orchestration.source_url import redacted_errors

EXTRACT_GROUP = "extract"


def raw_asset_key(table_name: str) -> dg.AssetKey:
    """Matches dagster-dbt's key for `source('raw', table_name)`."""
    return dg.AssetKey(["raw", table_name])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            raw_asset_key(table.name),
            description=f"Raw history of source table `{table.name}`: {table.description}",
            group_name=EXTRACT_GROUP,
            kinds={"duckdb"},
            metadata={"change_column": table.change_column, "primary_key": list(table.primary_key)},
        )
        for table in SOURCE_TABLES
    ],
    can_subset=True,
)
def raw_tables(context: dg.AssetExecutionContext, warehouse_lock: WarehouseLock):
    settings = load_settings()
    extracted_at = datetime.now(UTC).replace(tzinfo=None)
    selected = {key.path[-1] for key in context.selected_asset_keys}
    # The only step that holds the source URL: nothing it raises may show the password.
    with (
        redacted_errors(settings.source_url),
        open_source_of_kind(settings.source_url, settings.source_kind) as source,
        warehouse.connect(settings.work_db) as con,
    ):
        warehouse.ensure_schema(con)
        for table in SOURCE_TABLES:
            if table.name not in selected:
                continue
            result = extract_table(table, source, con, settings.extract_overlap, extracted_at)
            if result.extra_columns:
                context.log.warning(
                    f"source table {table.name} has columns outside the contract, ignored: "
                    f"{', '.join(result.extra_columns)}"
                )
            context.log.info(
                f"{table.name}: {result.rows_read} rows read "
                f"({result.rows_inserted} new, {result.rows_updated} updated)"
            )
            yield dg.MaterializeResult(
                asset_key=raw_asset_key(table.name),
                metadata={
                    "rows_read": result.rows_read,
                    "rows_inserted": result.rows_inserted,
                    "rows_updated": result.rows_updated,
                    "since": str(result.since) if result.since else "beginning",
                    "pending_watermark": str(result.pending_watermark),
                    "extra_columns": list(result.extra_columns),
                },
            )

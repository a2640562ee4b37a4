"""The Dagster code location loads, and its graph is what the pipeline promises."""

import dagster as dg

from models import SOURCE_TABLES
from orchestration.definitions import defs
from orchestration.defs.dbt import published_marts
from orchestration.defs.quality import great_expectations_suites


def test_definitions_are_loadable():
    dg.Definitions.validate_loadable(defs)


def test_graph_runs_from_every_source_table_to_publication():
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    for table in SOURCE_TABLES:
        assert dg.AssetKey(["raw", table.name]) in keys
    published = dg.AssetKey(["published", "flowmart"])
    upstream = graph.upstream_key_iterator(published)
    assert {dg.AssetKey(["marts", m]) for m in published_marts()} <= set(upstream)


def test_every_published_mart_has_a_blocking_great_expectations_check():
    specs = list(great_expectations_suites.check_specs)
    assert {dg.AssetKey(["marts", m]) for m in published_marts()} <= {s.asset_key for s in specs}
    assert all(spec.blocking for spec in specs)


def test_runs_use_the_in_process_executor():
    assert defs.resolve_job_def("refresh").executor_def is dg.in_process_executor


def test_nightly_schedule_refreshes_the_day_it_runs():
    from datetime import UTC, datetime

    from orchestration.definitions import nightly_refresh

    assert nightly_refresh.cron_schedule == "0 2 * * *"
    assert nightly_refresh.execution_timezone == "UTC"
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 3, 5, 2, 0, tzinfo=UTC),
        repository_def=defs.get_repository_def(),
    )
    request = nightly_refresh.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026-03-05"
    assert request.job_name in (None, "refresh")


def test_dbt_models_are_day_partitioned_and_backfill_as_one_run():
    from orchestration.defs.dbt import DAY_PARTITIONS, dbt_models

    assert dbt_models.partitions_def == DAY_PARTITIONS
    assert dbt_models.backfill_policy == dg.BackfillPolicy.single_run()

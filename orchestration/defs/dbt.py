"""dbt models as Dagster assets, built by a single `dbt build` per run.

One dbt invocation costs ~5 s of start-up, so the whole selection (models, snapshots,
data tests) runs in one call; dbt's data tests become Dagster asset checks and a failing
one fails the step, so nothing downstream (publication) runs. dbt's unit tests check the
SQL, not the data: the test suite runs them (tests/test_dbt_project.py), a refresh does
not spend seconds on them.

The models are day-partitioned in Dagster. dbt rebuilds the days in `meta.dirty_days`:
those touched by extracted changes plus the partitions the run was launched for (a
backfill's range, or today for a refresh). A range always runs as one run.
"""

import fcntl
import hashlib
import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from packaging.version import Version

from orchestration import warehouse
from orchestration.defs.resources import WarehouseLock
from orchestration.partitions import dirty_days, mark_days, partitions_start
from orchestration.quality import warm_up_great_expectations
from orchestration.settings import DBT_PROJECT_DIR, Settings, load_settings, parse_dbt_vars

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
PUBLISHED_SCHEMA = "marts"


def dbt_executable() -> str:
    """The dbt of this environment, explicitly (dagster-dbt would otherwise search PATH)."""
    return str(Path(sys.executable).with_name("dbt"))


def dbt_environment(settings: Settings) -> dict[str, str]:
    """What profiles.yml reads: the working warehouse of this FLOWMART_HOME."""
    return {"FLOWMART_WORK_DB": str(settings.work_db)}


def dbt_build_args(settings: Settings) -> list[str]:
    """The one `dbt build` of a run, with this installation's FLOWMART_DBT_VARS. The same
    vars on every run keep dbt's partial parse; changing them re-parses once."""
    args = ["build", "--exclude", "test_type:unit"]
    overrides = parse_dbt_vars(settings.dbt_vars)
    if overrides:
        args += ["--vars", json.dumps(overrides, sort_keys=True)]
    return args


def project_fingerprint() -> str:
    """A hash of every file dbt parses: the manifest is current when it was parsed from
    exactly these contents (modification times race when files change during a parse)."""
    digest = hashlib.sha256()
    files = [
        DBT_PROJECT_DIR / "dbt_project.yml",
        *sorted(
            p
            for d in ("models", "macros", "tests", "seeds", "snapshots")
            for p in (DBT_PROJECT_DIR / d).rglob("*")
            if p.is_file()
        ),
    ]
    for path in files:
        digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_manifest() -> Path:
    """Parse the dbt project unless its manifest was parsed from the current files.

    Processes loading the definitions at the same time (a CLI run and `dagster dev`,
    parallel test workers) share `dbt_project/target`: they take turns on a file lock,
    so one parses and the others find its manifest current."""
    MANIFEST_PATH.parent.mkdir(parents=True, exist_ok=True)
    with MANIFEST_PATH.with_name("parse.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        fingerprint = project_fingerprint()
        parsed_from = MANIFEST_PATH.with_name("manifest.fingerprint")
        current = parsed_from.exists() and parsed_from.read_text() == fingerprint
        if current and MANIFEST_PATH.exists():
            return MANIFEST_PATH
        env = {**os.environ, **dbt_environment(load_settings())}
        subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--profiles-dir", str(DBT_PROJECT_DIR)],
            cwd=DBT_PROJECT_DIR,
            env=env,
            check=True,
        )
        parsed_from.write_text(fingerprint)
    return MANIFEST_PATH


def published_marts(manifest_path: Path = MANIFEST_PATH) -> list[str]:
    """Every dbt model in the `marts` schema: exactly what publication copies."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return sorted(
        n["name"]
        for n in nodes
        if n["resource_type"] == "model" and n["config"].get("schema") == PUBLISHED_SCHEMA
    )


KEYED_BY_SCHEMA = ("model", "snapshot")


class FlowmartTranslator(DagsterDbtTranslator):
    """Models and snapshots are keyed by schema and name (marts/fct_executions,
    snapshots/workflow_history); sources stay raw/<table>."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in KEYED_BY_SCHEMA:
            schema = dbt_resource_props["config"]["schema"]
            return dg.AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in KEYED_BY_SCHEMA:
            return dbt_resource_props["config"]["schema"]
        return super().get_group_name(dbt_resource_props)


class FlowmartDbtCliResource(DbtCliResource):
    """dagster-dbt without its per-invocation start-up costs (seconds each, measured):
    it asks `dbt --version`, though our dbt_executable is this environment's own dbt, and
    it loads a dbt adapter in-process, only needed for row-count and column metadata,
    which flowmart does not fetch."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


dbt_resource = FlowmartDbtCliResource(
    project_dir=str(DBT_PROJECT_DIR),
    profiles_dir=str(DBT_PROJECT_DIR),
    dbt_executable=dbt_executable(),
)


DAY_PARTITIONS = dg.DailyPartitionsDefinition(
    start_date=partitions_start().isoformat(),
    end_offset=1,  # today, partial, included
)


def _mark_requested_days(context: dg.AssetExecutionContext, settings: Settings) -> list[date]:
    """Add the run's partitions to the dirty days; return every day dbt will rebuild."""
    window = context.partition_time_window
    first, last = window.start.date(), window.end.date() - timedelta(days=1)
    with warehouse.connect(settings.work_db) as con:
        warehouse.ensure_schema(con)
        mark_days(con, first, last, reason="requested")
        return dirty_days(con)


@dbt_assets(
    manifest=ensure_manifest(),
    dagster_dbt_translator=FlowmartTranslator(),
    partitions_def=DAY_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse_lock: WarehouseLock
):
    settings = load_settings()
    days = _mark_requested_days(context, settings)
    context.log.info(f"rebuilding {len(days)} day partitions: {days[:3]}...{days[-3:]}")
    os.environ.update(dbt_environment(settings))
    warm_up_great_expectations()  # imports GE while dbt runs: the checks come next
    # A stable target path per FLOWMART_HOME keeps dbt's partial-parse state between runs
    # (the profile, hence the parse, differs between homes).
    yield from dbt.cli(
        dbt_build_args(settings), context=context, target_path=settings.dbt_target
    ).stream()
    # The run's own partitions are recorded by Dagster; also record the other days that
    # source changes made dbt rebuild (a late completion on an older day, say).
    requested = set(context.partition_keys)
    known = set(DAY_PARTITIONS.get_partition_keys())
    for key in sorted({d.isoformat() for d in days} & known - requested):
        for asset_key in context.selected_asset_keys:
            context.log_event(dg.AssetMaterialization(asset_key=asset_key, partition=key))


def today_partition_key() -> str:
    """Today's (UTC) partition, where a refresh is anchored."""
    return datetime.now(UTC).date().isoformat()

"""dbt models as Dagster assets, built by at most one in-process `dbt build` per run.

Only the models whose inputs changed since the last publication are rebuilt
(orchestration/rebuild.py); when none did, dbt is not invoked at all and the checks
and publication downstream are skipped. The rebuilt models, snapshots and their data
tests run in one dbt call, in this process (orchestration/dbt_invocation.py: a dbt
subprocess costs seconds of start-up); dbt's data tests become Dagster asset checks and
a failing one fails the step, so nothing downstream (publication) runs. dbt's unit
tests check the SQL, not the data: the test suite runs them (tests/test_dbt_project.py),
a refresh does not spend seconds on them.

The models are day-partitioned in Dagster. dbt rebuilds the days in `meta.dirty_days`:
those touched by extracted changes, plus the partitions the run was launched for when
it is not a refresh (a backfill's range). A range always runs as one run.
"""

import fcntl
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, dbt_assets
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

from orchestration import validator, warehouse
from orchestration.dbt_invocation import run_dbt
from orchestration.defs.resources import WarehouseLock
from orchestration.partitions import dirty_days, mark_days, partitions_start
from orchestration.rebuild import (
    REBUILT_TYPES,
    RebuildPlan,
    changed_inputs,
    current_inputs,
    plan_rebuild,
    project_value,
    record_build,
)
from orchestration.settings import DBT_PROJECT_DIR, Settings, load_settings, parse_dbt_vars

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
PARSED_PROJECT_PATH = MANIFEST_PATH.with_name("partial_parse.msgpack")
PUBLISHED_SCHEMA = "marts"


def dbt_executable() -> str:
    """The dbt of this environment, explicitly (dagster-dbt would otherwise search PATH)."""
    return str(Path(sys.executable).with_name("dbt"))


def dbt_environment(settings: Settings) -> dict[str, str]:
    """What profiles.yml reads: the working warehouse of this FLOWMART_HOME."""
    return {"FLOWMART_WORK_DB": str(settings.work_db)}


# dbt reads the working warehouse only: the source's URL (and its password) is none of
# its business, in the environment of a dbt process or of the in-process dbt run.
HIDDEN_FROM_DBT = ("FLOWMART_SOURCE_URL",)


def dbt_process_environment(settings: Settings) -> dict[str, str]:
    """The environment of a dbt process: this one's, without the source URL."""
    inherited = {k: v for k, v in os.environ.items() if k not in HIDDEN_FROM_DBT}
    return {**inherited, **dbt_environment(settings)}


@contextmanager
def hidden_from_dbt() -> Iterator[None]:
    """While dbt runs in this process, the source URL is not in its environment."""
    hidden = {k: os.environ.pop(k) for k in HIDDEN_FROM_DBT if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(hidden)


def dbt_build_args(settings: Settings, plan: RebuildPlan | None = None) -> list[str]:
    """The one `dbt build` of a run: the plan's nodes (all of them without a plan, or
    when the plan rebuilds everything), with this installation's FLOWMART_DBT_VARS. The
    same vars on every run keep dbt's partial parse; changing them re-parses once."""
    args = ["build", "--exclude", "test_type:unit"]
    if plan is not None and not plan.everything:
        args += ["--select", *plan.selection]
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
        env = dbt_process_environment(load_settings())
        subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--profiles-dir", str(DBT_PROJECT_DIR)],
            cwd=DBT_PROJECT_DIR,
            env=env,
            check=True,
        )
        parsed_from.write_text(fingerprint)
    return MANIFEST_PATH


def day_partition_columns(manifest_path: Path = MANIFEST_PATH) -> dict[str, str]:
    """Every day-partitioned model (macros/day_partitions.sql) and its day column."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return {
        n["name"]: n["config"]["meta"]["day_partition_column"]
        for n in nodes
        if n["resource_type"] == "model" and n["config"].get("meta", {}).get("day_partition_column")
    }


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


DAY_PARTITIONS = dg.DailyPartitionsDefinition(
    start_date=partitions_start().isoformat(),
    end_offset=1,  # today, partial, included
)


def _requested_days(context: dg.AssetExecutionContext) -> tuple[date, date]:
    window = context.partition_time_window
    return window.start.date(), window.end.date() - timedelta(days=1)


def _plan(context: dg.AssetExecutionContext, settings: Settings, manifest) -> tuple:
    """Mark the requested days (a backfill's range; a refresh rebuilds only what its
    changes touched), then decide what to rebuild; record it for the checks and
    publication. Returns (plan, every day partition dbt will rebuild)."""
    with warehouse.connect(settings.work_db) as con:
        warehouse.ensure_schema(con)
        if context.run.tags.get("flowmart/command") != "refresh":
            first, last = _requested_days(context)
            mark_days(con, first, last, reason="requested")
        current = current_inputs(con, project_value(project_fingerprint(), _vars(settings)))
        plan = plan_rebuild(manifest, changed_inputs(con, current))
        record_build(con, current, plan)
        return plan, dirty_days(con)


def _unchanged_assets(
    context, manifest, translator, plan: RebuildPlan
) -> list[tuple[dg.AssetKey, set[dg.AssetKey]]]:
    """The selected assets the plan does not rebuild, each with its parents among the
    selected assets (`_InOrder` yields them in dependency order)."""
    rebuilt = set(plan.nodes)
    selected = set(context.selected_asset_keys)
    keys = {
        uid: translator.get_asset_key(node)
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in REBUILT_TYPES
    }
    return [
        (key, {keys[p] for p in manifest["parent_map"].get(uid, []) if keys.get(p) in selected})
        for uid, key in sorted(keys.items())
        if uid not in rebuilt and key in selected
    ]


class _InOrder:
    """Outputs of the assets a run does not rebuild, each yielded once its parents are
    out: Dagster wants a multi-asset's outputs in dependency order, and a view over
    changed rows (not rebuilt, reading them when queried) can sit below a snapshot that
    dbt rebuilds and above a model that reads it."""

    def __init__(self, context, unchanged: list[tuple[dg.AssetKey, set[dg.AssetKey]]]) -> None:
        self._context = context
        self._pending = list(unchanged)
        self._out: set[dg.AssetKey] = set()

    def ready(self, event=None) -> Iterator[dg.Output]:
        """After `event` (one of dbt's), every unchanged asset whose parents are out."""
        if isinstance(event, dg.Output):
            self._out.add(self._context.assets_def.keys_by_output_name[event.output_name])
        progress = True
        while progress:
            progress = False
            for key, parents in list(self._pending):
                if parents <= self._out:
                    self._pending.remove((key, parents))
                    self._out.add(key)
                    progress = True
                    name = self._context.assets_def.get_output_name_for_asset_key(key)
                    yield dg.Output(None, output_name=name, metadata={"rebuilt": False})


def _vars(settings: Settings) -> dict:
    return parse_dbt_vars(settings.dbt_vars)


@dbt_assets(
    manifest=ensure_manifest(),
    dagster_dbt_translator=FlowmartTranslator(),
    partitions_def=DAY_PARTITIONS,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_models(context: dg.AssetExecutionContext, warehouse_lock: WarehouseLock):
    settings = load_settings()
    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    plan, days = _plan(context, settings, manifest)
    context.log.info(plan.describe())
    if not plan.nodes and not plan.tests:
        return  # nothing changed: the checks and publication downstream are skipped
    context.log.info(f"rebuilding {len(days)} day partitions: {days[:3]}...{days[-3:]}")
    os.environ.update(dbt_environment(settings))
    # The models whose inputs did not change keep their tables; they are still outputs of
    # this run, so that their checks and the publication downstream run: those not below
    # a rebuilt one first, the others as soon as dbt has built their parents.
    in_order = _InOrder(context, _unchanged_assets(context, manifest, translator, plan))
    yield from in_order.ready()
    with hidden_from_dbt():
        validator.start_if_needed(settings.home)  # GE, for the mart suites that follow
        for event in run_dbt(
            dbt_build_args(settings, plan),
            settings.dbt_target,
            manifest,
            translator,
            context,
            # this installation's vars may change what dbt parses: then it parses (partially)
            manifest_msgpack=None if _vars(settings) else PARSED_PROJECT_PATH,
        ):
            yield event
            yield from in_order.ready(event)
    # The run's own partitions are recorded by Dagster; also record the other days that
    # source changes made dbt rebuild (a late completion on an older day, say).
    requested = set(context.partition_keys)
    known = set(DAY_PARTITIONS.get_partition_keys())
    rebuilt = {translator.get_asset_key(manifest["nodes"][uid]) for uid in plan.nodes}
    for key in sorted({d.isoformat() for d in days} & known - requested):
        for asset_key in rebuilt & set(context.selected_asset_keys):
            context.log_event(dg.AssetMaterialization(asset_key=asset_key, partition=key))


def today_partition_key() -> str:
    """Today's (UTC) partition, where a refresh is anchored."""
    return datetime.now(UTC).date().isoformat()

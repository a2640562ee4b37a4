"""dbt models as Dagster assets, built by a single `dbt build` per run.

One dbt invocation costs ~5 s of start-up, so the whole selection (models, unit tests,
data tests) runs in one call; dbt's data tests become Dagster asset checks and a failing
one fails the step, so nothing downstream (publication) runs.
"""

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.settings import DBT_PROJECT_DIR, Settings, load_settings

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
PUBLISHED_SCHEMA = "marts"


def dbt_executable() -> str:
    """The dbt of this environment, explicitly (dagster-dbt would otherwise search PATH)."""
    return str(Path(sys.executable).with_name("dbt"))


def dbt_environment(settings: Settings) -> dict[str, str]:
    """What profiles.yml reads: the working warehouse of this FLOWMART_HOME."""
    return {"FLOWMART_WORK_DB": str(settings.work_db)}


def _project_files() -> list[Path]:
    return [
        p for d in ("models", "macros", "tests", "seeds") for p in (DBT_PROJECT_DIR / d).rglob("*")
    ]


def ensure_manifest() -> Path:
    """Parse the dbt project when its manifest is missing or older than any project file."""
    sources = [*_project_files(), DBT_PROJECT_DIR / "dbt_project.yml"]
    if MANIFEST_PATH.exists():
        built = MANIFEST_PATH.stat().st_mtime
        if all(p.stat().st_mtime <= built for p in sources if p.is_file()):
            return MANIFEST_PATH
    env = {**os.environ, **dbt_environment(load_settings())}
    subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR,
        env=env,
        check=True,
    )
    return MANIFEST_PATH


def published_marts(manifest_path: Path = MANIFEST_PATH) -> list[str]:
    """Every dbt model in the `marts` schema: exactly what publication copies."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return sorted(
        n["name"]
        for n in nodes
        if n["resource_type"] == "model" and n["config"].get("schema") == PUBLISHED_SCHEMA
    )


class FlowmartTranslator(DagsterDbtTranslator):
    """Models are keyed by layer and name (marts/fct_executions); sources stay raw/<table>."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            schema = dbt_resource_props["config"]["schema"]
            return dg.AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            return dbt_resource_props["config"]["schema"]
        return super().get_group_name(dbt_resource_props)


dbt_resource = DbtCliResource(
    project_dir=str(DBT_PROJECT_DIR),
    profiles_dir=str(DBT_PROJECT_DIR),
    dbt_executable=dbt_executable(),
)


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=FlowmartTranslator())
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    os.environ.update(dbt_environment(load_settings()))
    yield from dbt.cli(["build"], context=context).stream()

"""Where flowmart reads from and writes to, driven by the environment.

FLOWMART_HOME       data directory (default ./data): working warehouse, published
                    marts, Dagster instance, demo source.
FLOWMART_SOURCE_URL sqlite:///path or postgresql://user:pass@host:port/db
                    (default: the demo SQLite file under FLOWMART_HOME).
FLOWMART_SOURCE_KIND
                    what the source is: contract (shaped like shared/source_schema.sql,
                    the default), n8n, airflow, dagster or prefect (that engine's own
                    metadata database, orchestration/engines/), or auto (told by the
                    tables present).
FLOWMART_EXTRACT_OVERLAP_SECONDS
                    how far before the committed watermark extraction re-reads, to
                    catch rows whose change time precedes their commit (default 300).
FLOWMART_DBT_VARS   dbt vars for this installation, a YAML mapping such as
                    '{cost_spike_warning_pct: 40, alert_min_runs: 10}': the operations
                    layer's thresholds (declared with their defaults at the end of
                    dbt_project/dbt_project.yml) without editing the project.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml

from orchestration.source_url import display_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


@dataclass(frozen=True)
class Settings:
    home: Path
    source_url: str
    extract_overlap: timedelta = timedelta(seconds=300)
    source_kind: str = "contract"  # FLOWMART_SOURCE_KIND, checked by check_settings
    dbt_vars: str = ""  # FLOWMART_DBT_VARS, checked by parse_dbt_vars

    def __repr__(self) -> str:  # not the dataclass's: that would show the password
        return (
            f"Settings(home={self.home!r}, source_url={display_url(self.source_url)!r}, "
            f"extract_overlap={self.extract_overlap!r}, source_kind={self.source_kind!r})"
        )

    @property
    def source_label(self) -> str:
        """The source as the CLI shows it: password masked, its kind unless `contract`."""
        kind = "" if self.source_kind == "contract" else f" ({self.source_kind})"
        return display_url(self.source_url) + kind

    @property
    def demo_source_path(self) -> Path:
        return self.home / "source" / "demo.sqlite"

    @property
    def work_db(self) -> Path:
        """The private working warehouse: raw history, dbt models, bookkeeping."""
        return self.home / "warehouse" / "work.duckdb"

    @property
    def published_db(self) -> Path:
        """What analysts open: a link into the current published version (publishing.py),
        switched atomically with the Parquet files, never written in place."""
        return self.home / "published" / "flowmart.duckdb"

    @property
    def published_parquet(self) -> Path:
        """The same marts as `<mart>.parquet` files: a link into the current published
        version, switched atomically with the DuckDB file, never written through."""
        return self.home / "published" / "parquet"

    @property
    def dbt_target(self) -> Path:
        """dbt's artifacts and partial-parse state for this home's warehouse."""
        return self.home / "dbt_target"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"


class SettingsError(ValueError):
    """A FLOWMART_* variable that cannot be used as it is."""


def parse_dbt_vars(text: str) -> dict:
    """FLOWMART_DBT_VARS as a mapping; a clear error rather than a dbt failure mid-run."""
    if not text.strip():
        return {}
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SettingsError(f"FLOWMART_DBT_VARS is not valid YAML: {exc}") from None
    if not isinstance(parsed, dict):
        raise SettingsError(
            "FLOWMART_DBT_VARS must be a YAML mapping such as '{alert_min_runs: 10}', "
            f"got {text!r}"
        )
    return parsed


def check_settings(settings: Settings) -> None:
    """Refuse variables that cannot be used, before any work starts."""
    from orchestration.engines import SOURCE_KINDS

    parse_dbt_vars(settings.dbt_vars)
    if settings.source_kind not in SOURCE_KINDS:
        raise SettingsError(
            f"FLOWMART_SOURCE_KIND must be one of {', '.join(SOURCE_KINDS)}, "
            f"got {settings.source_kind!r}"
        )


def load_settings() -> Settings:
    home = Path(os.environ.get("FLOWMART_HOME", "data")).resolve()
    default_source = f"sqlite:///{home / 'source' / 'demo.sqlite'}"
    return Settings(
        home=home,
        source_url=os.environ.get("FLOWMART_SOURCE_URL", default_source),
        extract_overlap=timedelta(
            seconds=float(os.environ.get("FLOWMART_EXTRACT_OVERLAP_SECONDS", "300"))
        ),
        dbt_vars=os.environ.get("FLOWMART_DBT_VARS", ""),
        source_kind=os.environ.get("FLOWMART_SOURCE_KIND", "contract").strip().lower(),
    )

"""Shared machinery of the oracle tests: build a generated source with the real CLI, read
the published marts, and compare them with independent polars implementations."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import MappingProxyType

import duckdb
import polars as pl
import pytest

from orchestration.demo import generate_demo_source, write_source
from tests.conftest import BUILDS, Flowmart

Frames = dict[str, pl.DataFrame]

END = date(2026, 3, 10)  # the shared demo source's last day


@contextmanager
def home_environment(root: Path, url: str, kind: str = "contract") -> Iterator[Callable[[], Path]]:
    """A flowmart home under `root` reading `url` (a source of `kind`); yield a function
    that runs `flowmart refresh` there (in this process) and returns the published file."""
    from orchestration.cli import main

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FLOWMART_HOME", str(root / "home"))
        mp.setenv("FLOWMART_SOURCE_URL", url)
        mp.setenv("FLOWMART_SOURCE_KIND", kind)
        mp.setenv("DAGSTER_HOME", str(root / "home" / "dagster"))

        def refresh() -> Path:
            assert main(["refresh"]) == 0
            return root / "home" / "published" / "flowmart.duckdb"

        yield refresh


@contextmanager
def flowmart_home(root: Path, frames: dict[str, pl.DataFrame]) -> Iterator[Callable[[], Path]]:
    """Write `frames` as a SQLite source under `root`; then as home_environment."""
    url = f"sqlite:///{root / 'source.sqlite'}"
    write_source(frames, url)
    with home_environment(root, url) as refresh:
        yield refresh


def private_copy(built: Path, target: Path, make_flowmart: Callable) -> Flowmart:
    """A test's own copy of a module's built installation (home and source.sqlite), so
    a module refreshes once and each test changes what it likes."""
    shutil.copytree(built, target, symlinks=True)
    return make_flowmart(f"sqlite:///{target / 'source.sqlite'}", target / "home")


def read_mart(published: Path, name: str) -> pl.DataFrame:
    with duckdb.connect(str(published), read_only=True) as con:
        return con.sql(f"SELECT * FROM marts.{name}").pl()


def utc_naive(column: str) -> pl.Expr:
    """Source times are UTC-aware in the frames, naive UTC (TIMESTAMP) in the marts."""
    return pl.col(column).dt.replace_time_zone(None)


def assert_same(
    actual: pl.DataFrame, expected: pl.DataFrame, keys: list[str], all_columns: bool = True
) -> None:
    """Every row and every column of `expected` (and no other column when all_columns);
    floats within a relative 1e-6, NULL only where NULL."""
    if all_columns:
        assert set(actual.columns) == set(expected.columns)
    assert set(expected.columns) <= set(actual.columns)
    actual = actual.select(expected.columns).sort(keys, nulls_last=True)
    expected = expected.sort(keys, nulls_last=True)
    assert actual.height == expected.height
    for column in expected.columns:
        left, right = actual[column], expected[column]
        if right.dtype.is_float() or left.dtype.is_float():
            left, right = left.cast(pl.Float64), right.cast(pl.Float64)
            close = (left - right).abs() <= 1e-6 * right.abs().clip(1)
            assert close.fill_null(left.is_null() & right.is_null()).all(), column
        else:
            assert left.cast(right.dtype).equals(right), column


def demo_source() -> Frames:
    """The generated source of every mart oracle module: 3 days up to END (the late run
    changes move an execution of March 8 ten days back, into February), 300 executions a
    day. The seed is one whose source, before and after the late changes, has what every
    module's checks need at once: incidents resolved and still open, one of several
    failed runs; a workflow-day of reviews with no first-pass subject; reviews of every
    status; API client and server errors, failed AI calls, billing over its limits."""
    return generate_demo_source(days=3, executions_per_day=300, seed=14, end_date=END)


class DemoBuilds:
    """The real CLI's builds of one generated source, shared by the mart oracle modules
    (the `demo_builds` session fixture), each made once, when first asked for:

    - "first_refresh": (generated, published file) after one refresh;
    - "after_late_changes": (changed frames, published file) after a second, incremental
      refresh in the same home, once the source's changed tables were rewritten with
      `late_changes(generated)`, which returns (changed frames, names of changed tables).

    The first refresh's published file is kept as a copy, so both take two refreshes.
    Frames are shared by every module: given read-only."""

    def __init__(
        self,
        root: Path,
        generated: Frames,
        late_changes: Callable[[Frames], tuple[Frames, tuple[str, ...]]],
    ) -> None:
        self.root, self.late_changes = root, late_changes
        self.generated: Mapping[str, pl.DataFrame] = MappingProxyType(generated)
        self.url = f"sqlite:///{root / 'source.sqlite'}"
        self._builds: dict[str, tuple[Mapping[str, pl.DataFrame], Path]] = {}
        self._failures: dict[str, BaseException] = {}

    def __getitem__(self, name: str) -> tuple[Mapping[str, pl.DataFrame], Path]:
        assert name in BUILDS, name
        if name in self._failures:  # one failed refresh is reported, not redone per module
            raise RuntimeError(f"the {name} build failed earlier") from self._failures[name]
        if name not in self._builds:
            try:
                self._build(name)
            except BaseException as exc:
                self._failures[name] = exc
                raise
        return self._builds[name]

    def _build(self, name: str) -> None:
        if name == "after_late_changes":
            self["first_refresh"]  # the second refresh is in the first one's home
            frames, changed = self.late_changes(dict(self.generated))
            write_source({table: frames[table] for table in changed}, self.url)
            with home_environment(self.root, self.url) as refresh:
                self._builds[name] = (MappingProxyType(frames), refresh())
            return
        with flowmart_home(self.root, dict(self.generated)) as refresh:
            published = refresh()
        # the next refresh replaces the published file: keep this one's as it is
        kept = self.root / "first_refresh" / published.name
        kept.parent.mkdir()
        shutil.copyfile(published, kept)
        self._builds[name] = (self.generated, kept)


def expected_executions(frames: Frames) -> pl.DataFrame:
    """fct_executions per METRICS.md's status table, written independently of dbt."""
    unhandled = (
        frames["node_instance"]
        .filter((pl.col("status_cd") == 7) & ~pl.col("error_handled"))
        .select(pl.col("process_instance_id").alias("id"))
        .unique()
        .with_columns(pl.lit(True).alias("unhandled"))
    )
    status = (
        pl.when(pl.col("state_cd") == 1)
        .then(pl.lit("running"))
        .when(pl.col("state_cd") == 2)
        .then(pl.lit("waiting"))
        .when(pl.col("state_cd") == 3)
        .then(pl.lit("aborted"))
        .when((pl.col("state_cd") == 7) | pl.col("unhandled"))
        .then(pl.lit("failed"))
        .otherwise(pl.lit("succeeded"))
    )
    return (
        frames["process_instance"]
        .join(unhandled, on="id", how="left")
        .with_columns(pl.col("unhandled").fill_null(False))
        .with_columns(status.alias("status"))
        .with_columns(
            pl.when(pl.col("status").is_in(["succeeded", "failed"]))
            .then((pl.col("end_time") - pl.col("start_time")).dt.total_microseconds() / 1000)
            .alias("duration_ms"),
        )
        .select(
            pl.col("id").alias("execution_id"),
            pl.col("organization_id").alias("org_id"),
            pl.col("process_meta_id").alias("workflow_id"),
            "start_time",
            "status",
            "duration_ms",
            pl.col("start_time").dt.date().alias("day"),
        )
    )


def expected_fct_executions(frames: Frames) -> pl.DataFrame:
    """Every column of fct_executions (METRICS.md), written independently of dbt: node
    runs counted with the trigger run an engine did not record, the first failing node
    by start time (ties: node run id) and the signature of its error."""
    from tests.text_rules import mask_personal_data, signature

    nodes = frames["node_instance"]
    recorded = nodes.group_by("process_instance_id").agg(
        pl.len().alias("recorded"),
        pl.col("node_type").str.ends_with("Trigger").any().alias("has_trigger"),
    )
    first_failure = (
        nodes.filter(pl.col("status_cd") == 7)
        .sort("start_time", "id")
        .group_by("process_instance_id", maintain_order=True)
        .agg(pl.col("node_id").first().alias("failed_node_id"), pl.col("error_details").first())
    )
    details = frames["process_instance"].select(
        pl.col("id").alias("process_instance_id"),
        pl.col("process_name")
        .map_elements(mask_personal_data, return_dtype=pl.String)
        .alias("workflow_name"),
        pl.col("parent_instance_id").alias("parent_execution_id"),
        "trigger_type",
        utc_naive("end_time").alias("ended_at"),
    )
    return (
        expected_executions(frames)
        .rename({"execution_id": "process_instance_id"})
        .join(details, on="process_instance_id", how="left")
        .join(recorded, on="process_instance_id", how="left")
        .join(first_failure, on="process_instance_id", how="left")
        .select(
            pl.col("process_instance_id").alias("execution_id"),
            "org_id",
            "workflow_id",
            "workflow_name",
            "parent_execution_id",
            "trigger_type",
            "status",
            utc_naive("start_time").alias("started_at"),
            "ended_at",
            "duration_ms",
            (
                pl.col("recorded").fill_null(0)
                + (~pl.col("has_trigger").fill_null(False)).cast(pl.Int64)
            ).alias("node_runs"),
            "failed_node_id",
            pl.col("error_details")
            .map_elements(signature, return_dtype=pl.String)
            .alias("error_signature"),
            "day",
        )
    )


def published_snapshot(home: Path) -> dict[str, str]:
    """Everything under published/: each symlink's target, each file's SHA-256."""
    root = home / "published"
    tree = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory, name)
            key = str(path.relative_to(root))
            if path.is_symlink():
                tree[key] = f"-> {os.readlink(path)}"
            elif path.is_file():
                tree[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                tree[key] = "directory"
    return tree


def committed_watermarks(home: Path) -> dict[str, object]:
    """Each source table's committed watermark in the working warehouse of `home`."""
    with duckdb.connect(str(home / "warehouse" / "work.duckdb"), read_only=True) as con:
        return dict(con.sql("SELECT table_name, committed_at FROM meta.watermarks").fetchall())


def publication_state(home: Path) -> tuple[dict[str, str], dict[str, object]]:
    """What a run that publishes nothing leaves exactly as it was: everything under
    published/ (the DuckDB file, the Parquet link and its version's files) and the
    committed watermarks."""
    return published_snapshot(home), committed_watermarks(home)


def _rounded(value):
    return float(f"{value:.12g}") if isinstance(value, float) else value


def _rows(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple]:
    return [
        tuple(_rounded(v) for v in row)
        for row in con.sql(f"SELECT * FROM {relation} ORDER BY ALL").fetchall()
    ]


def mart_rows(published: Path) -> dict[str, list[tuple]]:
    """Every mart, rows in order, floats to 12 significant digits (DuckDB's parallel
    aggregation may sum a group's doubles in another order from run to run)."""
    with duckdb.connect(str(published), read_only=True) as con:
        names = con.sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
        ).fetchall()
        return {name: _rows(con, f"marts.{name}") for (name,) in names}


def parquet_mart_rows(directory: Path) -> dict[str, list[tuple]]:
    """The same, of a published Parquet directory (<mart>.parquet files)."""
    with duckdb.connect() as con:
        return {path.stem: _rows(con, f"'{path}'") for path in directory.glob("*.parquet")}

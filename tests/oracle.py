"""Shared machinery of the oracle tests: build a generated source with the real CLI, read
the published marts, and compare them with independent polars implementations."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl
import pytest

from orchestration.demo import write_source
from tests.conftest import Flowmart


@contextmanager
def home_environment(root: Path, url: str) -> Iterator[Callable[[], Path]]:
    """A flowmart home under `root` reading `url`; yield a function that runs
    `flowmart refresh` there (in this process) and returns the published file."""
    from orchestration.cli import main

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FLOWMART_HOME", str(root / "home"))
        mp.setenv("FLOWMART_SOURCE_URL", url)
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


def refresh_with_late_changes(
    root: Path,
    generated: dict[str, pl.DataFrame],
    late_changes: Callable[[dict[str, pl.DataFrame]], dict[str, pl.DataFrame]] | None,
    changed: tuple[str, ...] = (),
) -> tuple[dict[str, pl.DataFrame], Path]:
    """(source frames, published file) after one refresh of `generated`; with
    `late_changes`, after a second, incremental refresh that first rewrites the `changed`
    tables of the source with late_changes(generated)."""
    frames = generated
    with flowmart_home(root, generated) as refresh:
        published = refresh()
        if late_changes is not None:
            frames = late_changes(generated)
            url = f"sqlite:///{root / 'source.sqlite'}"
            write_source({name: frames[name] for name in changed}, url)
            published = refresh()
    return frames, published

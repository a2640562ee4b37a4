"""Shared fixtures: an isolated FLOWMART_HOME per test, and running the real CLI."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.cli import main

BUILDS = ("first_refresh", "after_late_changes")  # the DemoBuilds every oracle module checks


@dataclass
class Flowmart:
    """One flowmart installation: its data directory and source, driven through the CLI."""

    home: Path
    source_url: str
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture
    source_kind: str = "contract"

    def __post_init__(self) -> None:
        self.monkeypatch.setenv("FLOWMART_HOME", str(self.home))
        self.monkeypatch.setenv("FLOWMART_SOURCE_URL", self.source_url)
        self.monkeypatch.setenv("FLOWMART_SOURCE_KIND", self.source_kind)
        self.monkeypatch.setenv("DAGSTER_HOME", str(self.home / "dagster"))

    def run(self, *args: str) -> tuple[int, str, str]:
        """`flowmart ARGS` in this process: (exit code, stdout, stderr)."""
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    @property
    def published(self) -> Path:
        return self.home / "published" / "flowmart.duckdb"

    @property
    def source_path(self) -> Path:
        return Path(self.source_url.removeprefix("sqlite:///"))


@pytest.fixture
def make_flowmart(tmp_path, monkeypatch, capsys):
    def make(source_url: str, home: Path | None = None, kind: str = "contract") -> Flowmart:
        return Flowmart(home or tmp_path / "home", source_url, monkeypatch, capsys, kind)

    return make


def copy_tree(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="session")
def demo_builds(tmp_path_factory):
    """The mart oracle modules' shared builds of one generated source (tests/oracle.py,
    DemoBuilds): a first refresh, then one after every module's late changes."""
    from tests.late_changes import all_late_changes  # not at import: they import this
    from tests.oracle import DemoBuilds, demo_source

    return DemoBuilds(tmp_path_factory.mktemp("demo_builds"), demo_source(), all_late_changes)


@pytest.fixture(scope="module", params=BUILDS)
def built(request, demo_builds):
    """(source frames, published file) of the shared demo source, for the oracle modules:
    after one refresh, or after a second, incremental refresh of late changes
    (tests/late_changes.py)."""
    return demo_builds[request.param]


@pytest.fixture
def frames(built):
    return built[0]


@pytest.fixture
def published(built):
    return built[1]

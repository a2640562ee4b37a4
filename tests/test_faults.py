"""Faults injected into real refreshes: kill -9 at each stage, the source going away
mid-extraction, a source table that cannot be read. After each, the published DuckDB file
and everything else under published/ are byte-identical, no watermark was committed, and
the next plain `flowmart refresh` recovers without manual steps: its marts equal those of
a from-scratch build of the same source, so nothing extracted but unpublished was lost.

The refreshes to kill are real `flowmart refresh` processes (`python -m orchestration.cli`),
each in a session of its own, so that killing its process group kills its dbt too. Their
stage is detected from outside, without any hook in production code:

- extract: the run's Dagster event log (read from this process, in the instance directory
  of the refresh's home) shows step `raw_tables` materialized raw/node_instance, which
  holds the new rows (extracted, committed to raw history, watermark pending), and has
  tables left to extract; the last tables take milliseconds, so from the extraction's
  start the refresh runs in slices, frozen in between, as for publish below;
- dbt: step `dbt_models` materialized a first model and its `dbt build` process runs in
  the refresh's process group (found in /proc);
- checks: step `great_expectations_suites` started (validation takes seconds);
- publish: the publication's staging file `.flowmart.duckdb.<pid>.tmp` and a new version
  directory `parquet-<time>/` holding a first Parquet file are in published/. Publishing
  takes a fraction of a second, too short to hit by polling: from the mart checks on, the
  refresh runs in 5 ms slices, frozen in between (SIGSTOP/SIGCONT to its process group),
  and published/ is examined while it is frozen, so the kill hits exactly that state.

After each kill the event log shows that the run died inside that stage: its step never
succeeded and no later step started. The PostgreSQL source is shut down the same way,
once raw/node_instance is extracted.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import adbc_driver_postgresql.dbapi
import dagster as dg
import duckdb
import polars as pl
import pytest
from sqlalchemy.exc import OperationalError

from models import SOURCE_TABLES, TABLES_BY_NAME
from orchestration.demo import generate_demo_source, write_source
from orchestration.settings import PROJECT_ROOT
from orchestration.source import SourceUnavailableError, open_source
from tests.oracle import committed_watermarks, mart_rows, parquet_mart_rows, published_snapshot
from tests.postgres_server import PostgresServer, postgres_available

# The refresh job's steps, in order, and the step of each stage where a refresh is killed.
# The raw tables' checks (quarantine rate, raw suites) run between extraction and dbt;
# "checks" is the mart suites' step, the last gate before publication.
JOB_STEPS = (
    "raw_tables",
    "quarantine_rate",
    "raw_great_expectations",
    "dbt_models",
    "great_expectations_suites",
    "published__flowmart",
)
STEPS = {
    "extract": "raw_tables",
    "dbt": "dbt_models",
    "checks": "great_expectations_suites",
    "publish": "published__flowmart",
}
TIMEOUT_S = 300
LATER_RUNS = 20
# The later runs' node runs: extracted after their executions, with 7 tables still to go.
NEW_ROWS_EXTRACTED = "raw/node_instance"


# -- the platform: a small generated source, then later runs ---------------------------
def later_runs(frames: dict[str, pl.DataFrame], count: int = LATER_RUNS) -> dict[str, pl.DataFrame]:
    """New source rows for the next refresh: `count` finished top-level executions and
    their node runs copied under new ids, moved by whole days past every change time."""
    executions, nodes = frames["process_instance"], frames["node_instance"]
    latest = max(executions["updated_at"].max(), nodes["updated_at"].max())
    chosen = (
        executions.filter(pl.col("parent_instance_id").is_null() & pl.col("end_time").is_not_null())
        .sort("start_time", "id")
        .tail(count)
    )
    chosen_nodes = nodes.filter(pl.col("process_instance_id").is_in(chosen["id"].implode()))
    earliest = min(chosen["updated_at"].min(), chosen_nodes["updated_at"].min())
    shift = timedelta(days=(latest - earliest).days + 1)

    def moved(frame: pl.DataFrame, id_columns: list[str]) -> pl.DataFrame:
        times = [name for name, dtype in frame.schema.items() if dtype == pl.Datetime("us", "UTC")]
        return frame.with_columns(
            *(pl.col(name) + shift for name in times),
            *(pl.col(name) + "-later" for name in id_columns),
        )

    return {
        "process_instance": moved(chosen, ["id"]),
        "node_instance": moved(chosen_nodes, ["id", "process_instance_id"]),
    }


def differing_marts(published: Path, expected: dict[str, list[tuple]]) -> list[str]:
    actual = mart_rows(published)
    return sorted(
        name for name in expected.keys() | actual.keys() if actual.get(name) != expected.get(name)
    )


# -- a refresh process, watched from outside -------------------------------------------
def process_group(pgid: int) -> list[str]:
    """The command lines of the live (not zombie) processes of a process group."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            cmdline = Path(entry.path, "cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        state, _ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(cmdline.replace(b"\0", b" ").decode(errors="replace").strip())
    return members


def process_state(pid: int) -> str:
    """R, S, D, T (stopped), Z (zombie)... of a process, from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2]


class RefreshProcess:
    """`flowmart refresh` as a real process in a session (process group) of its own;
    in a home that has a Dagster instance already, its run is followed through the
    instance's event log."""

    def __init__(self, home: Path, source_url: str, logs: Path):
        self.home = home
        logs.mkdir(parents=True, exist_ok=True)
        self._out_path, self._err_path = logs / "stdout", logs / "stderr"
        self.instance: dg.DagsterInstance | None = None
        if (home / "dagster").exists():  # never created here while the refresh creates it
            self.instance = dg.DagsterInstance.from_config(str(home / "dagster"))
            self._runs_before = {run.run_id for run in self.instance.get_runs()}
        self.run_id: str | None = None
        self._cursor: str | None = None
        self.events: Counter[tuple[str | None, str]] = Counter()
        self.materialized: set[str] = set()
        env = {
            **os.environ,
            "FLOWMART_HOME": str(home),
            "FLOWMART_SOURCE_URL": source_url,
            "DAGSTER_HOME": str(home / "dagster"),
        }
        with self._out_path.open("w") as out, self._err_path.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "orchestration.cli", "refresh"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )

    def output(self) -> tuple[str, str]:
        return self._out_path.read_text(), self._err_path.read_text()

    def poll_events(self) -> None:
        """Count the run's new events, by (step, event type); note materialized assets."""
        assert self.instance is not None, "no Dagster instance to follow the run in"
        try:
            if self.run_id is None:
                new = [
                    r for r in self.instance.get_runs(limit=5) if r.run_id not in self._runs_before
                ]
                if not new:
                    return
                self.run_id = new[0].run_id
            page = self.instance.event_log_storage.get_records_for_run(
                self.run_id, cursor=self._cursor
            )
        except OperationalError:  # SQLite busy while the run writes: next time
            return
        self._cursor = page.cursor
        for record in page.records:
            event = record.event_log_entry.dagster_event
            if event is not None:
                self.events[(event.step_key, event.event_type_value)] += 1
                if event.is_step_materialization:
                    self.materialized.add(event.asset_key.to_user_string())

    def count(self, step: str, event_type: str) -> int:
        return self.events[(step, event_type)]

    def wait_for(self, reached: Callable[[], bool], what: str, interval: float = 0.02) -> None:
        """Poll the event log until `reached()`; fail if the refresh ends first."""
        started = time.monotonic()
        while True:
            self.poll_events()
            if reached():
                return
            if self.process.poll() is not None:
                out, err = self.output()
                pytest.fail(
                    f"the refresh ended (exit {self.process.returncode}) before {what}:\n"
                    f"{out}\n{err[-5000:]}"
                )
            if time.monotonic() - started > TIMEOUT_S:
                pytest.fail(f"no {what} after {TIMEOUT_S} s")
            time.sleep(interval)

    def wait(self, timeout: float = TIMEOUT_S) -> int:
        return self.process.wait(timeout=timeout)

    def step_until(self, reached: Callable[[], bool], what: str, slice_s: float = 0.005) -> None:
        """Let the refresh run in slices of `slice_s`, frozen in between (SIGSTOP to its
        process group), until `reached()` holds for its frozen state; return it frozen,
        so that a kill hits exactly the state seen, however short the stage. The run's
        events are read while it is frozen too."""
        started = time.monotonic()
        while True:
            os.killpg(self.process.pid, signal.SIGSTOP)
            while process_state(self.process.pid) not in ("T", "Z"):
                time.sleep(0.0001)
            if self.instance is not None:
                self.poll_events()
            if reached():
                return
            if self.process.poll() is not None:
                out, err = self.output()
                pytest.fail(f"the refresh ended before {what}:\n{out}\n{err[-5000:]}")
            if time.monotonic() - started > TIMEOUT_S:
                pytest.fail(f"no {what} after {TIMEOUT_S} s")
            os.killpg(self.process.pid, signal.SIGCONT)
            time.sleep(slice_s)

    def resume(self) -> None:
        """Let a refresh frozen by `step_until` go on."""
        os.killpg(self.process.pid, signal.SIGCONT)

    def kill_group(self) -> list[str]:
        """SIGKILL to the refresh and its children (dbt); wait until none is left alive.
        Returns the command lines that were killed."""
        pgid = self.process.pid
        members = process_group(pgid)
        os.killpg(pgid, signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + 30
        while process_group(pgid):
            assert time.monotonic() < deadline, f"still alive: {process_group(pgid)}"
            time.sleep(0.05)
        if self.instance is not None:
            self.poll_events()  # whatever the run logged before it died
        return members

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill_group()
        if self.instance is not None:
            self.instance.dispose()


# -- fixtures ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Platform:
    root: Path
    final_source: Path  # the baseline's source plus the later runs
    final_frames: dict[str, pl.DataFrame]
    expected: dict[str, list[tuple]]  # the marts of a from-scratch build of final_source

    @property
    def baseline(self) -> Path:
        """The home after one published refresh of the source without the later runs."""
        return self.root / "baseline-home"

    def home(self) -> Path:
        """A fresh copy of the baseline home, always at the path it was built at: dbt's
        partial parse (keyed by the profile, which holds the warehouse path) stays
        valid, which spares every dbt run of these tests seconds of parsing."""
        home = self.root / "home"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(self.baseline, home, symlinks=True)
        return home

    def source_with_new_rows(self, tmp_path: Path) -> str:
        shutil.copyfile(self.final_source, tmp_path / "source.sqlite")
        return f"sqlite:///{tmp_path / 'source.sqlite'}"


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> Platform:
    """The baseline home and the from-scratch build of the final source, refreshed at
    the same time by two `flowmart refresh` processes."""
    root = tmp_path_factory.mktemp("faults")
    frames = generate_demo_source(
        days=2, executions_per_day=150, seed=11, end_date=date(2026, 3, 4)
    )
    later = later_runs(frames)
    final_frames = {
        name: pl.concat([frame, later[name]]) if name in later else frame
        for name, frame in frames.items()
    }
    write_source(frames, f"sqlite:///{root / 'baseline.sqlite'}")
    write_source(final_frames, f"sqlite:///{root / 'final.sqlite'}")
    builds = [
        RefreshProcess(root / home, f"sqlite:///{root / source}", root / "logs" / home)
        for home, source in [("home", "baseline.sqlite"), ("scratch", "final.sqlite")]
    ]
    for build in builds:
        code = build.wait()
        build.close()
        assert code == 0, build.output()
    (root / "home").rename(root / "baseline-home")
    expected = mart_rows(root / "scratch" / "published" / "flowmart.duckdb")
    baseline = mart_rows(root / "baseline-home" / "published" / "flowmart.duckdb")
    # the next refresh has work to do: the later runs are what it must publish
    assert len(expected["fct_executions"]) == len(baseline["fct_executions"]) + LATER_RUNS
    return Platform(root, root / "final.sqlite", final_frames, expected)


def recovers(make_flowmart, home: Path, source_url: str, platform: Platform) -> None:
    """A plain refresh (in this process) publishes the marts of a from-scratch build, the
    same in the DuckDB file and the Parquet files, and leaves published/ holding the
    current and the previous version only (what `current` pointed at before it)."""
    previous = os.readlink(home / "published" / "current")
    code, _, err = make_flowmart(source_url, home).run("refresh")
    assert code == 0, err
    assert differing_marts(home / "published" / "flowmart.duckdb", platform.expected) == []
    assert parquet_mart_rows(home / "published" / "parquet") == mart_rows(
        home / "published" / "flowmart.duckdb"
    )
    current = os.readlink(home / "published" / "current")
    assert sorted(os.listdir(home / "published")) == sorted(
        ["flowmart.duckdb", "parquet", "current", current, previous]
    )


# -- kill -9 at each stage -----------------------------------------------------------------
def reached(stage: str, refresh: RefreshProcess) -> Callable[[], bool]:
    step = STEPS[stage]
    if stage == "extract":  # from the extraction's start on, in slices (`step_until`)
        return lambda: refresh.count(step, "STEP_START") == 1
    if stage == "dbt":  # dbt runs in the refresh's process and streams each model
        return lambda: refresh.count(step, "ASSET_MATERIALIZATION") >= 1
    if stage == "checks":
        return lambda: refresh.count(step, "STEP_START") == 1
    # publish: from the mart checks on, in slices (`step_until`): publication takes only
    # a fraction of a second.
    return lambda: refresh.count(STEPS["checks"], "STEP_START") == 1


def new_rows_extracted(refresh: RefreshProcess) -> Callable[[], bool]:
    """The new rows are in raw history (watermark pending, nothing published) and tables
    are left to extract. The last tables of a small source take milliseconds: polled
    while running, they could all be done before the kill lands, so this is checked
    with the refresh frozen (`step_until`)."""
    return lambda: NEW_ROWS_EXTRACTED in refresh.materialized


def publishing(refresh: RefreshProcess) -> Callable[[], bool]:
    """The refresh is publishing: a new version directory, holding its DuckDB file and
    a first Parquet file, is in published/, and `current` does not point at it yet."""
    published = refresh.home / "published"
    current = os.readlink(published / "current")

    def reached() -> bool:
        versions = [
            published / n
            for n in os.listdir(published)
            if n.startswith("version-") and n != current
        ]
        return any(
            (v / "flowmart.duckdb").exists()
            and (v / "parquet").is_dir()
            and any(os.listdir(v / "parquet"))
            for v in versions
        )

    return reached


@pytest.mark.parametrize("stage", list(STEPS))
def test_kill_9_leaves_the_publication_unchanged_and_the_next_refresh_recovers(
    stage, platform, tmp_path, make_flowmart
):
    home, source_url = platform.home(), platform.source_with_new_rows(tmp_path)
    before = published_snapshot(home)
    watermarks = committed_watermarks(home)
    refresh = RefreshProcess(home, source_url, tmp_path / "logs")
    try:
        refresh.wait_for(reached(stage, refresh), f"the {stage} stage")
        if stage == "extract":
            refresh.step_until(new_rows_extracted(refresh), "the new rows extracted")
        if stage == "publish":
            refresh.step_until(publishing(refresh), "the publication")
        refresh.kill_group()
    finally:
        refresh.close()
    step = STEPS[stage]
    assert refresh.count(step, "STEP_START") == 1
    assert refresh.count(step, "STEP_SUCCESS") == 0  # it died in that step
    later_steps = JOB_STEPS[JOB_STEPS.index(step) + 1 :]
    assert [s for s in later_steps if refresh.count(s, "STEP_START")] == []
    if stage == "extract":
        assert NEW_ROWS_EXTRACTED in refresh.materialized
        assert refresh.count(step, "ASSET_MATERIALIZATION") < len(SOURCE_TABLES)

    after = published_snapshot(home)
    assert {key: after.get(key) for key in before} == before  # the file, link and Parquet
    left = sorted(after.keys() - before.keys())
    if stage == "publish":  # the killed publication's version directory, not current
        current = os.readlink(home / "published" / "current")
        tops = {key.split("/")[0] for key in left}
        assert any(t.startswith("version-") for t in tops), tops
        assert all(t.startswith(("version-", ".current.")) and t != current for t in tops), tops
    else:
        assert left == []
    assert committed_watermarks(home) == watermarks  # nothing unpublished was committed

    recovers(make_flowmart, home, source_url, platform)  # and the leftovers are gone


# -- kill -9 at the switch of the published version ----------------------------------------
# The publication's one commit point is the rename that points published/current at the
# new version. A kill -9 cannot be aimed at a moment that short from outside, so the
# refresh process kills itself there: a real `flowmart refresh` whose publishing module's
# link swap is wrapped to SIGKILL the process just before, or just after, the real swap
# of `current` (the watermarks are committed after it).
KILLED_AT_SWITCH = """
import os, signal, sys
import orchestration.publishing as publishing
moment, swap = sys.argv[1], publishing._swap_link
def swap_then_die(link, target):
    if link.name != publishing.CURRENT:
        return swap(link, target)
    if moment == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    swap(link, target)
    os.kill(os.getpid(), signal.SIGKILL)
publishing._swap_link = swap_then_die
from orchestration.cli import main
sys.exit(main(["refresh"]))
"""


@pytest.mark.parametrize("moment", ["before", "after"])
def test_kill_9_at_the_switch_leaves_a_consistent_pair_and_the_next_refresh_recovers(
    moment, platform, tmp_path, make_flowmart
):
    """Killed just before the switch, the published DuckDB file and Parquet files are
    both the old version, byte for byte; just after it, both are the new one, whole,
    while no watermark is committed yet. Either way, the two always hold the same
    marts, and the next plain refresh publishes the from-scratch build's marts."""
    home, source_url = platform.home(), platform.source_with_new_rows(tmp_path)
    before = published_snapshot(home)
    watermarks = committed_watermarks(home)
    env = {
        **os.environ,
        "FLOWMART_HOME": str(home),
        "FLOWMART_SOURCE_URL": source_url,
        "DAGSTER_HOME": str(home / "dagster"),
    }
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_AT_SWITCH, moment],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    published = home / "published"
    in_duckdb = mart_rows(published / "flowmart.duckdb")
    assert parquet_mart_rows(published / "parquet") == in_duckdb  # one version, whole
    after = published_snapshot(home)
    if moment == "before":
        assert {key: after.get(key) for key in before} == before
    else:
        assert after["current"] != before["current"]
        assert differing_marts(published / "flowmart.duckdb", platform.expected) == []
    assert committed_watermarks(home) == watermarks  # committed only after the switch

    recovers(make_flowmart, home, source_url, platform)


# -- the source goes away mid-extraction -----------------------------------------------------
PG_AVAILABLE, PG_MISSING = postgres_available()
if not PG_AVAILABLE and os.environ.get("CI"):
    raise RuntimeError(f"CI must run the PostgreSQL tests: {PG_MISSING}")


def needs_postgres(test):
    return pytest.mark.postgres(pytest.mark.skipif(not PG_AVAILABLE, reason=PG_MISSING)(test))


@needs_postgres
def test_source_going_away_mid_extraction_is_a_clear_error_and_publishes_nothing(
    platform, tmp_path, make_flowmart
):
    """The platform's PostgreSQL (the same rows as the baseline's source, plus the later
    runs) shuts down while a refresh extracts from it: fast shutdown, which terminates
    the refresh's connection as a database going down under it does."""
    home = platform.home()
    before = published_snapshot(home)
    watermarks = committed_watermarks(home)
    password = f"Pg-{secrets.token_hex(8)}"
    with PostgresServer() as server:
        write_source(platform.final_frames, server.url)
        url = server.add_password_role("analyst", password)
        refresh = RefreshProcess(home, url, tmp_path / "logs")
        try:
            refresh.wait_for(reached("extract", refresh), "the extraction")
            refresh.step_until(new_rows_extracted(refresh), "the new rows extracted")
            server.shut_down()  # while the refresh is frozen, with tables left to read
            refresh.resume()
            code = refresh.wait()
        finally:
            refresh.close()
        out, err = refresh.output()
        assert code == 1, f"{out}\n{err}"
        assert NEW_ROWS_EXTRACTED in refresh.materialized
        assert refresh.count("raw_tables", "ASSET_MATERIALIZATION") < len(SOURCE_TABLES)
        masked = f"postgresql://analyst:***@127.0.0.1:{server.port}/flowmart"
        [failure] = [line for line in err.splitlines() if "step failed" in line]
        assert failure.startswith(
            "flowmart refresh: step failed: raw_tables: "
            f"orchestration.source.SourceUnavailableError: lost the connection to the source "
            f"{masked} while reading table "
        ), failure
        assert "NOT published" in err
        assert password not in out + err and quote(password) not in out + err
        assert published_snapshot(home) == before
        assert committed_watermarks(home) == watermarks

        server.restart()
        recovers(make_flowmart, home, url, platform)


# An endless table: its rows stream for as long as anyone reads (a set-returning function
# in the select list streams; in FROM, PostgreSQL would first materialize it).
ENDLESS_PLAN = """
CREATE VIEW plan AS
SELECT 'tier-' || n AS tier, n AS monthly_execution_limit, n AS active_workflow_limit,
       n AS credential_limit, now() AS updated_at
FROM (SELECT generate_series(1, 1000000000) AS n) AS numbers
"""


@needs_postgres
def test_connection_lost_mid_table_names_the_table_and_the_source():
    """The server goes away while a table's rows stream into DuckDB (the refresh above
    most likely loses it between two tables): DuckDB's failed read becomes the same
    clear error, without the password."""
    password = f"Pg-{secrets.token_hex(8)}"
    with PostgresServer() as server:
        with adbc_driver_postgresql.dbapi.connect(server.url) as conn, conn.cursor() as cursor:
            cursor.execute(ENDLESS_PLAN)
            conn.commit()
        url = server.add_password_role("analyst", password)
        masked = f"postgresql://analyst:***@127.0.0.1:{server.port}/flowmart"
        with (
            pytest.raises(SourceUnavailableError) as error,
            open_source(url) as source,
            duckdb.connect() as con,
            source.read_changes(TABLES_BY_NAME["plan"], None) as batches,
        ):
            server.shut_down()
            con.register("changes", batches)
            con.sql("SELECT count(*) FROM changes").fetchall()
    assert str(error.value).startswith(
        f"lost the connection to the source {masked} while reading table plan: "
    )
    assert "terminating connection due to administrator command" in str(error.value)
    assert password not in "".join(traceback.format_exception(error.value))


# -- a source table that cannot be read --------------------------------------------------
def test_unreadable_source_table_is_a_clear_error_and_publishes_nothing(
    platform, tmp_path, make_flowmart
):
    """review_task is dropped: extraction fails after the tables before it (executions
    and node runs, with the new rows) went into raw history; nothing is published, no
    watermark committed, and once the table is back, a refresh publishes everything."""
    home, source_url = platform.home(), platform.source_with_new_rows(tmp_path)
    before = published_snapshot(home)
    watermarks = committed_watermarks(home)
    source = Path(source_url.removeprefix("sqlite:///"))
    with sqlite3.connect(source) as con:
        con.execute("DROP TABLE review_task")
    flowmart = make_flowmart(source_url, home)
    code, out, err = flowmart.run("refresh")
    assert code == 1
    assert "extracted  node_instance" in out  # extraction got past the new rows
    [failure] = [line for line in err.splitlines() if "step failed" in line]
    assert failure == (
        "flowmart refresh: step failed: raw_tables: orchestration.source.SourceContractError: "
        "source table review_task cannot be read: no such table"
    )
    assert published_snapshot(home) == before
    assert committed_watermarks(home) == watermarks

    shutil.copyfile(platform.final_source, source)  # the table is back
    recovers(make_flowmart, home, source_url, platform)

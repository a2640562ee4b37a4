"""Engines' own databases as sources (orchestration/engines/), end to end: the cases
and the tests that every engine's fixtures go through, run by tests/test_engine_<kind>.py
(one module per engine, so that pytest-xdist spreads the engines over its workers).

Each fixture under tests/fixtures/engines/<engine>/ was made by running the real engine
(its make_fixture script says how), and its *_expected.json holds what the engine's
own CLI or client API said of those runs. The marts of a `flowmart refresh` on the
fixture are compared with answers derived here from that file, through this module's
own reading of the engine's states: never from the adapter's SQL.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.oracle import home_environment
from tests.postgres_server import PostgresServer, postgres_available

FIXTURES = Path(__file__).parent / "fixtures" / "engines"


@dataclass(frozen=True)
class Node:
    node_id: str
    outcome: str  # success | failure | cancelled | in_progress
    attempts: int


@dataclass(frozen=True)
class Run:
    execution_id: str
    workflow_id: str
    status: str  # fct_executions.status
    started_at: datetime | None
    nodes: tuple[Node, ...]
    trigger_recorded: bool = False  # else the contract adds one (trigger normalization)

    @property
    def day(self):
        return self.started_at.date() if self.started_at else None


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


# --- Airflow: `airflow dags list-runs` / `airflow tasks states-for-dag-run` -------------

AIRFLOW_RUN_STATUS = {
    "success": "succeeded",
    "failed": "failed",
    "running": "running",
    "queued": "waiting",
}
AIRFLOW_TASK_OUTCOME = {
    "success": "success",
    "failed": "failure",
    "skipped": "cancelled",
    "upstream_failed": "cancelled",
    "removed": "cancelled",
}


def airflow_runs(answers: dict) -> list[Run]:
    runs = []
    for run in answers["runs"]:
        nodes = tuple(
            Node(
                task["task_id"],
                AIRFLOW_TASK_OUTCOME.get(task["state"], "in_progress"),
                max(task["try_number"] or 0, 1),
            )
            for task in run["tasks"]
        )
        status = AIRFLOW_RUN_STATUS[run["state"]]
        if status == "succeeded" and any(n.outcome == "failure" for n in nodes):
            status = "failed"  # METRICS: completed with an unhandled node error
        runs.append(
            Run(
                f"{run['dag_id']}/{run['run_id']}",
                run["dag_id"],
                status,
                _time(run["start"]),
                nodes,
            )
        )
    return runs


def airflow_later(source: Path, now: datetime) -> tuple[str, str, str, str]:
    """What Airflow writes when the runs still running end: every such DAG run and its
    tasks succeed, but one task ends in a state this Airflow version does not have."""
    at = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(source) as con:
        (dag_id, run_id), *_ = con.execute(
            "SELECT dag_id, run_id FROM dag_run WHERE state = 'running'"
        ).fetchall()
        con.execute(
            "UPDATE dag_run SET state = 'success', end_date = ?, updated_at = ? "
            "WHERE dag_id = ? AND run_id = ?",
            (at, at, dag_id, run_id),
        )
        con.execute(
            "UPDATE task_instance SET state = 'success', start_date = coalesce(start_date, ?), "
            "end_date = ?, updated_at = ?, try_number = max(try_number, 1) "
            "WHERE dag_id = ? AND run_id = ?",
            (at, at, at, dag_id, run_id),
        )
        con.execute(
            "UPDATE task_instance SET state = 'zombie_state', updated_at = ? WHERE rowid = "
            "(SELECT min(rowid) FROM task_instance WHERE dag_id <> ?)",
            (at, dag_id),
        )
    return f"{dag_id}/{run_id}", "node_instance", "status_cd", "zombie_state"


# --- Dagster: DagsterInstance.get_runs / get_run_step_stats ------------------------------

DAGSTER_RUN_STATUS = {
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "STARTED": "running",
    "STARTING": "running",
    "CANCELING": "running",
    "QUEUED": "waiting",
    "NOT_STARTED": "waiting",
    "CANCELED": "aborted",
}
DAGSTER_STEP_OUTCOME = {"SUCCESS": "success", "FAILURE": "failure", "SKIPPED": "cancelled"}


def dagster_runs(answers: dict) -> list[Run]:
    return [
        Run(
            run["run_id"],
            run["job_name"],
            DAGSTER_RUN_STATUS[run["status"]],
            _time(run["start"] or run["created"]),
            tuple(
                Node(
                    step["step_key"],
                    DAGSTER_STEP_OUTCOME.get(step["status"], "in_progress"),
                    max(step["attempts"], 1),
                )
                for step in run["steps"]
            ),
        )
        for run in answers["runs"]
    ]


def dagster_later(source: Path, now: datetime) -> tuple[str, str, str, str]:
    """Dagster's writes when a run still running ends (its step succeeds: an event in the
    run's own file, the run's status), and a run in a status this version lacks."""
    with sqlite3.connect(source) as con:
        [(run_id, step_key)] = con.execute(
            "SELECT run_id, 'long_sleep' FROM runs WHERE pipeline_name = 'sleeper_job'"
        ).fetchall()
        con.execute(
            "UPDATE runs SET status = 'SUCCESS', end_time = ?, update_timestamp = ? "
            "WHERE run_id = ?",
            (now.timestamp(), now.strftime("%Y-%m-%d %H:%M:%S.%f"), run_id),
        )
        con.execute(
            "UPDATE runs SET status = 'ZOMBIE', update_timestamp = ? WHERE run_id = "
            "(SELECT min(run_id) FROM runs WHERE status = 'QUEUED')",
            (now.strftime("%Y-%m-%d %H:%M:%S.%f"),),
        )
    with sqlite3.connect(source.parent / "runs" / f"{run_id}.db") as con:
        con.execute(
            "INSERT INTO event_logs (run_id, event, dagster_event_type, timestamp, step_key) "
            "VALUES (?, '{}', 'STEP_SUCCESS', ?, ?)",
            (run_id, now.strftime("%Y-%m-%d %H:%M:%S.%f"), step_key),
        )
    return run_id, "process_instance", "state_cd", "ZOMBIE"


# --- n8n: GET /api/v1/executions?includeData=true -------------------------------------

# (failed: n8n 1.x's name for error)
N8N_STATUS = {"success": "succeeded", "error": "failed", "crashed": "failed",
              "canceled": "aborted", "waiting": "waiting", "new": "waiting",
              "running": "running", "failed": "failed"}  # fmt: skip
N8N_NODE_OUTCOME = {"success": "success", "error": "failure", "crashed": "failure",
                    "canceled": "cancelled"}  # fmt: skip
N8N_TRIGGERS = ("n8n-nodes-base.webhook",)  # a trigger whose type does not end in Trigger


def n8n_runs(answers: dict) -> list[Run]:
    """Node ids come from the workflow files the fixture imported; a node that n8n
    reports as a success but whose items carry the error it routed to an output is a
    handled failure (the contract's error_handled); n8n keeps one try per node run."""
    node_ids = {}
    for path in (FIXTURES / "n8n" / "workflows").glob("*.json"):
        workflow = json.loads(path.read_text())
        node_ids.update({(workflow["id"], n["name"]): n["id"] for n in workflow["nodes"]})
    runs = []
    for run in answers["runs"]:
        nodes, trigger = [], False
        for node in run["nodes"]:
            trigger |= node["node_type"].endswith("Trigger") or node["node_type"] in N8N_TRIGGERS
            for task in node["runs"]:
                if task["status"] == "unknown" and not task["start_epoch_raw"]:
                    continue  # 1.x's crash recovery: a run for a node that never started
                outcome = N8N_NODE_OUTCOME.get(task["status"], "in_progress")
                if task["handled_error_messages"]:
                    outcome = "failure"
                node_id = node_ids[(run["workflow_id"], node["node_name"])]
                nodes.append(Node(node_id, outcome, 1))
        runs.append(Run(run["execution_id"], run["workflow_id"], N8N_STATUS[run["status"]],
                        _time(run["start"]), tuple(nodes), trigger))  # fmt: skip
    return runs


def n8n_later(source: Path, now: datetime) -> tuple[str, str, str, str]:
    """The running execution ends (n8n keeps no change time: its stoppedAt moves), and
    another execution gets a status this n8n version lacks."""
    at = now.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    with sqlite3.connect(source) as con:
        [(execution_id,)] = con.execute(
            "SELECT id FROM execution_entity WHERE status = 'running'"
        ).fetchall()
        con.execute(
            "UPDATE execution_entity SET status = 'success', finished = 1, stoppedAt = ? "
            "WHERE id = ?",
            (at, execution_id),
        )
        con.execute(
            "UPDATE execution_entity SET status = 'zombie', stoppedAt = ? WHERE id = "
            "(SELECT min(id) FROM execution_entity WHERE status = 'success')",
            (at,),
        )
    return str(execution_id), "process_instance", "state_cd", "zombie"


# --- Prefect: get_client().read_flow_runs() / read_task_runs() --------------------------

PREFECT_STATUS = {"COMPLETED": "succeeded", "FAILED": "failed", "CRASHED": "failed",
                  "CANCELLED": "aborted", "RUNNING": "running", "PENDING": "running",
                  "CANCELLING": "running", "PAUSED": "waiting"}  # fmt: skip
PREFECT_TASK_OUTCOME = {"COMPLETED": "success", "FAILED": "failure", "CRASHED": "failure",
                        "CANCELLED": "cancelled"}  # fmt: skip


def prefect_runs(answers: dict) -> list[Run]:
    """A flow run still scheduled (it never started) is no execution yet."""
    runs = []
    for run in answers["runs"]:
        if run["state_type"] == "SCHEDULED" and not run["start"]:
            continue
        nodes = tuple(
            Node(task["task_key"], PREFECT_TASK_OUTCOME.get(task["state_type"], "in_progress"),
                 max(task["run_count"], 1))
            for task in run["tasks"]
        )  # fmt: skip
        status = PREFECT_STATUS[run["state_type"]]
        if status == "succeeded" and any(n.outcome == "failure" for n in nodes):
            status = "failed"
        runs.append(Run(run["flow_run_id"], run["flow_id"], status, _time(run["start"]), nodes))
    return runs


def prefect_later(source: Path, now: datetime) -> tuple[str, str, str, str]:
    """The running flow run and its tasks complete; a task run of another flow run gets
    a state type this Prefect version lacks."""
    at = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(source) as con:
        [(run_id,)] = con.execute("SELECT id FROM flow_run WHERE state_type = 'RUNNING'").fetchall()
        con.execute(
            "UPDATE flow_run SET state_type = 'COMPLETED', state_name = 'Completed', "
            "end_time = ?, updated = ? WHERE id = ?",
            (at, at, run_id),
        )
        con.execute(
            "UPDATE task_run SET state_type = 'COMPLETED', state_name = 'Completed', "
            "start_time = coalesce(start_time, ?), end_time = ?, updated = ?, "
            "run_count = max(run_count, 1) WHERE flow_run_id = ?",
            (at, at, at, run_id),
        )
        con.execute(
            "UPDATE task_run SET state_type = 'ZOMBIE', updated = ? WHERE id = "
            "(SELECT min(id) FROM task_run WHERE flow_run_id <> ?)",
            (at, run_id),
        )
    return run_id, "node_instance", "status_cd", "ZOMBIE"


@dataclass(frozen=True)
class EngineCase:
    kind: str
    fixture: str  # a file or folder under FIXTURES/<kind>/, copied for each build
    source: str  # the SQLite file flowmart reads, in that copy
    answers: str
    runs: Callable[[dict], list[Run]]
    # later: the engine's writes after the fixture (a run still running ends, one row
    # gets an unknown state) at a time; returns (that run's id, the quarantined row's
    # table, column and value)
    later: Callable[[Path, datetime], tuple[str, str, str, str]]

    @property
    def folder(self) -> Path:
        return FIXTURES / self.kind

    @property
    def postgres(self) -> bool:
        """A pg_dump of the engine's PostgreSQL database, restored for each build."""
        return self.fixture.endswith(".sql")

    def copy_to(self, root: Path) -> str:
        """A copy of the fixture under `root`: its source URL."""
        origin = self.folder / self.fixture
        if origin.is_dir():
            shutil.copytree(origin, root / self.fixture)
        else:
            shutil.copy(origin, root / self.fixture)
        return f"sqlite:///{root / self.source}"


CASES = [
    EngineCase(
        "airflow", "airflow3.sqlite", "airflow3.sqlite", "airflow3_expected.json",
        airflow_runs, airflow_later,
    ),
    EngineCase(
        "airflow", "airflow2.sqlite", "airflow2.sqlite", "airflow2_expected.json",
        airflow_runs, airflow_later,
    ),
    EngineCase(
        "dagster", "dagster_home", "dagster_home/history/runs.db", "dagster_expected.json",
        dagster_runs, dagster_later,
    ),
    EngineCase(
        "n8n", "n8n.sqlite", "n8n.sqlite", "n8n_expected.json", n8n_runs, n8n_later,
    ),
    EngineCase("n8n", "n8n1.sqlite", "n8n1.sqlite", "n8n1_expected.json", n8n_runs, n8n_later),
    EngineCase(
        "prefect", "prefect3.sqlite", "prefect3.sqlite", "prefect3_expected.json",
        prefect_runs, prefect_later,
    ),
    EngineCase(
        "prefect", "prefect2.sqlite", "prefect2.sqlite", "prefect2_expected.json",
        prefect_runs, prefect_later,
    ),
]  # fmt: skip


POSTGRES_CASES = [
    EngineCase(kind, f"{kind}_pg.sql", "", f"{kind}_pg_expected.json", case.runs, case.later)
    for kind, case in {case.kind: case for case in CASES}.items()
    if (FIXTURES / kind / f"{kind}_pg.sql").exists()
]


@pytest.fixture(scope="module")
def postgres_server():
    available, why_not = postgres_available()
    if not available:
        if os.environ.get("CI"):
            raise RuntimeError(f"CI must run the PostgreSQL tests: {why_not}")
        pytest.skip(why_not)
    with PostgresServer() as server:
        yield server


def engine_build_of(kind: str):
    """The module-scoped fixture `engine_build` over the SQLite and PostgreSQL cases of
    one engine kind: a test module assigns it to the name `engine_build`."""
    return pytest.fixture(
        _engine_build,
        scope="module",
        name="engine_build",
        params=[case for case in CASES + POSTGRES_CASES if case.kind == kind],
        ids=lambda case: case.answers.removesuffix("_expected.json"),
    )


def _engine_build(request, tmp_path_factory):
    """(case, its expected runs, root) after one refresh of a copy of the fixture; a
    PostgreSQL one is refreshed a second time, with nothing changed."""
    case: EngineCase = request.param
    root = tmp_path_factory.mktemp(case.kind)
    if case.postgres:
        server = request.getfixturevalue("postgres_server")
        url = server.load_dump(f"{case.kind}_engine", case.folder / case.fixture)
    else:
        url = case.copy_to(root)
    with home_environment(root, url, case.kind) as refresh:
        refresh()
        if case.postgres:  # the incremental reads' SQL on PostgreSQL: no change, no rebuild
            published = (root / "home" / "published" / "flowmart.duckdb").resolve()
            refresh()
            assert (root / "home" / "published" / "flowmart.duckdb").resolve() == published
    answers = json.loads((case.folder / case.answers).read_text())
    return case, case.runs(answers), root


def mart(root: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(root / "home" / "published" / "flowmart.duckdb"), True) as con:
        return con.sql(sql, params=params).fetchall()


def test_executions_match_the_engine(engine_build):
    _, runs, root = engine_build
    actual = {
        row[0]: row[1:]
        for row in mart(
            root,
            "SELECT execution_id, workflow_id, status, started_at, node_runs "
            "FROM marts.fct_executions",
        )
    }
    assert set(actual) == {run.execution_id for run in runs}
    for run in runs:
        workflow_id, status, started_at, node_runs = actual[run.execution_id]
        assert (workflow_id, status) == (run.workflow_id, run.status), run.execution_id
        if run.started_at:
            assert abs((started_at - run.started_at).total_seconds()) < 0.001, run.execution_id
        # the engine's nodes and the trigger run it did not record (trigger normalization)
        assert node_runs == len(run.nodes) + (not run.trigger_recorded), run.execution_id


def test_daily_run_counts_match_the_engine(engine_build):
    _, runs, root = engine_build
    expected = Counter()
    for run in runs:
        expected[(run.workflow_id, run.day, "runs")] += 1
        expected[(run.workflow_id, run.day, run.status)] += 1
    rows = mart(
        root,
        "SELECT workflow_id, day, runs, succeeded, failed, aborted, running, "
        "waiting FROM marts.workflow_runs_daily",
    )
    actual = Counter()
    for workflow_id, day, *counts in rows:
        names = ("runs", "succeeded", "failed", "aborted", "running", "waiting")
        for name, count in zip(names, counts, strict=True):
            if count:
                actual[(workflow_id, day, name)] += count
    assert actual == expected


def test_node_reliability_matches_the_engine(engine_build):
    _, runs, root = engine_build
    expected = Counter()
    for run in runs:
        for node in run.nodes:
            key = (run.workflow_id, node.node_id, run.day)
            expected[(*key, "node_runs")] += 1
            expected[(*key, node.outcome)] += 1
            expected[(*key, "attempts")] += node.attempts
    rows = mart(
        root,
        "SELECT workflow_id, node_id, day, node_runs, successes, failures, "
        "cancelled, in_progress, attempts FROM marts.node_reliability_daily "
        "WHERE node_id <> '__trigger__'",
    )
    actual = Counter()
    names = ("node_runs", "success", "failure", "cancelled", "in_progress", "attempts")
    for workflow_id, node_id, day, *counts in rows:
        for name, count in zip(names, counts, strict=True):
            if count:
                actual[(workflow_id, node_id, day, name)] += count
    assert actual == expected


MARTS_COMPARED = {
    "fct_executions": "execution_id",
    "workflow_runs_daily": "workflow_id, day",
    "node_reliability_daily": "workflow_id, node_id, day",
    "log_volume_daily": "workflow_id, day",
}


def test_incremental_refresh_takes_the_engines_later_writes(engine_build, tmp_path):
    """A run still running at the first refresh is read again when it ends (by the
    engine's own change columns); an unknown state is quarantined with its value; and
    the incremental result equals a first refresh of the same database."""
    case, _, root = engine_build
    if case.postgres:
        pytest.skip("the engines' later writes are made on the SQLite fixtures")
    copy = tmp_path / "incremental"
    shutil.copytree(root, copy, symlinks=True)
    finished, table, column, unknown = case.later(copy / case.source, datetime.now(UTC))
    with home_environment(copy, f"sqlite:///{copy / case.source}", case.kind) as refresh:
        refresh()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    fixture = copy / case.fixture
    (shutil.copytree if fixture.is_dir() else shutil.copy)(fixture, scratch / case.fixture)
    with home_environment(scratch, f"sqlite:///{scratch / case.source}", case.kind) as refresh:
        refresh()

    status = "SELECT status FROM marts.fct_executions WHERE execution_id = ?"
    assert mart(copy, status, [finished]) == [("succeeded",)]
    with duckdb.connect(str(copy / "home" / "warehouse" / "work.duckdb"), True) as con:
        reasons = con.sql(
            "SELECT reasons, source_values FROM quarantine.quarantined_rows WHERE table_name = ?",
            params=[table],
        ).fetchall()
    assert [(r, json.loads(v)[column]) for r, v in reasons] == [(f"unparseable({column})", unknown)]
    for name, keys in MARTS_COMPARED.items():
        query = f"SELECT * FROM marts.{name} ORDER BY {keys}"
        assert mart(copy, query) == mart(scratch, query), name

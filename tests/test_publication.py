"""Publication is gated and atomic: real Dagster runs, real dbt, real DuckDB files."""

import shutil
import subprocess
import sys

import duckdb
import pytest

from tests.sources import create_sqlite_source, execution, insert_rows, node_run

BASELINE_ROWS = {
    "process_instance": [
        execution("e1", "2026-03-01T10:00:00.000Z", "2026-03-01T10:00:02.500Z"),
        execution("e2", "2026-03-01T11:00:00Z", "2026-03-01T11:00:01+00:00", trigger_type="api"),
        execution("e3", "2026-03-01T12:00:00Z", None, state=2),
    ],
    "node_instance": [
        node_run(
            "n1",
            "e1",
            "2026-03-01T10:00:00Z",
            "2026-03-01T10:00:00.1Z",
            node_id="t",
            node_type="webhookTrigger",
        ),
        node_run(
            "n2",
            "e2",
            "2026-03-01T11:00:00Z",
            "2026-03-01T11:00:01Z",
            status_cd=7,
            attempts=3,
            error_details="GET https://x.io/a/1 failed: 503",
        ),
    ],
}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A home with one successful publication of BASELINE_ROWS (built once per module)."""
    root = tmp_path_factory.mktemp("baseline")
    url = create_sqlite_source(root / "source.sqlite", BASELINE_ROWS)
    with pytest.MonkeyPatch.context() as mp:
        from orchestration.cli import main

        mp.setenv("FLOWMART_HOME", str(root / "home"))
        mp.setenv("FLOWMART_SOURCE_URL", url)
        mp.setenv("DAGSTER_HOME", str(root / "home" / "dagster"))
        assert main(["refresh"]) == 0
    return root


@pytest.fixture
def flowmart(baseline, tmp_path, make_flowmart):
    """A private copy of the baseline installation, source included."""
    shutil.copytree(baseline, tmp_path / "copy")
    return make_flowmart(
        f"sqlite:///{tmp_path / 'copy' / 'source.sqlite'}", tmp_path / "copy" / "home"
    )


def marts(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_refresh_publishes_known_answers(baseline):
    published = baseline / "home" / "published" / "flowmart.duckdb"
    assert marts(
        published,
        "SELECT execution_id, status, duration_ms, node_runs, "
        "failed_node_id, error_signature FROM marts.fct_executions ORDER BY 1",
    ) == [
        ("e1", "succeeded", 2500.0, 1, None, None),
        ("e2", "failed", 1000.0, 2, "http", "get <url> failed: <n>"),
        ("e3", "waiting", None, 1, None, None),
    ]
    assert marts(
        published,
        "SELECT runs, succeeded, failed, waiting, success_rate, "
        "p50_duration_ms FROM marts.workflow_runs_daily",
    ) == [(3, 1, 1, 1, 0.5, 1750.0)]


def test_failing_expectation_leaves_published_file_byte_identical(flowmart):
    before = flowmart.published.read_bytes()
    insert_rows(
        flowmart.source_path,
        {
            "process_instance": [
                execution(
                    "bad", "2026-03-01T13:00:00Z", "2026-03-01T12:00:00Z"
                ),  # ends before start
            ]
        },
    )
    code, _, err = flowmart.run("refresh")
    assert code == 1
    assert "marts/fct_executions:great_expectations" in err
    assert "NOT published" in err
    assert flowmart.published.read_bytes() == before


def test_failing_dbt_test_leaves_published_file_byte_identical(flowmart):
    before = flowmart.published.read_bytes()
    insert_rows(
        flowmart.source_path,
        {
            "process_instance": [
                execution("odd", "2026-03-01T13:00:00Z", "2026-03-01T13:00:01Z", state=9),
            ]
        },
    )
    code, _, err = flowmart.run("refresh")
    assert code == 1
    assert "dbt_models" in err
    assert flowmart.published.read_bytes() == before


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
count = "SELECT count(*) FROM marts.fct_executions"
print(con.sql(count).fetchall()[0][0], flush=True)
sys.stdin.readline()
print(con.sql(count).fetchall()[0][0], flush=True)
"""


def count_in_new_process(path) -> int:
    code = (
        "import sys, duckdb; print(duckdb.connect(sys.argv[1], read_only=True).sql("
        "'SELECT count(*) FROM marts.fct_executions').fetchall()[0][0])"
    )
    return int(subprocess.check_output([sys.executable, "-c", code, str(path)], text=True))


def test_reader_keeps_its_view_while_a_refresh_publishes(flowmart):
    """An analyst's process holds the file open across a publication (DuckDB caches
    databases per process, so readers must be other processes, as they are in life)."""
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(flowmart.published)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "3"
        insert_rows(
            flowmart.source_path,
            {"process_instance": [execution("e4", "2026-03-02T09:00:00Z", "2026-03-02T09:00:03Z")]},
        )
        code, _, err = flowmart.run("refresh")
        assert code == 0, err
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "3"  # its consistent, older view
        assert count_in_new_process(flowmart.published) == 4
    finally:
        reader.kill()
        reader.wait()

"""Publication is gated and atomic: real Dagster runs, real dbt, real DuckDB files."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import warehouse
from orchestration.publishing import publish
from orchestration.settings import load_settings
from tests.oracle import home_environment, private_copy, publication_state
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
    """A home with one successful refresh (built once per module)."""
    root = tmp_path_factory.mktemp("baseline")
    with home_environment(
        root, create_sqlite_source(root / "source.sqlite", BASELINE_ROWS)
    ) as refresh:
        refresh()
    return root


@pytest.fixture
def flowmart(baseline, tmp_path, make_flowmart):
    """A private copy of the baseline installation, source included."""
    return private_copy(baseline, tmp_path / "copy", make_flowmart)


def marts(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(sql).fetchall()


def parquet_versions(home: Path) -> set[str]:
    """The published version directories (each a DuckDB file and its Parquet files)."""
    return {p.name for p in (home / "published").glob("version-*")}


def file_hashes(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


def parquet_rows(path: Path) -> int:
    return duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall()[0][0]


def publish_directly(marts_to_publish: list[str]):
    """The publish step alone, on the installation the environment points at."""
    settings = load_settings()
    with warehouse.connect(settings.work_db) as con:
        return publish(
            con, marts_to_publish, settings.published_db, settings.published_parquet, "test"
        )


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


def test_published_file_and_parquet_are_readable_by_duckdb_1x(baseline):
    """BI tools lag behind: the DuckDB 1.x CLI (a dev dependency) opens the published file
    (written with a pinned storage version) and reads the Parquet files."""
    cli = Path(sys.executable).with_name("duckdb")
    version = subprocess.run([str(cli), "--version"], capture_output=True, text=True).stdout
    assert version.startswith("v1."), version
    published = baseline / "home" / "published"
    queries = [
        [str(published / "flowmart.duckdb"), "-readonly"],
        [":memory:"],
    ]
    sql = [
        "SELECT count(*) FROM marts.fct_executions",
        f"SELECT count(*) FROM '{published / 'parquet' / 'fct_executions.parquet'}'",
    ]
    for database, query in zip(queries, sql, strict=True):
        out = subprocess.run(
            [str(cli), *database, "-csv", "-noheader", "-c", query],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert out.strip() == "3"


def test_refresh_publishes_every_mart_as_identical_parquet(baseline):
    published = baseline / "home" / "published"
    link = published / "parquet"
    # relative links, so the home stays relocatable; both paths lead through `current`
    assert os.readlink(link) == "current/parquet"
    assert os.readlink(published / "flowmart.duckdb") == "current/flowmart.duckdb"
    version = os.readlink(published / "current")
    assert link.resolve() == published / version / "parquet"
    assert parquet_versions(baseline / "home") == {version}
    with duckdb.connect(str(published / "flowmart.duckdb"), read_only=True) as con:
        names = con.sql(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'marts' ORDER BY 1"
        ).fetchall()
        assert sorted(f.name for f in link.iterdir()) == [f"{n}.parquet" for (n,) in names]
        rows = 0
        for (name,) in names:
            table, parquet = f"marts.{name}", f"'{link / name}.parquet'"
            described = [
                con.sql(f"DESCRIBE SELECT * FROM {t}").fetchall() for t in (table, parquet)
            ]
            assert described[0] == described[1]  # same columns, same types
            [(n,)] = con.sql(f"SELECT count(*) FROM {table}").fetchall()
            assert con.sql(f"SELECT count(*) FROM {parquet}").fetchall() == [(n,)]
            for a, b in [(table, parquet), (parquet, table)]:
                assert con.sql(f"SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}").fetchall() == []
            rows += n
    assert rows > 0
    event = dg.DagsterInstance.from_config(
        str(baseline / "home" / "dagster")
    ).get_latest_materialization_event(dg.AssetKey(["published", "flowmart"]))
    metadata = event.asset_materialization.metadata
    assert metadata["parquet"].value == str(link.parent.resolve() / "parquet")
    assert metadata["parquet_version"].value == str(link.resolve())


def tamper_raw_history(flowmart, sql: str) -> None:
    """Corrupt the warehouse's raw history behind extraction's back (its row rules would
    quarantine such a row): what a bug or a bad manual fix could leave there."""
    with duckdb.connect(str(flowmart.home / "warehouse" / "work.duckdb")) as con:
        con.sql(sql)


def test_failing_expectation_leaves_published_file_byte_identical(flowmart):
    before = flowmart.published.read_bytes()
    everything_before = publication_state(flowmart.home)
    tamper_raw_history(  # ends before it starts: a negative duration
        flowmart,
        "UPDATE raw.process_instance SET end_time = start_time - INTERVAL 1 HOUR WHERE id = 'e1'",
    )
    code, _, err = flowmart.run("backfill", "--start", "2026-03-01", "--end", "2026-03-01")
    assert code == 1
    assert "marts/fct_executions:great_expectations" in err
    assert "NOT published" in err
    assert flowmart.published.read_bytes() == before
    assert publication_state(flowmart.home) == everything_before  # Parquet, watermarks


def test_failing_dbt_test_leaves_published_file_byte_identical(flowmart):
    before = flowmart.published.read_bytes()
    everything_before = publication_state(flowmart.home)
    tamper_raw_history(flowmart, "UPDATE raw.process_instance SET state_cd = 9 WHERE id = 'e2'")
    code, _, err = flowmart.run("backfill", "--start", "2026-03-01", "--end", "2026-03-01")
    assert code == 1
    assert "dbt_models" in err
    assert flowmart.published.read_bytes() == before
    assert publication_state(flowmart.home) == everything_before


def test_failure_while_publishing_leaves_everything_published_unchanged(flowmart):
    """A failure inside the publish step itself, after some Parquet files were written."""
    from orchestration.defs.publish import MARTS

    before = publication_state(flowmart.home)
    with pytest.raises(duckdb.CatalogException, match="no_such_mart"):
        publish_directly([*MARTS, "no_such_mart"])
    assert publication_state(flowmart.home) == before  # no new version, no staging file


def test_publishing_into_a_home_copied_without_symlinks(baseline, tmp_path, make_flowmart):
    """`cp -r` turns the link into a real directory: the next publication still swaps."""
    from orchestration.defs.publish import MARTS

    shutil.copytree(baseline, tmp_path / "copy")
    copy = make_flowmart(
        f"sqlite:///{tmp_path / 'copy' / 'source.sqlite'}", tmp_path / "copy" / "home"
    )
    published = copy.home / "published"
    link, current = published / "parquet", published / "current"
    assert link.is_dir() and not link.is_symlink() and not current.is_symlink()
    assert not (published / "flowmart.duckdb").is_symlink()
    copied = file_hashes(link)
    publication = publish_directly(MARTS)
    assert link.is_symlink() and link.resolve() == publication.parquet_version
    assert (published / "flowmart.duckdb").is_symlink()
    version = publication.parquet_version.parent.name
    aside = f"version-current-{os.getpid()}-aside"  # the copied `current`, kept once
    assert file_hashes(published / aside / "parquet") == copied
    # the copied version directory and `parquet` are neither current nor previous: gone
    assert parquet_versions(copy.home) == {version, aside}
    assert sorted(os.listdir(published)) == sorted(
        ["current", "flowmart.duckdb", "parquet", version, aside]
    )


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
    databases per process, so readers must be other processes, as they are in life).
    `current` moves to a new version; the previous one stays, older ones go."""
    published = flowmart.home / "published"
    link = published / "parquet"
    previous = os.readlink(published / "current")
    stale = published / "version-20000101T000000.000000Z"  # as two publications ago
    shutil.copytree(published / previous, stale)
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
        current = os.readlink(published / "current")
        assert current != previous
        assert parquet_rows(link / "fct_executions.parquet") == 4
        assert parquet_rows(published / previous / "parquet" / "fct_executions.parquet") == 3
        assert not stale.exists()
        assert parquet_versions(flowmart.home) == {current, previous}
    finally:
        reader.kill()
        reader.wait()

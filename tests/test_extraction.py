"""Incremental extraction into raw history, on real SQLite sources and real DuckDB."""

from datetime import datetime, timedelta

import pytest

from models import TABLES_BY_NAME
from orchestration import warehouse
from orchestration.extraction import commit_watermarks, extract_table
from orchestration.source import SourceContractError, open_source
from tests.sources import create_sqlite_source, execute, execution, insert_rows, node_run

PROCESS_INSTANCE = TABLES_BY_NAME["process_instance"]
API_KEY_USAGE = TABLES_BY_NAME["api_key_usage"]
OVERLAP = timedelta(minutes=5)
NOW = datetime(2026, 3, 2, 12, 0, 0)


@pytest.fixture
def work(tmp_path):
    with warehouse.connect(tmp_path / "work.duckdb") as con:
        warehouse.ensure_schema(con)
        yield con


def extract(url, table, con, committed=True):
    with open_source(url) as source:
        result = extract_table(table, source, con, OVERLAP, NOW)
    if committed:
        commit_watermarks(con)
    return result


def raw_rows(con, table="process_instance"):
    return con.sql(f"SELECT * EXCLUDE (_extracted_at) FROM raw.{table} ORDER BY 1").fetchall()


def test_first_extract_types_every_timestamp_format_as_utc(tmp_path, work):
    url = create_sqlite_source(
        tmp_path / "src.sqlite",
        {
            "process_instance": [
                execution("a", "2026-03-01T10:00:00.123Z", "2026-03-01T10:00:01Z"),
                execution("b", "2026-03-01T10:00:00+00:00", None, state=2),
                execution("c", "2026-03-01T12:30:00+02:00", "2026-03-01T10:31:00.5Z"),
            ]
        },
    )
    result = extract(url, PROCESS_INSTANCE, work)
    assert (result.rows_read, result.rows_inserted, result.rows_updated) == (3, 3, 0)
    started = dict(work.sql("SELECT id, start_time FROM raw.process_instance").fetchall())
    assert started == {
        "a": datetime(2026, 3, 1, 10, 0, 0, 123000),
        "b": datetime(2026, 3, 1, 10, 0, 0),
        "c": datetime(2026, 3, 1, 10, 30, 0),
    }
    assert result.pending_watermark == datetime(2026, 3, 1, 10, 31, 0, 500000)


def test_rerun_reads_only_the_overlap_and_duplicates_nothing(tmp_path, work):
    path = tmp_path / "src.sqlite"
    url = create_sqlite_source(
        path,
        {
            "process_instance": [
                execution("old", "2026-03-01T08:00:00Z", "2026-03-01T08:00:01Z"),
                execution("new", "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z"),
            ]
        },
    )
    extract(url, PROCESS_INSTANCE, work)
    again = extract(url, PROCESS_INSTANCE, work)
    assert again.since == datetime(2026, 3, 1, 10, 0, 1) - OVERLAP
    assert (again.rows_read, again.rows_inserted) == (1, 0)
    assert len(raw_rows(work)) == 2


def test_updates_replace_and_source_deletes_are_kept(tmp_path, work):
    path = tmp_path / "src.sqlite"
    url = create_sqlite_source(
        path,
        {
            "process_instance": [
                execution("waits", "2026-03-01T10:00:00Z", None, state=2),
                execution("purged", "2026-03-01T09:00:00Z", "2026-03-01T09:00:01Z"),
            ]
        },
    )
    extract(url, PROCESS_INSTANCE, work)
    insert_rows(
        path,
        {
            "process_instance": [
                execution("waits", "2026-03-01T10:00:00Z", "2026-03-11T10:00:00Z", state=4)
            ]
        },
    )
    execute(path, "DELETE FROM process_instance WHERE id = 'purged'")
    result = extract(url, PROCESS_INSTANCE, work)
    assert (result.rows_read, result.rows_updated) == (1, 1)
    states = dict(work.sql("SELECT id, state_cd FROM raw.process_instance").fetchall())
    assert states == {"waits": 4, "purged": 4}


def test_uncommitted_watermark_rereads_everything(tmp_path, work):
    url = create_sqlite_source(
        tmp_path / "src.sqlite",
        {"process_instance": [execution("a", "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z")]},
    )
    extract(url, PROCESS_INSTANCE, work, committed=False)
    second = extract(url, PROCESS_INSTANCE, work, committed=False)
    assert second.since is None
    assert (second.rows_read, second.rows_inserted) == (1, 0)


def test_append_only_rows_arriving_late_within_the_overlap_are_picked_up(tmp_path, work):
    path = tmp_path / "src.sqlite"

    def request(id_, created_at):
        return {
            "id": id_,
            "api_key_id": "k1",
            "organization_id": "o1",
            "endpoint": "/process/execute",
            "method": "POST",
            "status_code": 200,
            "response_time_ms": 12,
            "ip_address": "10.0.0.1",
            "error_message": None,
            "created_at": created_at,
        }

    url = create_sqlite_source(path, {"api_key_usage": [request(1, "2026-03-01T10:00:00Z")]})
    extract(url, API_KEY_USAGE, work)
    insert_rows(path, {"api_key_usage": [request(2, "2026-03-01T09:58:00Z")]})  # committed late
    result = extract(url, API_KEY_USAGE, work)
    assert (result.rows_read, result.rows_inserted) == (2, 1)
    assert [r[0] for r in raw_rows(work, "api_key_usage")] == [1, 2]


def test_missing_column_is_a_clear_error(tmp_path, work):
    path = tmp_path / "src.sqlite"
    url = create_sqlite_source(path)
    execute(path, "ALTER TABLE process_instance DROP COLUMN state_cd")
    with pytest.raises(SourceContractError, match=r"process_instance: missing column 'state_cd'"):
        extract(url, PROCESS_INSTANCE, work)


def test_changed_column_type_is_a_clear_error(tmp_path, work):
    path = tmp_path / "src.sqlite"
    url = create_sqlite_source(path)
    execute(path, "DROP TABLE process_instance")
    ddl = PROCESS_INSTANCE.create_table_sql("sqlite").replace("state_cd INTEGER", "state_cd TEXT")
    execute(path, ddl)
    with pytest.raises(SourceContractError, match=r"process_instance: column 'state_cd' has type"):
        extract(url, PROCESS_INSTANCE, work)


def test_missing_table_is_a_clear_error(tmp_path, work):
    path = tmp_path / "src.sqlite"
    url = create_sqlite_source(path)
    execute(path, "DROP TABLE process_instance")
    with pytest.raises(SourceContractError, match=r"source table process_instance"):
        extract(url, PROCESS_INSTANCE, work)


def test_extra_column_is_ignored_and_reported(tmp_path, work):
    path = tmp_path / "src.sqlite"
    url = create_sqlite_source(
        path,
        {"process_instance": [execution("a", "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z")]},
    )
    execute(path, "ALTER TABLE process_instance ADD COLUMN tenant_shard INTEGER")
    result = extract(url, PROCESS_INSTANCE, work)
    assert result.extra_columns == ("tenant_shard",)
    assert "tenant_shard" not in [
        c[0] for c in work.sql("DESCRIBE raw.process_instance").fetchall()
    ]


def dirty(con):
    return con.sql("SELECT day::VARCHAR, reason FROM meta.dirty_days ORDER BY ALL").fetchall()


def test_changes_mark_the_days_they_leave_and_join(tmp_path, work):
    """A corrected start_time dirties both days; a node change dirties its execution's
    day; a review decided weeks later dirties the day it was decided."""
    path = tmp_path / "src.sqlite"
    url = create_sqlite_source(
        path,
        {
            "process_instance": [execution("e", "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z")],
            "node_instance": [node_run("n", "e", "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z")],
            "review_task": [review("r", "e", "n", decided_at=None, status="pending")],
        },
    )
    for table in ("process_instance", "node_instance", "review_task"):
        extract(url, TABLES_BY_NAME[table], work)
    work.execute("DELETE FROM meta.dirty_days")
    insert_rows(
        path,
        {
            "process_instance": [
                execution(
                    "e",
                    "2026-03-03T10:00:00Z",
                    "2026-03-03T10:00:01Z",
                    updated_at="2026-03-04T00:00:00Z",
                )
            ],
            "node_instance": [
                node_run(
                    "n",
                    "e",
                    "2026-03-03T10:00:00Z",
                    "2026-03-03T10:00:01Z",
                    updated_at="2026-03-04T00:00:00Z",
                )
            ],
            "review_task": [
                review("r", "e", "n", decided_at="2026-03-25T09:00:00Z", status="approved")
            ],
        },
    )
    for table in ("process_instance", "node_instance", "review_task"):
        extract(url, TABLES_BY_NAME[table], work)
    assert dirty(work) == [
        ("2026-03-01", "process_instance"),
        ("2026-03-03", "node_instance"),
        ("2026-03-03", "process_instance"),
        ("2026-03-25", "review_task"),
    ]


def review(id_, execution_id, node_id, decided_at, status):
    return {
        "id": id_,
        "organization_id": "o1",
        "process_instance_id": execution_id,
        "node_instance_id": node_id,
        "subject_id": "s1",
        "round": 1,
        "reviewer_id": "u1",
        "status": status,
        "feedback": None,
        "created_at": "2026-03-01T10:00:01Z",
        "decided_at": decided_at,
        "updated_at": decided_at or "2026-03-01T10:00:01Z",
    }


def test_a_text_column_null_for_thousands_of_rows_then_set_is_read(tmp_path, work):
    """The SQLite driver types a column from its first batch: without the type probe, a
    parent_instance_id NULL in the first thousands of rows made the first set one fail
    the whole read (seen on a generated 15-day source)."""
    rows = [
        execution(f"e{i:05}", "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z") for i in range(5000)
    ]
    rows.append(
        {
            **execution("e99999", "2026-03-01T10:00:00Z", None, state=2),
            "parent_instance_id": "e00001",
        }
    )
    url = create_sqlite_source(tmp_path / "src.sqlite", {"process_instance": rows})
    result = extract(url, PROCESS_INSTANCE, work)
    assert result.rows_inserted == 5001
    parents = work.sql(
        "SELECT id, parent_instance_id FROM raw.process_instance "
        "WHERE parent_instance_id IS NOT NULL"
    ).fetchall()
    assert parents == [("e99999", "e00001")]

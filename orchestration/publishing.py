"""Publication: analysts only ever see a fully built, fully checked warehouse.

DuckDB lets no writer in while any reader holds a file, even read-only, so the
published file is never written in place. Each publication writes a brand-new file
next to it and `os.replace`s it onto the published path: readers that already opened
the old file keep their consistent view of it, new readers get the new one, and a
failure at any point before the rename leaves the published file byte-identical.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.extraction import commit_watermarks
from orchestration.partitions import clear_dirty_days
from orchestration.warehouse import META_SCHEMA, query_one, run

MARTS_SCHEMA = "marts"
# Readable by DuckDB 1.x clients too (BI tools lag behind): written files are pinned.
PUBLISHED_STORAGE_VERSION = "v1.0.0"


@dataclass(frozen=True)
class Publication:
    path: Path
    published_at: datetime
    rows_per_mart: dict[str, int]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(
    con: duckdb.DuckDBPyConnection, marts: list[str], published_path: Path, run_id: str | None
) -> Publication:
    """Copy `marts` from the working warehouse (`con`) into a new file, then swap it in."""
    published_path.parent.mkdir(parents=True, exist_ok=True)
    staging = published_path.with_name(f".{published_path.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    published_at = datetime.now(UTC).replace(tzinfo=None)
    rows: dict[str, int] = {}
    run(con, f"ATTACH '{staging}' AS publication (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')")
    try:
        run(con, f"CREATE SCHEMA publication.{MARTS_SCHEMA}")
        for mart in marts:
            run(
                con,
                f"CREATE TABLE publication.{MARTS_SCHEMA}.{mart} AS "
                f"SELECT * FROM {MARTS_SCHEMA}.{mart}",
            )
            (rows[mart],) = query_one(
                con, f"SELECT count(*) FROM publication.{MARTS_SCHEMA}.{mart}"
            )
        run(
            con,
            "CREATE TABLE publication.main.publication AS "
            "SELECT CAST(? AS TIMESTAMP) AS published_at, CAST(? AS VARCHAR) AS run_id",
            [published_at, run_id],
        )
        run(con, "DETACH publication")
        _fsync(staging)
        os.replace(staging, published_path)
        _fsync(published_path.parent)
    except BaseException:
        run(con, "DETACH DATABASE IF EXISTS publication")
        staging.unlink(missing_ok=True)
        raise
    # What is published is done: advance the watermarks and forget the dirty days, at once.
    run(con, "BEGIN TRANSACTION")
    run(
        con,
        f"INSERT INTO {META_SCHEMA}.publications VALUES (?, ?, ?, ?, ?)",
        [published_at, run_id, str(published_path), len(rows), sum(rows.values())],
    )
    commit_watermarks(con)
    clear_dirty_days(con)
    run(con, "COMMIT")
    return Publication(published_path, published_at, rows)

"""Publication: analysts only ever see a fully built, fully checked warehouse.

DuckDB lets no writer in while any reader holds a file, even read-only, so the
published file is never written in place. Each publication writes a brand-new file
next to it and `os.replace`s it onto the published path: readers that already opened
the old file keep their consistent view of it, new readers get the new one, and a
failure at any point before the rename leaves the published file byte-identical.

The same marts are also published as Parquet, one file per mart, for tools that read
no DuckDB. Parquet files cannot be swapped together by renaming them one by one, so
each publication writes a new version directory, `parquet-<UTC time>/`, and the link
`parquet` is re-pointed at it with one rename, right after the DuckDB file's: a reader
opening `parquet/<mart>.parquet` gets one version or the other, never a mix of both
being written. The previous version directory is kept, for a reader that resolved the
link just before the swap; older ones are removed.

Only what changed is written again: the staging file starts as a copy of the
published file, in which the marts rebuilt since (`rebuilt`) are replaced (a
day-partitioned mart only in the days rebuilt since, `meta.dirty_days`, as long as the
project is the published one), and the new Parquet version directory hard-links the
unchanged marts' files of the current version (published files are never written in
place, so a shared file never changes).

A publication killed before its renames (kill -9, power loss) leaves its staging file
and version directory behind, under names no reader opens; the next one removes them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.extraction import commit_watermarks
from orchestration.partitions import DIRTY_DAYS, clear_dirty_days
from orchestration.rebuild import project_is_published, record_publication
from orchestration.warehouse import META_SCHEMA, query_one, run

MARTS_SCHEMA = "marts"
# Readable by DuckDB 1.x clients too (BI tools lag behind): written files are pinned.
PUBLISHED_STORAGE_VERSION = "v1.0.0"


@dataclass(frozen=True)
class Publication:
    path: Path
    published_at: datetime
    rows_per_mart: dict[str, int]
    parquet_path: Path  # the link analysts read through: parquet_path / "<mart>.parquet"
    parquet_version: Path  # the version directory it pointed at after this publication


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_link(link: Path, staging_link: Path) -> Path | None:
    """Rename `staging_link` onto `link`; return the version `link` pointed at before.

    A real directory in the link's place (a home copied without its symlinks, as
    `cp -r` and `shutil.copytree` do) cannot be replaced by a rename: it is first moved
    aside as the previous version, the one moment `link` is briefly missing.
    """
    if link.is_symlink():
        previous = link.parent / link.readlink()
    elif link.is_dir():
        previous = link.with_name(f"{staging_link.readlink()}-previous")
        os.rename(link, previous)
    else:
        previous = None
    os.replace(staging_link, link)
    return previous


def _remove_stale_staging(published_path: Path, parquet_path: Path) -> None:
    """Remove what a killed publication left: its staging file (with DuckDB's WAL of it)
    and staging link, named by that run's pid. Only one run publishes at a time (the
    warehouse lock), so any found now is stale; its version directory goes with the
    older versions once this publication is in."""
    for stale in (
        *published_path.parent.glob(f".{published_path.name}.*.tmp"),
        *published_path.parent.glob(f".{published_path.name}.*.tmp.wal"),
        *parquet_path.parent.glob(f".{parquet_path.name}.*.tmp"),
    ):
        stale.unlink(missing_ok=True)


def _start_from_published(
    con: duckdb.DuckDBPyConnection, published_path: Path, staging: Path, rebuilt: set[str] | None
) -> set[str]:
    """Attach the staging file as `publication`: a copy of the published file when only
    `rebuilt` changed (returns the marts it already holds), else a new, empty file."""
    if rebuilt is not None and published_path.exists():
        shutil.copyfile(published_path, staging)
        run(con, f"ATTACH '{staging}' AS publication")
        (used, free) = con.execute(
            "SELECT used_blocks, free_blocks FROM pragma_database_size() "
            "WHERE database_name = 'publication'"
        ).fetchall()[0]
        if free <= used:
            held = con.execute(
                "SELECT table_name FROM duckdb_tables() "
                "WHERE database_name = 'publication' AND schema_name = ?",
                [MARTS_SCHEMA],
            ).fetchall()
            return {name for (name,) in held}
        # Replaced marts leave free blocks that later writes reuse; once they outweigh
        # the live ones, the file is written anew rather than carried on half empty.
        run(con, "DETACH publication")
        staging.unlink()
    run(con, f"ATTACH '{staging}' AS publication (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')")
    run(con, f"CREATE SCHEMA publication.{MARTS_SCHEMA}")
    return set()


def _replace_mart(
    con: duckdb.DuckDBPyConnection, mart: str, held: bool, day_column: str | None
) -> None:
    """Write the working mart into the staging file: whole, or, for a day-partitioned
    mart the staging file holds, only its partitions rebuilt since the last publication
    (the others are identical to the published ones: dbt rebuilt no other day)."""
    table = f"publication.{MARTS_SCHEMA}.{mart}"
    if held and day_column:
        dirty = f"(SELECT day FROM {DIRTY_DAYS})"
        run(con, f'DELETE FROM {table} WHERE "{day_column}" IN {dirty}')
        run(
            con,
            f"INSERT INTO {table} BY NAME SELECT * FROM {MARTS_SCHEMA}.{mart} "
            f'WHERE "{day_column}" IN {dirty}',
        )
    else:
        run(con, f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {MARTS_SCHEMA}.{mart}")


def publish(
    con: duckdb.DuckDBPyConnection,
    marts: list[str],
    published_path: Path,
    parquet_path: Path,
    run_id: str | None,
    rebuilt: set[str] | None = None,
    day_partitions: Mapping[str, str] | None = None,
) -> Publication:
    """Copy `marts` from the working warehouse (`con`) into a new DuckDB file and a new
    Parquet version directory, then swap both in. With `rebuilt`, the marts not in it
    are unchanged since the current publication and are taken from it; with
    `day_partitions` (mart -> its day column), those of them that were rebuilt are
    replaced day by day, unless the project changed since the last publication."""
    published_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(published_path, parquet_path)
    staging = published_path.with_name(f".{published_path.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    published_at = datetime.now(UTC).replace(tzinfo=None)
    version = parquet_path.with_name(f"{parquet_path.name}-{published_at:%Y%m%dT%H%M%S.%fZ}")
    staging_link = parquet_path.with_name(f".{parquet_path.name}.{os.getpid()}.tmp")
    staging_link.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    current_version = parquet_path.resolve() if parquet_path.exists() else None
    try:
        held = _start_from_published(con, published_path, staging, rebuilt)
        partitioned = dict(day_partitions or {}) if project_is_published(con) else {}
        version.mkdir(parents=True)
        for gone in held - set(marts):  # a mart the project no longer has
            run(con, f"DROP TABLE publication.{MARTS_SCHEMA}.{gone}")
        for mart in marts:
            table = f"publication.{MARTS_SCHEMA}.{mart}"
            kept = current_version / f"{mart}.parquet" if current_version else None
            if mart in held and mart not in (rebuilt or set()) and kept and kept.exists():
                os.link(kept, version / f"{mart}.parquet")
            else:
                _replace_mart(con, mart, mart in held, partitioned.get(mart))
                run(con, f"COPY {table} TO '{version / mart}.parquet' (FORMAT parquet)")
            (rows[mart],) = query_one(con, f"SELECT count(*) FROM {table}")
        run(
            con,
            "CREATE OR REPLACE TABLE publication.main.publication AS "
            "SELECT CAST(? AS TIMESTAMP) AS published_at, CAST(? AS VARCHAR) AS run_id",
            [published_at, run_id],
        )
        run(con, "DETACH publication")
        for written in (staging, *version.iterdir(), version):
            _fsync(written)
        os.symlink(version.name, staging_link)  # relative: the home stays relocatable
        # Nothing that can reasonably fail stands between these two renames; a crash
        # between them is repaired by the next refresh (the watermarks are not committed).
        os.replace(staging, published_path)
        previous = _swap_link(parquet_path, staging_link)
        for directory in {published_path.parent, parquet_path.parent}:
            _fsync(directory)
    except BaseException:
        run(con, "DETACH DATABASE IF EXISTS publication")
        staging.unlink(missing_ok=True)
        staging_link.unlink(missing_ok=True)
        if parquet_path.resolve() != version.resolve():
            shutil.rmtree(version, ignore_errors=True)
        raise
    for old in parquet_path.parent.glob(f"{parquet_path.name}-*"):
        if old not in (version, previous):
            shutil.rmtree(old, ignore_errors=True)
    # What is published is done: advance the watermarks and forget the dirty days, at once.
    run(con, "BEGIN TRANSACTION")
    run(
        con,
        f"INSERT INTO {META_SCHEMA}.publications VALUES (?, ?, ?, ?, ?)",
        [published_at, run_id, str(published_path), len(rows), sum(rows.values())],
    )
    commit_watermarks(con)
    clear_dirty_days(con)
    record_publication(con)
    run(con, "COMMIT")
    return Publication(published_path, published_at, rows, parquet_path, version)

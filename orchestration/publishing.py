"""Publication: analysts only ever see a fully built, fully checked warehouse.

DuckDB lets no writer in while any reader holds a file, even read-only, so a published
file is never written in place; and the DuckDB file and the Parquet files (one per
mart, for tools that read no DuckDB) must change together. Each publication writes a
new version directory, then switches to it with one rename:

    published/
      flowmart.duckdb -> current/flowmart.duckdb      (what analysts open)
      parquet         -> current/parquet               (parquet/<mart>.parquet)
      current         -> version-<UTC time>            (the switch)
      version-<UTC time>/flowmart.duckdb, parquet/<mart>.parquet
      version-<earlier>/                               (the previous version)

`current` is re-pointed by renaming a new link onto it: a reader opening either path
gets the whole old version or the whole new one, never a mix, and a failure or a kill
-9 at any point before that rename leaves every published byte as it was; after it,
the new version is published whole. Readers that opened the old file keep their
consistent view of it: the previous version directory is kept, older ones are removed.

Only what changed is written again: the new file starts as a copy of the published
one, in which the marts rebuilt since (`rebuilt`) are replaced (a day-partitioned
mart only in the days rebuilt since, `meta.dirty_days`, as long as the project is the
published one), and the new version's Parquet directory hard-links the unchanged
marts' files of the current version (published files are never written in place, so
a shared file never changes).

A publication killed before its switch (kill -9, power loss) leaves its version
directory behind, which no link points at; the next one removes it. Homes published
before this layout (a `flowmart.duckdb` file and a `parquet` link of their own) get
their two links at their first publication after it.
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
    parquet_version: Path  # the Parquet directory of the version published


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


CURRENT = "current"
VERSION_PREFIX = "version-"
LEGACY_PREFIXES = ("parquet-", ".flowmart.duckdb.", ".parquet.")  # the layout before


def _swap_link(link: Path, target: str) -> Path | None:
    """Point `link` at `target` (relative) with one rename; return what it pointed at
    before. A real directory or file in the link's place (a home copied without its
    symlinks, as `cp -r` does; an older layout's file) cannot be replaced by a rename of
    a link onto it when it is a directory: it is first moved aside, as a version no
    link points at (`<name>-<pid>-aside`), the one moment `link` is missing."""
    staging = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    os.symlink(target, staging)
    previous = None
    if link.is_symlink():
        previous = link.parent / os.readlink(link)
    elif link.is_dir():
        previous = link.with_name(f"{VERSION_PREFIX}{link.name}-{os.getpid()}-aside")
        os.rename(link, previous)
    os.replace(staging, link)
    return previous


def _remove_stale(published: Path, keep: set[Path]) -> None:
    """Remove what no link points at any more: older versions, a killed publication's
    version directory and links, and the leftovers of the layout before this one."""
    for entry in published.iterdir():
        if entry in keep or entry.name in (CURRENT, "flowmart.duckdb", "parquet"):
            continue
        stale_link = entry.name.startswith(".") and entry.name.endswith(".tmp")
        if entry.name.startswith((VERSION_PREFIX, *LEGACY_PREFIXES)) or stale_link:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _start_from_published(
    con: duckdb.DuckDBPyConnection, current: Path | None, staging: Path, rebuilt: set[str] | None
) -> set[str]:
    """Attach the staging file as `publication`: a copy of the `current` published file
    when only `rebuilt` changed (returns the marts it already holds), else a new file."""
    if rebuilt is not None and current is not None:
        shutil.copyfile(current, staging)
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
    """Copy `marts` from the working warehouse (`con`) into a new version directory (a
    DuckDB file and a Parquet file per mart), then switch to it. With `rebuilt`, the
    marts not in it are unchanged since the current publication and are taken from it;
    with `day_partitions` (mart -> its day column), those of them that were rebuilt are
    replaced day by day, unless the project changed since the last publication.
    `published_path` and `parquet_path` are the paths analysts open, side by side."""
    published = published_path.parent
    published.mkdir(parents=True, exist_ok=True)
    published_at = datetime.now(UTC).replace(tzinfo=None)
    version = published / f"{VERSION_PREFIX}{published_at:%Y%m%dT%H%M%S.%fZ}"
    new_file, new_parquet = version / published_path.name, version / parquet_path.name
    current_file = published_path.resolve() if published_path.exists() else None
    current_parquet = parquet_path.resolve() if parquet_path.exists() else None
    rows: dict[str, int] = {}
    try:
        new_parquet.mkdir(parents=True)
        held = _start_from_published(con, current_file, new_file, rebuilt)
        partitioned = dict(day_partitions or {}) if project_is_published(con) else {}
        for gone in held - set(marts):  # a mart the project no longer has
            run(con, f"DROP TABLE publication.{MARTS_SCHEMA}.{gone}")
        for mart in marts:
            table = f"publication.{MARTS_SCHEMA}.{mart}"
            kept = current_parquet / f"{mart}.parquet" if current_parquet else None
            if mart in held and mart not in (rebuilt or set()) and kept and kept.exists():
                os.link(kept, new_parquet / f"{mart}.parquet")
            else:
                _replace_mart(con, mart, mart in held, partitioned.get(mart))
                run(con, f"COPY {table} TO '{new_parquet / mart}.parquet' (FORMAT parquet)")
            (rows[mart],) = query_one(con, f"SELECT count(*) FROM {table}")
        run(
            con,
            "CREATE OR REPLACE TABLE publication.main.publication AS "
            "SELECT CAST(? AS TIMESTAMP) AS published_at, CAST(? AS VARCHAR) AS run_id",
            [published_at, run_id],
        )
        run(con, "DETACH publication")
        for written in (new_file, *new_parquet.iterdir(), new_parquet, version):
            _fsync(written)
        # The switch: one rename, so the DuckDB file and the Parquet files change together.
        previous = _swap_link(published / CURRENT, version.name)  # relative: relocatable
        _fsync(published)
    except BaseException:
        run(con, "DETACH DATABASE IF EXISTS publication")
        if (published / CURRENT).resolve() != version.resolve():
            shutil.rmtree(version, ignore_errors=True)
        raise
    # The paths analysts open lead through `current`: made once (replacing the file and
    # the link of the layout before this one, or what `cp -r` made of them).
    for link in (published_path, parquet_path):
        target = f"{CURRENT}/{link.name}"
        if not (link.is_symlink() and os.readlink(link) == target):
            _swap_link(link, target)
    _fsync(published)
    # The previous version stays for readers that opened it; so does, once, the Parquet
    # directory of the layout before this one (current_parquet, when it was one).
    _remove_stale(published, {version, previous, current_parquet} - {None})
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
    return Publication(published_path, published_at, rows, parquet_path, new_parquet)

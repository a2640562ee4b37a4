"""One writer at a time on the working warehouse.

A refresh and a backfill must never interleave: one run's publication would commit
the other's watermarks and forget its dirty days. Every run holds an exclusive lock on
`<warehouse>/.lock` for its whole duration, whoever launched it (CLI, schedule, UI).
A second run waits up to FLOWMART_LOCK_WAIT_SECONDS (default 300), then fails with the
holder's identity and nothing done. The lock is an OS file lock, so a killed run
releases it with its process.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb


class WarehouseBusy(RuntimeError):
    """Another flowmart run holds the working warehouse."""


def lock_wait_seconds() -> float:
    return float(os.environ.get("FLOWMART_LOCK_WAIT_SECONDS", "300"))


@contextmanager
def warehouse_lock(lock_path: Path, holder: dict[str, str], wait_seconds: float) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    raise WarehouseBusy(
                        "another flowmart run holds the working warehouse "
                        f"({handle.read().strip() or 'unknown holder'}); waited "
                        f"{wait_seconds:.0f} s, did nothing. Retry when it has finished."
                    ) from None
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(json.dumps({**holder, "pid": os.getpid(), "since": since}))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def wait_until_writable(database: Path, wait_seconds: float) -> None:
    """Wait until no process holds DuckDB's own lock on `database`. The run lock above is
    released the moment a run's main process dies, but a `dbt build` it had started may
    go on writing for a while (a `kill -9` of the main process alone, the OOM killer):
    the next run waits for it instead of failing on DuckDB's lock."""
    deadline = time.monotonic() + wait_seconds
    while database.exists():
        try:
            duckdb.connect(str(database)).close()
            return
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.5)

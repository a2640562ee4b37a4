"""The warehouse is one writer's at a time, even when a killed run left a child behind."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from orchestration.locking import wait_until_writable

HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold(path, seconds: float) -> subprocess.Popen:
    """Another process writing `path` (as a killed run's dbt child would be)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_waits_for_a_leftover_writer_to_finish(tmp_path):
    path = tmp_path / "work.duckdb"
    duckdb.connect(str(path)).close()
    holder = hold(path, 2)
    started = time.monotonic()
    wait_until_writable(path, wait_seconds=30)
    assert time.monotonic() - started >= 1  # it did wait
    assert holder.wait(timeout=30) == 0
    duckdb.connect(str(path)).close()


def test_gives_up_after_the_wait(tmp_path):
    path = tmp_path / "work.duckdb"
    duckdb.connect(str(path)).close()
    holder = hold(path, 30)
    try:
        with pytest.raises(duckdb.IOException, match="lock"):
            wait_until_writable(path, wait_seconds=1)
    finally:
        holder.kill()
        holder.wait()

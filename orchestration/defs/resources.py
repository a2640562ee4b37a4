"""Run-wide resources."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from orchestration.locking import lock_wait_seconds, wait_until_writable, warehouse_lock
from orchestration.settings import load_settings


class WarehouseLock(dg.ConfigurableResource):
    """Held for the whole run (the in-process executor sets resources up once per run):
    every step that touches the working warehouse requires it."""

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["WarehouseLock"]:
        run = context.run
        holder = {"run_id": run.run_id if run else "?", "job": run.job_name if run else "?"}
        work_db = load_settings().work_db
        with warehouse_lock(work_db.with_name(".lock"), holder, lock_wait_seconds()):
            wait_until_writable(work_db, lock_wait_seconds())
            yield self

"""The Dagster instance under FLOWMART_HOME/dagster: its dagster.yaml, and an event log
that does not spend most of a quiet refresh on SQLite.

Every run writes hundreds of events (a "planned" event per asset and check before the
first step even starts, then each materialization and check result). Dagster's SQLite
event log creates a new database engine for every event and commits it with the
journal's several fsyncs: ~8 ms an event here, seconds per run. This event log is the
same storage in the same files (so `dagster dev` and older runs see one history), with
one engine per database file kept for the process's life and SQLite in WAL mode with
`synchronous=NORMAL`: a commit is durable against a crash of the process (the refresh's
own guarantee: watermarks live in the warehouse, not here) and costs no fsync.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as db
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._serdes import ConfigurableClassData

MARKER = "# written by flowmart (orchestration/dagster_instance.py)"
INSTANCE_YAML = """{marker}: edit freely, then remove this line
# so that flowmart leaves the file as it is (it is rewritten when the home moves).
telemetry:
  enabled: false
event_log_storage:
  module: orchestration.dagster_instance
  class: FlowmartEventLogStorage
  config:
    base_dir: {base_dir}
"""


class FlowmartEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log (its files: <instance>/history/runs), kept engines."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: dict[str, db.engine.Engine] = {}
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> FlowmartEventLogStorage:
        return cls(inst_data=inst_data, **dict(config_value))

    def _engine(self, shard: str) -> db.engine.Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = db.create_engine(
                self.conn_string_for_shard(shard),
                poolclass=db.pool.SingletonThreadPool,
                connect_args={"timeout": 15},
            )
            db.event.listen(engine, "connect", _fast_commits)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            self._engines[shard] = engine
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.engine.Connection]:
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        super().dispose()


def _fast_commits(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def ensure_instance_yaml(dagster_home: Path) -> None:
    """Write dagster.yaml unless someone made the file their own (removed the marker)."""
    path = dagster_home / "dagster.yaml"
    if path.exists() and not path.read_text().startswith(MARKER):
        return
    events = os.path.join(dagster_home.resolve(), "history", "runs", "")
    text = INSTANCE_YAML.format(marker=MARKER, base_dir=json.dumps(events))
    if not path.exists() or path.read_text() != text:
        path.write_text(text)

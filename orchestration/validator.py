"""Great Expectations in a process of its own, started while dbt builds.

Importing GE costs ~1.5 s, and the mart suites need it whenever a candidate row exists
(orchestration/quality.py): a standing warning, say a billing difference, has one on
every run. When the last checks found such rows, the dbt step starts this worker, which
imports GE while dbt builds (dbt's work runs in DuckDB, leaving a core to spare), and
the mart suites then hand it their candidate rows. A process, not a thread: importing
GE on a thread while the run's own thread imports lazily (SQLAlchemy's ORM, for one)
hands one of them a partially initialized module.

Requests and outcomes go over pipes as pickles: (frame, suite, rows) -> SuiteOutcome.
A worker that died is simply not used: the suite is validated in-process.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from typing import IO

from orchestration.quality import SuiteOutcome, read_results, validate_frame, warm_up

_worker: Worker | None = None


class Worker:
    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.validator"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def validate(self, frame, suite: dict, rows: int) -> SuiteOutcome | None:
        """The worker's outcome, or None when it is gone (the caller validates itself)."""
        try:
            pickle.dump((frame, suite, rows), self._process.stdin)
            self._process.stdin.flush()
            return pickle.load(self._process.stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            self.close()
            return None

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()  # the worker ends at end of input
            self._process.wait()


def start_if_needed(home) -> None:
    """Start the worker when the last checks found unexpected rows: the mart suites will
    then most likely need GE. After clean checks nothing starts: a clean mart never
    needs GE."""
    global _worker
    if _worker is not None:
        return
    if all(result.get("passed", True) for result in read_results(home).values()):
        return
    _worker = Worker()


def validate(frame, suite: dict, rows: int) -> SuiteOutcome:
    """Validate with the worker when one was started, else in this process."""
    if _worker is not None:
        outcome = _worker.validate(frame, suite, rows)
        if outcome is not None:
            return outcome
    return validate_frame(frame, suite, rows=rows)


def stop() -> None:
    global _worker
    if _worker is not None:
        _worker.close()
        _worker = None


def _serve(requests: IO[bytes], outcomes: IO[bytes]) -> None:
    warm_up()  # GE is imported now, before any request
    while True:
        try:
            frame, suite, rows = pickle.load(requests)
        except EOFError:
            return
        pickle.dump(validate_frame(frame, suite, rows=rows), outcomes)
        outcomes.flush()


if __name__ == "__main__":
    # Outcomes go to the original stdout; anything GE prints goes to stderr instead.
    outcomes = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    _serve(sys.stdin.buffer, outcomes)
    # Every outcome is flushed; finalizing GE's and pandas' modules at exit cost 0.6 s,
    # which the mart checks step spent waiting for this process to end.
    os._exit(0)

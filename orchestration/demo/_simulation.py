"""Running executions through their workflows: fates, retries, durations, reviews, the cut.

Each execution's fate (which node fails, handled or not, timeout, abort) is drawn first and
its node runs are then laid out from the run template in one go. The clock stops at the
window's as_of, which leaves executions running or waiting and reviews pending, exactly as
a live database shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.demo._catalog import Catalog
from orchestration.demo._columns import MS_PER_DAY, MS_PER_MINUTE, NO_TIME, Window
from orchestration.demo._platform import (
    ABORT_RATE,
    KIND,
    MISSING_TRIGGER_RATE,
    NODE_KINDS,
    OUTAGE_ERROR_RATE,
    RETRY_BACKOFF_MS,
    REVIEW_APPROVED,
    REVIEW_CANCELLED,
    REVIEW_PENDING,
    REVIEW_REJECTED,
    REVIEW_REVISION_REQUESTED,
    SUBPROCESS_START_DELAY_MS,
    NodeStatus,
    State,
)


def _per_kind(field: str) -> np.ndarray:
    return np.array([getattr(k, field) for k in NODE_KINDS])


ERROR_WEIGHTS, ABORT_WEIGHTS = _per_kind("error_weight"), _per_kind("abort_weight")
MEDIAN_MS, SIGMAS = _per_kind("median_ms"), _per_kind("sigma")
TIMEOUT_MS, TIMEOUT_SHARES = _per_kind("timeout_ms"), _per_kind("timeout_share")
RETRY_2, RETRY_3 = _per_kind("retry_share"), _per_kind("second_retry_share")
FAILING_ATTEMPTS = _per_kind("failing_attempts").astype(np.int32)


@dataclass
class Simulation:
    """Executions and their node runs (grouped by execution, in order) and review rounds."""

    # executions
    wf: np.ndarray
    start: np.ndarray
    end: np.ndarray
    state: np.ndarray
    updated: np.ndarray
    failed_unhandled: np.ndarray  # an unhandled node error (METRICS: the execution failed)
    # node runs
    run_exec: np.ndarray
    run_node: np.ndarray
    run_iteration: np.ndarray
    run_status: np.ndarray
    run_attempts: np.ndarray
    run_handled: np.ndarray
    run_timeout: np.ndarray
    run_outage: np.ndarray  # the error comes from an upstream outage
    run_start: np.ndarray
    run_end: np.ndarray
    # review rounds of humanReview runs
    review_run: np.ndarray
    review_round: np.ndarray
    review_status: np.ndarray  # index into REVIEW_STATUSES
    review_created: np.ndarray
    review_decided: np.ndarray


@dataclass
class _Outcome:
    """What will happen to each execution, decided before its node runs are laid out."""

    variant: np.ndarray
    error_at: np.ndarray  # position of the failing node, -1 if none
    handled: np.ndarray
    timeout: np.ndarray
    outage: np.ndarray
    abort_at: np.ndarray  # position where a user aborts, -1 if not aborted
    runs: np.ndarray  # node runs up to the stop (unhandled error, abort or the end)


def _outcomes(
    catalog: Catalog,
    wf: np.ndarray,
    start: np.ndarray,
    outages: list[tuple[int, int, int]],
    rng: np.random.Generator,
) -> _Outcome:
    n = len(wf)
    extra_iterations = (rng.random(n) * catalog.wf_iterations[wf]).astype(np.int32)
    variant = catalog.wf_variant_base[wf] + extra_iterations
    length = catalog.variant_length[variant]
    in_outage = np.zeros(n, dtype=bool)
    for workflow, begin, until in outages:
        in_outage |= (wf == workflow) & (start >= begin) & (start < until)
    u, error_rate = rng.random(n), np.where(in_outage, OUTAGE_ERROR_RATE, catalog.error_rate[wf])
    has_error = u < error_rate
    aborted = ~has_error & (u < error_rate + ABORT_RATE)
    error_at = catalog.position_sampler(ERROR_WEIGHTS).draw(variant, rng)
    outage = has_error & in_outage
    error_at[outage] = catalog.variant_first_http[variant[outage]]
    error_kind = catalog.node_kind[catalog.tpl_node[catalog.variant_offset[variant] + error_at]]
    timeout = has_error & ~outage & (rng.random(n) < TIMEOUT_SHARES[error_kind])
    handled = has_error & (rng.random(n) < np.where(catalog.error_flow[wf], 0.75, 0.08))
    abort_at = catalog.position_sampler(ABORT_WEIGHTS).draw(variant, rng)
    stop = np.where(aborted, abort_at, np.where(has_error & ~handled, error_at, length - 1))
    return _Outcome(
        variant=variant,
        error_at=np.where(has_error, error_at, -1),
        handled=handled,
        timeout=timeout,
        outage=outage,
        abort_at=np.where(aborted, abort_at, -1),
        runs=(stop + 1).astype(np.int32),
    )


def _review_rounds(run_rows: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Review rounds of humanReview runs, with times relative to the node's start.

    Each round waits for a reviewer (minutes to days, a few stall for weeks); a revision
    request sends the item back for rework and a new round.
    """
    n = len(run_rows)
    r = rng.random(n)
    rounds = (1 + (r < 0.4) + (r < 0.12)).astype(np.int32)
    total = int(rounds.sum())
    owner = np.repeat(np.arange(n), rounds)
    first = np.cumsum(rounds) - rounds
    round_no = (np.arange(total) - first[owner] + 1).astype(np.int32)
    last = round_no == rounds[owner]
    turnaround = rng.lognormal(np.log(40 * MS_PER_MINUTE), 1.5, total)
    stalled = rng.random(total) < 0.03
    turnaround[stalled] = rng.uniform(3, 21, stalled.sum()) * MS_PER_DAY
    rework = np.where(last, 0, rng.lognormal(np.log(25 * MS_PER_MINUTE), 1.0, total))
    step = (turnaround + rework).astype(np.int64)
    elapsed = np.cumsum(step) - step
    created = elapsed - elapsed[first][owner]
    decided = created + turnaround.astype(np.int64)
    final = np.where(rng.random(total) < 0.85, REVIEW_APPROVED, REVIEW_REJECTED)
    duration = np.zeros(n, dtype=np.int64)
    duration[owner[last]] = decided[last] + rng.integers(200, 2000, n)
    return {
        "run": run_rows[owner],
        "round": round_no,
        "status": np.where(last, final, REVIEW_REVISION_REQUESTED).astype(np.int8),
        "created": created,
        "decided": decided,
        "duration": duration,
    }


def _attempts_and_durations(
    kind: np.ndarray,
    is_error: np.ndarray,
    timeout: np.ndarray,
    is_abort: np.ndarray,
    pace: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Tries and milliseconds per node run, and the review rounds of humanReview runs.

    Retries repeat the work after a doubling backoff; a timeout lasts exactly the timeout;
    a review node lasts until its last round is decided; an aborted run is cut short.
    """
    n = len(kind)
    r = rng.random(n)
    attempts = (1 + (r < RETRY_2[kind]) + (r < RETRY_3[kind])).astype(np.int32)
    gave_up = is_error & ~timeout
    attempts[gave_up] = FAILING_ATTEMPTS[kind[gave_up]]
    work = MEDIAN_MS[kind] * pace * np.exp(SIGMAS[kind] * rng.standard_normal(n))
    duration = work * attempts + RETRY_BACKOFF_MS * (2.0 ** (attempts - 1) - 1)
    duration = np.where(timeout, TIMEOUT_MS[kind], duration).astype(np.int64) + 1
    review_runs = np.flatnonzero(kind == KIND["humanReview"])
    reviews = _review_rounds(review_runs, rng)
    duration[review_runs] = reviews.pop("duration")
    cut_short = rng.uniform(0.05, 0.95, is_abort.sum())
    duration[is_abort] = (duration[is_abort] * cut_short).astype(np.int64)
    return attempts, duration, reviews


def simulate(
    catalog: Catalog,
    wf: np.ndarray,
    start: np.ndarray,
    window: Window,
    outages: list[tuple[int, int, int]],
    rng: np.random.Generator,
) -> Simulation:
    """Run executions through their workflows and stop the clock at window.as_of_ms."""
    outcome = _outcomes(catalog, wf, start, outages, rng)
    n, runs = len(wf), outcome.runs
    total = int(runs.sum())
    run_exec = np.repeat(np.arange(n, dtype=np.int32), runs)
    first = np.cumsum(runs, dtype=np.int64) - runs
    pos = (np.arange(total, dtype=np.int64) - first[run_exec]).astype(np.int32)
    row = catalog.variant_offset[outcome.variant][run_exec] + pos
    node = catalog.tpl_node[row]
    kind = catalog.node_kind[node]
    is_error = pos == outcome.error_at[run_exec]
    is_abort = pos == outcome.abort_at[run_exec]
    timeout = is_error & outcome.timeout[run_exec]

    attempts, duration, reviews = _attempts_and_durations(
        kind, is_error, timeout, is_abort, catalog.pace[wf][run_exec], rng
    )

    gap = rng.integers(1, 25, total)
    step = duration + gap
    elapsed = np.cumsum(step) - step
    run_start = start[run_exec] + elapsed - elapsed[first][run_exec] + gap
    run_end = run_start + duration
    exec_end = run_end[first + runs - 1] + rng.integers(2, 40, n)

    # The cut: runs not yet started vanish; the one under way is in progress.
    as_of = window.as_of_ms
    keep = run_start < as_of
    in_progress = run_end >= as_of
    running = exec_end >= as_of
    status = np.full(total, NodeStatus.COMPLETED, dtype=np.int16)
    status[is_error] = NodeStatus.ERROR
    status[is_abort] = NodeStatus.CANCELLED
    status[in_progress] = NodeStatus.IN_PROGRESS
    handled = (status == NodeStatus.ERROR) & outcome.handled[run_exec]
    unhandled_error = np.zeros(n, dtype=bool)
    unhandled_error[run_exec[(status == NodeStatus.ERROR) & ~handled]] = True

    waiting = np.zeros(n, dtype=bool)
    waiting[run_exec[keep & in_progress & (kind == KIND["humanReview"])]] = True
    state = np.full(n, State.COMPLETED, dtype=np.int16)
    state[unhandled_error & catalog.legacy[wf]] = State.FAILED
    state[outcome.abort_at >= 0] = State.ABORTED
    state[running] = np.where(waiting[running], State.WAITING, State.ACTIVE)

    activity = np.where(in_progress, run_start, run_end)
    last_activity = start.copy()
    np.maximum.at(last_activity, run_exec[keep], activity[keep])
    updated = np.where(
        running, last_activity, np.minimum(exec_end + rng.integers(0, 400, n), as_of - 1)
    )

    no_trigger_row = (rng.random(n) < MISSING_TRIGGER_RATE)[run_exec] & (pos == 0)
    keep &= ~(no_trigger_row & (status == NodeStatus.COMPLETED))
    new_index = np.cumsum(keep) - 1
    review = _cut_reviews(reviews, run_start, run_end, status, keep, as_of)
    return Simulation(
        wf=wf,
        start=start,
        end=np.where(running, NO_TIME, exec_end),
        state=state,
        updated=updated,
        failed_unhandled=unhandled_error & ~running,
        run_exec=run_exec[keep],
        run_node=node[keep],
        run_iteration=catalog.tpl_iteration[row[keep]],
        run_status=status[keep],
        run_attempts=attempts[keep],
        run_handled=handled[keep],
        run_timeout=timeout[keep] & (status[keep] == NodeStatus.ERROR),
        run_outage=outcome.outage[run_exec[keep]] & is_error[keep],
        run_start=run_start[keep],
        run_end=np.where(in_progress, NO_TIME, run_end)[keep],
        review_run=new_index[review["run"]].astype(np.int64),
        review_round=review["round"],
        review_status=review["status"],
        review_created=review["created"],
        review_decided=review["decided"],
    )


def _cut_reviews(
    reviews: dict[str, np.ndarray],
    run_start: np.ndarray,
    run_end: np.ndarray,
    status: np.ndarray,
    keep: np.ndarray,
    as_of: int,
) -> dict[str, np.ndarray]:
    """Absolute review times; rounds open at the cut are pending, at an abort cancelled."""
    run = reviews["run"]
    created = run_start[run] + reviews["created"]
    decided = run_start[run] + reviews["decided"]
    node_status = status[run]
    cut_at = np.where(node_status == NodeStatus.CANCELLED, run_end[run], as_of)
    cut_at = np.where(node_status == NodeStatus.IN_PROGRESS, as_of, cut_at)
    alive = keep[run] & (created < cut_at)
    open_at_cut = decided >= cut_at
    cancelled = open_at_cut & (node_status == NodeStatus.CANCELLED)
    review_status = np.where(cancelled, REVIEW_CANCELLED, reviews["status"])
    review_status = np.where(open_at_cut & ~cancelled, REVIEW_PENDING, review_status)
    decided = np.where(cancelled, cut_at, np.where(open_at_cut, NO_TIME, decided))
    return {
        "run": run[alive],
        "round": reviews["round"][alive],
        "status": review_status[alive].astype(np.int8),
        "created": created[alive],
        "decided": decided[alive],
    }


def spawn_subprocesses(
    catalog: Catalog, parent: Simulation, window: Window, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(workflow, start, parent execution) of the child executions that subProcess runs start."""
    calls = np.flatnonzero(
        (catalog.node_kind[parent.run_node] == KIND["subProcess"])
        & (parent.run_status != NodeStatus.CANCELLED)
    )
    start = parent.run_start[calls] + rng.integers(*SUBPROCESS_START_DELAY_MS, len(calls))
    started = start < window.as_of_ms
    calls = calls[started]
    wf = catalog.node_target[parent.run_node[calls]]
    return wf, start[started], parent.run_exec[calls]

"""The execution tables: process_instance, node_instance, review_task, AI calls, the log.

Each turns the simulated Executions into the contract's columns. Payloads and variables
come from small pools, so millions of rows share their strings instead of copying them.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import polars as pl

from orchestration.demo._catalog import Catalog
from orchestration.demo._columns import (
    NO_TIME,
    choose,
    fmt,
    lookup,
    null_unless,
    nulls,
    random_salt,
    unique_hex_ids,
)
from orchestration.demo._executions import Executions
from orchestration.demo._platform import (
    AI_MODELS,
    AI_TOOLS,
    DEBUG_LOG_SHARE,
    KIND,
    KIND_NAMES,
    NODE_KINDS,
    REVIEW_PENDING,
    REVIEW_REJECTED,
    REVIEW_REVISION_REQUESTED,
    REVIEW_STATUSES,
    TRIGGER_TYPES,
    NodeStatus,
    State,
    org_ids,
)
from orchestration.demo._text import RandomText, error_details, feedback


def _variables(n: int, rng: np.random.Generator) -> pl.Series:
    """Final variable state: small JSON objects from a pool (gathers share the strings)."""
    pool = []
    for i in range(256):
        kind = i % 4
        if kind == 0:
            value = {
                "order_id": int(rng.integers(10_000, 99_999)),
                "total": round(float(rng.gamma(2, 60)), 2),
            }
        elif kind == 1:
            value = {"ticket_id": int(rng.integers(1, 50_000)), "priority": ["low", "high"][i % 2]}
        elif kind == 2:
            value = {"email": f"user{i}@example.com", "score": int(rng.integers(0, 100))}
        else:
            value = {}
        pool.append(json.dumps(value, separators=(",", ":")))
    values = lookup(pool, rng.integers(0, len(pool), n))
    return null_unless(rng.random(n) >= 0.2, values)


def process_instances(ex: Executions, catalog: Catalog, rng: np.random.Generator) -> dict[str, Any]:
    sim = ex.sim
    parent_ids = null_unless(ex.parent >= 0, ex.ids.gather(np.maximum(ex.parent, 0)))
    return {
        "id": ex.ids,
        "process_meta_id": lookup(catalog.ids, sim.wf),
        "process_name": lookup(catalog.names, sim.wf),
        "organization_id": org_ids(ex.org),
        "parent_instance_id": parent_ids,
        "trigger_type": lookup(TRIGGER_TYPES, catalog.trigger[sim.wf]),
        "state_cd": sim.state,
        "start_time": sim.start,
        "end_time": sim.end,
        "variables": _variables(len(sim.wf), rng),
        "updated_at": sim.updated,
    }


def _node_outputs(kind: np.ndarray, status: np.ndarray, rng: np.random.Generator) -> pl.Series:
    """Node payloads from a small pool per kind; NULL for unfinished runs and most triggers."""
    pools = {
        "ifElse": ['{"branch":"true"}', '{"branch":"false"}'],
        "humanReview": ['{"reviewed":true}'],
        "email": ['{"accepted":1}', '{"accepted":2}', '{"accepted":5}'],
        "aiTask": [f'{{"text_chars":{c}}}' for c in range(200, 4000, 150)],
        "loop": [f'{{"batch":{b}}}' for b in range(1, 11)],
    }
    generic = [f'{{"items":{i}}}' for i in range(50)]
    pool, offsets, sizes = [], [], []
    for k in NODE_KINDS:
        entries = (
            ['{"headers":{"content-type":"application/json"}}']
            if k.name.endswith("Trigger")
            else pools.get(k.name, generic)
        )
        offsets.append(len(pool))
        sizes.append(len(entries))
        pool.extend(entries)
    offsets_a, sizes_a = np.array(offsets), np.array(sizes)
    index = offsets_a[kind] + (rng.random(len(kind)) * sizes_a[kind]).astype(np.int64)
    is_trigger = kind < len(TRIGGER_TYPES)
    present = (status == NodeStatus.COMPLETED) & ~(is_trigger & (rng.random(len(kind)) < 0.8))
    return null_unless(present, lookup(pool, index))


def node_instances(ex: Executions, catalog: Catalog, text: RandomText) -> dict[str, Any]:
    sim = ex.sim
    kind = catalog.node_kind[sim.run_node]
    errors = np.flatnonzero(sim.run_status == NodeStatus.ERROR)
    details = nulls(len(kind)).scatter(
        errors, error_details(kind[errors], sim.run_timeout[errors], sim.run_outage[errors], text)
    )
    return {
        "id": ex.run_ids,
        "process_instance_id": ex.ids.gather(sim.run_exec),
        "organization_id": org_ids(ex.org[sim.run_exec]),
        "node_id": catalog.node_ids.gather(sim.run_node),
        "node_name": catalog.node_names.gather(sim.run_node),
        "node_type": lookup(KIND_NAMES, kind),
        "status_cd": sim.run_status,
        "attempts": sim.run_attempts,
        "iteration": sim.run_iteration,
        "error_handled": sim.run_handled,
        "start_time": sim.run_start,
        "end_time": sim.run_end,
        "error_details": details,
        "output": _node_outputs(kind, sim.run_status, text.rng),
        "updated_at": np.where(sim.run_end == NO_TIME, sim.run_start, sim.run_end),
    }


def review_tasks(ex: Executions, rng: np.random.Generator, text: RandomText) -> dict[str, Any]:
    sim = ex.sim
    n = len(sim.review_run)
    exec_of = sim.run_exec[sim.review_run]
    reviewed_runs, subject_index = np.unique(sim.review_run, return_inverse=True)
    subjects = unique_hex_ids(len(reviewed_runs), salt=random_salt(rng))
    reviewers = text.pick(n, tuple(f"usr_{rng.bytes(4).hex()}" for _ in range(12)))
    status = sim.review_status
    has_feedback = (status == REVIEW_REVISION_REQUESTED) | (status == REVIEW_REJECTED)
    return {
        "id": fmt("rt_{}", unique_hex_ids(n, salt=random_salt(rng))),
        "organization_id": org_ids(ex.org[exec_of]),
        "process_instance_id": ex.ids.gather(exec_of),
        "node_instance_id": ex.run_ids.gather(sim.review_run),
        "subject_id": fmt("subj_{}", subjects.gather(subject_index)),
        "round": sim.review_round,
        "reviewer_id": null_unless((status != REVIEW_PENDING) | (rng.random(n) < 0.6), reviewers),
        "status": lookup(REVIEW_STATUSES, status),
        "feedback": null_unless(has_feedback, feedback(n, text)),
        "created_at": sim.review_created,
        "decided_at": sim.review_decided,
        "updated_at": np.where(
            sim.review_decided == NO_TIME, sim.review_created, sim.review_decided
        ),
    }


def ai_calls(ex: Executions, catalog: Catalog, rng: np.random.Generator) -> dict[str, Any]:
    """One row per attempt of each finished aiTask run; the last try of a success succeeds."""
    sim = ex.sim
    finished = np.flatnonzero(
        (catalog.node_kind[sim.run_node] == KIND["aiTask"])
        & np.isin(sim.run_status, (NodeStatus.COMPLETED, NodeStatus.ERROR))
    )
    attempts = sim.run_attempts[finished]
    run = np.repeat(finished, attempts)
    n = len(run)
    attempt = np.arange(n) - np.repeat(np.cumsum(attempts) - attempts, attempts)
    slot = (sim.run_end[run] - sim.run_start[run]) // sim.run_attempts[run]
    model = catalog.node_model[sim.run_node[run]]
    price = np.array([m.cost_per_1k_tokens for m in AI_MODELS])[model]
    tokens = np.clip(rng.lognormal(np.log(1200), 0.8, n), 30, 120_000).astype(np.int64)
    success = (sim.run_status[run] == NodeStatus.COMPLETED) & (attempt == sim.run_attempts[run] - 1)
    return {
        "id": fmt("ai_{}", unique_hex_ids(n, salt=random_salt(rng))),
        "process_instance_id": ex.ids.gather(sim.run_exec[run]),
        "node_instance_id": ex.run_ids.gather(run),
        "organization_id": org_ids(ex.org[sim.run_exec[run]]),
        "model_provider": lookup([m.provider for m in AI_MODELS], model),
        "model_name": lookup([m.name for m in AI_MODELS], model),
        "tokens_used": tokens,
        "cost_cents": np.rint(tokens * price / 1000).astype(np.int64),
        "execution_time_ms": np.maximum(1, (slot * rng.uniform(0.8, 0.98, n)).astype(np.int64)),
        "success": success,
        "tools_used": lookup(list(AI_TOOLS), choose(rng, AI_TOOLS.values(), n)),
        "created_at": sim.run_start[run] + slot * (attempt + 1),
    }


class _LogLines:
    """Execution log lines, collected group by group, then put in time order."""

    def __init__(self) -> None:
        self.groups: list[pl.DataFrame] = []

    def add(
        self,
        execution: np.ndarray,
        level: str,
        message: pl.Series,
        at: np.ndarray,
        node_id: pl.Series | None = None,
    ) -> None:
        n = len(execution)
        group = {
            "execution": pl.Series(execution, dtype=pl.Int64),
            "node_id": nulls(n) if node_id is None else node_id,
            "level": pl.repeat(level, n, dtype=pl.String, eager=True),
            "message": message,
            "at": pl.Series(at, dtype=pl.Int64),
        }
        self.groups.append(pl.DataFrame(group))

    def ordered(self) -> pl.DataFrame:
        return pl.concat(self.groups).sort("at", "execution", maintain_order=True)


def execution_log(ex: Executions, catalog: Catalog, rng: np.random.Generator) -> dict[str, Any]:
    """Engine log lines: start and end of executions, node retries and errors, some debug."""
    sim, log = ex.sim, _LogLines()
    started = pl.Series([f"Execution started (trigger: {t})" for t in TRIGGER_TYPES])
    log.add(np.arange(len(sim.wf)), "INFO", started.gather(catalog.trigger[sim.wf]), sim.start)

    finished = sim.end != NO_TIME
    took = pl.Series(np.where(finished, sim.end - sim.start, 0)).cast(pl.String)
    failed = (sim.state == State.FAILED) | sim.failed_unhandled
    for ended, level, outcome in (
        (finished & (sim.state == State.COMPLETED) & ~failed, "INFO", "finished in {} ms"),
        (finished & failed, "ERROR", "failed after {} ms: unhandled node error"),
        (finished & (sim.state == State.ABORTED), "WARN", "aborted by user after {} ms"),
    ):
        rows = np.flatnonzero(ended)
        log.add(rows, level, fmt(f"Execution {outcome}", took.gather(rows)), sim.end[rows])

    node_ids = catalog.node_ids.gather(sim.run_node)
    kinds = lookup(KIND_NAMES, catalog.node_kind[sim.run_node])

    def node_lines(rows: np.ndarray, level: str, event: str, detail: pl.Series, at: np.ndarray):
        ids = node_ids.gather(rows)
        message = fmt(f"Node {{}} ({{}}) {event}", ids, kinds.gather(rows), detail)
        log.add(sim.run_exec[rows], level, message, at, ids)

    run_ms = sim.run_end - sim.run_start  # meaningless for unfinished runs, not used for them
    retried = np.flatnonzero((sim.run_attempts > 1) & (sim.run_end != NO_TIME))
    attempts = pl.Series(sim.run_attempts[retried]).cast(pl.String)
    retry_at = sim.run_start[retried] + run_ms[retried] // 2
    node_lines(retried, "WARN", "failed on attempt 1 of {}, retrying", attempts, retry_at)
    errors = np.flatnonzero(sim.run_status == NodeStatus.ERROR)
    routed = pl.Series(np.where(sim.run_handled[errors], " (routed to error flow)", ""))
    node_lines(errors, "ERROR", "raised an error{}", routed, sim.run_end[errors])
    done = sim.run_status == NodeStatus.COMPLETED
    debug = np.flatnonzero(done & (rng.random(len(done)) < DEBUG_LOG_SHARE))
    took = pl.Series(run_ms[debug]).cast(pl.String)
    node_lines(debug, "DEBUG", "finished in {} ms", took, sim.run_end[debug])

    lines = log.ordered()
    execution = lines["execution"].to_numpy()
    return {
        "id": np.arange(1, lines.height + 1, dtype=np.int64),
        "process_instance_id": ex.ids.gather(execution),
        "organization_id": org_ids(ex.org[execution]),
        "node_id": lines["node_id"],
        "level": lines["level"],
        "message": lines["message"],
        "created_at": lines["at"].to_numpy(),
    }

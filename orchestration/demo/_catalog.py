"""The workflow catalog: every organization's workflows, their nodes and run templates.

The ~100 workflows are built in plain Python, then flattened into arrays so the simulation
lays out millions of node runs by indexing instead of looping: a run template lists the
(node, loop iteration) rows of one path through a workflow, one variant per loop count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from orchestration.demo._columns import MS_PER_DAY, NO_TIME, Window, choose
from orchestration.demo._platform import (
    AI_MODELS,
    BATCH_SLOWDOWN,
    BATCH_WORKFLOW_SHARE,
    BODY_KIND_WEIGHTS,
    KIND,
    LEGACY_WORKFLOW_SHARE,
    MAX_RUNS_PER_EXECUTION,
    NODE_KINDS,
    NODE_LABELS,
    ORG_SPECS,
    SUBPROCESS_NAMES,
    SUBPROCESS_TRIGGER,
    TRIGGER_KIND,
    TRIGGER_TYPES,
    TRIGGER_WEIGHTS,
    WORKFLOW_NAMES,
    OrgSpec,
)


@dataclass
class Catalog:
    """Workflows and their definitions as flat arrays, indexed by workflow / node / row."""

    # per workflow
    ids: list[str]
    names: list[str]
    org: np.ndarray
    trigger: np.ndarray  # index into TRIGGER_TYPES
    share: np.ndarray  # of its organization's top-level executions; 0: never started alone
    legacy: np.ndarray  # runs on the older engine, which marks failed executions state 7
    error_rate: np.ndarray
    error_flow: np.ndarray  # has error/timeout flows, so most errors are handled
    pace: np.ndarray  # node duration factor: batch workflows run for minutes
    created: np.ndarray
    updated: np.ndarray
    deleted: np.ndarray
    is_active: np.ndarray
    live_from: np.ndarray  # executions start in [live_from, live_until)
    live_until: np.ndarray
    # per node definition
    node_wf: np.ndarray
    node_kind: np.ndarray
    node_model: np.ndarray  # AI model of aiTask nodes, -1 otherwise
    node_target: np.ndarray  # sub-workflow of subProcess nodes, -1 otherwise
    node_ids: pl.Series
    node_names: pl.Series
    # run templates: one variant per loop iteration count, as rows of (node, iteration)
    tpl_node: np.ndarray
    tpl_iteration: np.ndarray
    variant_offset: np.ndarray
    variant_length: np.ndarray
    variant_first_http: np.ndarray  # position of the first httpRequest node, -1 if none
    wf_variant_base: np.ndarray
    wf_iterations: np.ndarray  # number of variants (loop iterations 1..K)

    def position_sampler(self, weights_by_kind: np.ndarray) -> PositionSampler:
        return PositionSampler(self, weights_by_kind[self.node_kind[self.tpl_node]])


@dataclass
class PositionSampler:
    """Draws a position in each execution's run template, weighted per template row."""

    catalog: Catalog
    row_weights: np.ndarray

    def __post_init__(self) -> None:
        self.cum = np.cumsum(self.row_weights)
        offset, length = self.catalog.variant_offset, self.catalog.variant_length
        self.before = self.cum[offset] - self.row_weights[offset]
        self.total = self.cum[offset + length - 1] - self.before

    def draw(self, variant: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        target = self.before[variant] + rng.random(len(variant)) * self.total[variant]
        row = np.searchsorted(self.cum, target, side="right")
        last = self.catalog.variant_length[variant] - 1
        return np.clip(row - self.catalog.variant_offset[variant], 0, last).astype(np.int32)


@dataclass(frozen=True)
class _Loop:
    at: int  # position of the loop node (the trigger is position 0)
    body: int  # nodes after it that repeat with it
    max_iterations: int


@dataclass
class _WorkflowDraft:
    """One workflow while the catalog is being built (plain Python, ~100 of them)."""

    id: str
    org: int
    name: str
    trigger: int
    share: float
    is_sub: bool
    kinds: list[int]  # node kinds in definition order, the trigger first
    loop: _Loop | None


def _org_workflows(
    org: int, spec: OrgSpec, has_subprocesses: bool, rng: np.random.Generator
) -> list[_WorkflowDraft]:
    """An organization's workflows: their triggers, volume shares and node kinds."""
    drafts = []
    names = rng.permutation(len(WORKFLOW_NAMES))[: spec.workflows]
    body_kinds = np.array([KIND[k] for k in BODY_KIND_WEIGHTS])
    for i in range(spec.workflows + spec.subprocess_workflows):
        is_sub = i >= spec.workflows
        if is_sub:
            trigger = TRIGGER_TYPES.index(SUBPROCESS_TRIGGER)
            name = SUBPROCESS_NAMES[(i - spec.workflows) % len(SUBPROCESS_NAMES)]
            size = int(rng.integers(2, 6))
        else:
            trigger = int(choose(rng, TRIGGER_WEIGHTS))
            name = WORKFLOW_NAMES[names[i]]
            size = int(rng.integers(4, 16))
        share = 0.0 if is_sub else float(rng.lognormal(0, 0.9))
        if TRIGGER_TYPES[trigger] == "manual":
            share *= 0.2
        body = [int(k) for k in body_kinds[choose(rng, BODY_KIND_WEIGHTS.values(), size)]]
        if not is_sub and rng.random() < 0.22:
            body.insert(int(rng.integers(1, len(body) + 1)), KIND["humanReview"])
        if not is_sub and has_subprocesses and rng.random() < 0.2:
            body.insert(int(rng.integers(0, len(body) + 1)), KIND["subProcess"])
        loop = _place_loop(body, rng) if rng.random() < 0.3 else None
        kinds = [TRIGGER_KIND[TRIGGER_TYPES[trigger]], *body]
        wf_id = f"wf_{rng.bytes(5).hex()}"
        drafts.append(_WorkflowDraft(wf_id, org, name, trigger, share, is_sub, kinds, loop))
    return drafts


def _place_loop(body: list[int], rng: np.random.Generator) -> _Loop | None:
    """Turn a body node into a loop over the next 1-3 plain nodes; None if none fit."""
    plain = {KIND[k] for k in BODY_KIND_WEIGHTS}
    starts = [p for p in range(len(body) - 1) if body[p] in plain and body[p + 1] in plain]
    if not starts:
        return None
    at = int(rng.choice(starts))
    length = 1
    while length < 3 and at + length + 1 < len(body) and body[at + length + 1] in plain:
        length += 1
    body[at] = KIND["loop"]
    one_pass = 1 + len(body)  # the trigger and the body once
    iterations = int(rng.integers(2, 5))
    while iterations > 1 and one_pass + (iterations - 1) * (length + 1) > MAX_RUNS_PER_EXECUTION:
        iterations -= 1
    return _Loop(at + 1, length, iterations)


def _variant_rows(draft: _WorkflowDraft, iterations: int) -> list[tuple[int, int]]:
    """(node position, loop iteration) of each node run when the loop runs `iterations` times."""
    positions = list(range(len(draft.kinds)))
    if draft.loop is None:
        return [(p, 0) for p in positions]
    start, stop = draft.loop.at, draft.loop.at + draft.loop.body + 1
    repeated = [(p, it) for it in range(iterations) for p in positions[start:stop]]
    return [(p, 0) for p in positions[:start]] + repeated + [(p, 0) for p in positions[stop:]]


def _workflow_drafts(rng: np.random.Generator) -> list[_WorkflowDraft]:
    drafts: list[_WorkflowDraft] = []
    for org, spec in enumerate(ORG_SPECS):
        drafts.extend(_org_workflows(org, spec, spec.subprocess_workflows > 0, rng))
    for org in range(len(ORG_SPECS)):  # volume shares per organization sum to 1
        members = [d for d in drafts if d.org == org and not d.is_sub]
        total = sum(d.share for d in members)
        for d in members:
            d.share /= total
    return drafts


def _node_definitions(drafts: list[_WorkflowDraft], rng: np.random.Generator) -> dict[str, Any]:
    """Every workflow's nodes: ids n1.., unique names, AI models and sub-workflow targets."""
    model_weights = [m.weight for m in AI_MODELS]
    columns: dict[str, list[Any]] = {
        k: []
        for k in ("node_wf", "node_kind", "node_model", "node_target", "node_ids", "node_names")
    }
    for w, draft in enumerate(drafts):
        subs = [i for i, d in enumerate(drafts) if d.is_sub and d.org == draft.org]
        used: dict[str, int] = {}
        for p, kind in enumerate(draft.kinds):
            label = str(rng.choice(NODE_LABELS[NODE_KINDS[kind].name]))
            used[label] = used.get(label, 0) + 1
            is_ai, is_call = kind == KIND["aiTask"], kind == KIND["subProcess"]
            columns["node_wf"].append(w)
            columns["node_kind"].append(kind)
            columns["node_model"].append(int(choose(rng, model_weights)) if is_ai else -1)
            columns["node_target"].append(int(rng.choice(subs)) if is_call else -1)
            columns["node_ids"].append(f"n{p + 1}")
            columns["node_names"].append(label if used[label] == 1 else f"{label} {used[label]}")
    dtypes = {
        "node_wf": np.int32,
        "node_kind": np.int8,
        "node_model": np.int8,
        "node_target": np.int32,
    }
    return {
        name: np.array(values, dtype=dtypes[name])
        if name in dtypes
        else pl.Series(values, dtype=pl.String)
        for name, values in columns.items()
    }


def _run_templates(drafts: list[_WorkflowDraft]) -> dict[str, np.ndarray]:
    """Flat (node, iteration) rows per variant: a workflow has one per loop iteration count."""
    columns: dict[str, list[int]] = {
        k: []
        for k in (
            "tpl_node",
            "tpl_iteration",
            "variant_offset",
            "variant_length",
            "variant_first_http",
            "wf_variant_base",
            "wf_iterations",
        )
    }
    first_node = 0
    for draft in drafts:
        iterations = draft.loop.max_iterations if draft.loop else 1
        columns["wf_variant_base"].append(len(columns["variant_offset"]))
        columns["wf_iterations"].append(iterations)
        for k in range(1, iterations + 1):
            rows = _variant_rows(draft, k)
            http = [i for i, (p, _) in enumerate(rows) if draft.kinds[p] == KIND["httpRequest"]]
            columns["variant_offset"].append(len(columns["tpl_node"]))
            columns["variant_length"].append(len(rows))
            columns["variant_first_http"].append(http[0] if http else -1)
            columns["tpl_node"].extend(first_node + p for p, _ in rows)
            columns["tpl_iteration"].extend(it for _, it in rows)
        first_node += len(draft.kinds)
    return {name: np.array(values, dtype=np.int32) for name, values in columns.items()}


def build_catalog(window: Window, rng: np.random.Generator) -> Catalog:
    drafts = _workflow_drafts(rng)
    n = len(drafts)
    top_level = ~np.array([d.is_sub for d in drafts])
    return Catalog(
        ids=[d.id for d in drafts],
        names=[d.name for d in drafts],
        org=np.array([d.org for d in drafts], dtype=np.int16),
        trigger=np.array([d.trigger for d in drafts], dtype=np.int8),
        share=np.array([d.share for d in drafts]),
        legacy=_pick_share(n, LEGACY_WORKFLOW_SHARE, top_level, rng),
        error_rate=np.clip(rng.lognormal(np.log(0.02), 0.8, n), 0.002, 0.2),
        error_flow=rng.random(n) < 0.35,
        pace=_paces(drafts, rng),
        **_workflow_lifecycle(drafts, window, rng),
        **_node_definitions(drafts, rng),
        **_run_templates(drafts),
    )


def _paces(drafts: list[_WorkflowDraft], rng: np.random.Generator) -> np.ndarray:
    """Workflows differ in speed; some scheduled batch jobs run for minutes."""
    pace = rng.lognormal(0, 0.5, len(drafts))
    scheduled = np.array([TRIGGER_TYPES[d.trigger] == "schedule" for d in drafts])
    pace[_pick_share(len(drafts), BATCH_WORKFLOW_SHARE, scheduled, rng)] *= BATCH_SLOWDOWN
    return pace


def _pick_share(n: int, share: float, eligible: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A mask of round(share x eligible) eligible items (at least one), chosen at random."""
    candidates = np.flatnonzero(eligible)
    chosen = rng.choice(candidates, max(1, round(share * len(candidates))), replace=False)
    mask = np.zeros(n, dtype=bool)
    mask[chosen] = True
    return mask


def _workflow_lifecycle(
    drafts: list[_WorkflowDraft], window: Window, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Creation, deactivation and soft deletion: when each workflow can have executions."""
    n, span = len(drafts), window.as_of_ms - window.start_ms
    top_level = ~np.array([d.is_sub for d in drafts])
    created = (
        window.start_ms - rng.integers(20, 400, n) * MS_PER_DAY - rng.integers(0, MS_PER_DAY, n)
    )
    updated = created + rng.integers(0, 15, n) * MS_PER_DAY
    deleted = np.full(n, NO_TIME, dtype=np.int64)
    live_from, live_until = created.copy(), np.full(n, window.as_of_ms, dtype=np.int64)

    new = _pick_share(n, 0.04, top_level, rng)  # created during the window
    created[new] = window.start_ms + (rng.uniform(0.1, 0.6, new.sum()) * span).astype(np.int64)
    live_from[new] = updated[new] = created[new]

    gone = _pick_share(n, 0.03, top_level & ~new, rng)  # soft-deleted during the window
    stopped = _pick_share(n, 0.06, top_level & ~new & ~gone, rng)  # deactivated in the window
    dormant = _pick_share(n, 0.04, top_level & ~new & ~gone & ~stopped, rng)  # before it
    ends = window.start_ms + (rng.uniform(0.3, 0.8, n) * span).astype(np.int64)
    deleted[gone] = ends[gone]
    live_until[gone | stopped] = updated[gone | stopped] = ends[gone | stopped]
    live_until[dormant] = live_from[dormant]
    return {
        "created": created,
        "updated": updated,
        "deleted": deleted,
        "is_active": ~(gone | stopped | dormant),
        "live_from": live_from,
        "live_until": live_until,
    }

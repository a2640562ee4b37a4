"""All executions of the window: when they start, upstream outages, and sub-processes.

Start times follow each organization's business hours in its own time zone (schedules run
around the clock), so hourly and daily marts get a realistic shape; sub-process executions
exist only because a parent's subProcess node started them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import polars as pl

from orchestration.demo._catalog import Catalog
from orchestration.demo._columns import (
    MS_PER_HOUR,
    MS_PER_MINUTE,
    NO_TIME,
    Window,
    choose,
    epoch_ms,
    random_salt,
    unique_hex_ids,
)
from orchestration.demo._platform import BUSINESS_HOURS, ORG_SPECS, TRIGGER_TYPES, WEEKEND_FACTOR
from orchestration.demo._simulation import Simulation, simulate, spawn_subprocesses
from orchestration.demo._text import RandomText


def _day_weights(dates: list[date], weekend: float, rng: np.random.Generator) -> np.ndarray:
    weights = np.array([weekend if d.weekday() >= 5 else 1.0 for d in dates])
    return weights * rng.lognormal(0, 0.12, len(dates))  # day-to-day noise


def _local_to_utc_ms(local_ms: np.ndarray, timezone: str) -> np.ndarray:
    """Wall-clock times in `timezone` -> UTC ms; times skipped by DST come back as NO_TIME."""
    utc = (
        pl.from_epoch(pl.Series(local_ms), time_unit="ms")
        .dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
        .dt.epoch("ms")
    )
    return utc.fill_null(NO_TIME).to_numpy()


def _execution_starts(
    catalog: Catalog, window: Window, executions_per_day: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(workflow, start ms) of the top-level executions, sorted by start.

    Interactive triggers follow business hours and weekdays in the organization's own time
    zone; schedules run around the clock on quarter hours.
    """
    days = (window.last_day - window.first_day).days + 1
    local_dates = [window.first_day + timedelta(days=d) for d in range(-1, days + 1)]
    day_ms = np.array([epoch_ms(datetime.combine(d, time(), UTC)) for d in local_dates])
    schedule = TRIGGER_TYPES.index("schedule")
    workflows, starts = [], []
    for org, spec in enumerate(ORG_SPECS):
        members = np.flatnonzero((catalog.org == org) & (catalog.share > 0))
        count = round(executions_per_day * spec.volume_share * len(local_dates))
        if count == 0 or len(members) == 0:
            continue
        wf = members[choose(rng, catalog.share[members], count)]
        scheduled = catalog.trigger[wf] == schedule
        day = np.where(
            scheduled,
            choose(rng, _day_weights(local_dates, 1.0, rng), count),
            choose(rng, _day_weights(local_dates, WEEKEND_FACTOR, rng), count),
        )
        hour = np.where(scheduled, rng.integers(0, 24, count), choose(rng, BUSINESS_HOURS, count))
        within_hour = np.where(
            scheduled,
            rng.integers(0, 4, count) * 15 * MS_PER_MINUTE + rng.integers(0, 3000, count),
            rng.integers(0, MS_PER_HOUR, count),
        )
        start = _local_to_utc_ms(day_ms[day] + hour * MS_PER_HOUR + within_hour, spec.timezone)
        live = (
            (start >= window.start_ms)
            & (start < window.as_of_ms)
            & (start >= catalog.live_from[wf])
            & (start < catalog.live_until[wf])
        )
        workflows.append(wf[live])
        starts.append(start[live])
    wf, start = np.concatenate(workflows).astype(np.int32), np.concatenate(starts)
    order = np.argsort(start, kind="stable")
    return wf[order], start[order]


def _outages(
    catalog: Catalog, window: Window, rng: np.random.Generator
) -> list[tuple[int, int, int]]:
    """(workflow, from ms, until ms): an upstream API is down and its httpRequest fails."""
    has_http = catalog.variant_first_http[catalog.wf_variant_base] >= 0
    eligible = np.flatnonzero(has_http & (catalog.share > 0.05))
    if len(eligible) == 0:
        return []
    chosen = rng.choice(eligible, max(1, len(eligible) // 6), replace=False)
    span = window.as_of_ms - window.start_ms
    begins = window.start_ms + (rng.random(len(chosen)) * span).astype(np.int64)
    lengths = rng.integers(20, 240, len(chosen)) * MS_PER_MINUTE
    return [(int(w), int(b), int(b + d)) for w, b, d in zip(chosen, begins, lengths, strict=True)]


@dataclass
class Executions:
    """All executions (top-level first, then sub-processes) with ids and node-run ids."""

    sim: Simulation
    parent: np.ndarray  # index of the parent execution, -1 for top-level
    ids: pl.Series
    org: np.ndarray
    run_ids: pl.Series


def _merge(
    top: Simulation,
    children: Simulation,
    child_parent: np.ndarray,
    catalog: Catalog,
    text: RandomText,
) -> Executions:
    """One Simulation of top-level then child executions, indexes shifted accordingly."""
    n_top, n_top_runs = len(top.wf), len(top.run_exec)
    shifted = {"run_exec": n_top, "review_run": n_top_runs}
    merged = {}
    for field in Simulation.__dataclass_fields__:
        a, b = getattr(top, field), getattr(children, field)
        merged[field] = np.concatenate([a, b + shifted[field] if field in shifted else b])
    sim = Simulation(**merged)
    n = len(sim.wf)
    parent = np.concatenate([np.full(n_top, -1), child_parent]).astype(np.int64)
    return Executions(
        sim=sim,
        parent=parent,
        ids=text.uuid(n),
        org=catalog.org[sim.wf],
        run_ids=unique_hex_ids(len(sim.run_exec), salt=random_salt(text.rng)),
    )


def simulate_executions(
    catalog: Catalog, window: Window, executions_per_day: int, text: RandomText
) -> Executions:
    """Top-level executions, then the sub-process executions their subProcess nodes start."""
    rng = text.rng
    wf, start = _execution_starts(catalog, window, executions_per_day, rng)
    top = simulate(catalog, wf, start, window, _outages(catalog, window, rng), rng)
    child_wf, child_start, child_parent = spawn_subprocesses(catalog, top, window, rng)
    children = simulate(catalog, child_wf, child_start, window, [], rng)
    return _merge(top, children, child_parent, catalog, text)

"""The tenant tables: plans, organizations, workflows, credentials, API usage, billing, alerts.

They describe the accounts around the executions. The plan limits are sized from the
simulated volume, so the agency ends up over its limit at any requested size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from models import TABLES_BY_NAME
from orchestration.demo._catalog import Catalog
from orchestration.demo._columns import (
    MS_PER_DAY,
    MS_PER_HOUR,
    MS_PER_MINUTE,
    NO_TIME,
    Window,
    choose,
    lookup,
    null_unless,
)
from orchestration.demo._executions import Executions
from orchestration.demo._platform import (
    ACTIVE_WORKFLOW_LIMITS,
    AGENCY,
    AGENCY_OVER_LIMIT,
    CREDENTIAL_LIMITS,
    CREDENTIAL_TYPES,
    EXECUTION_LIMIT_FACTORS,
    ORG_AGE_DAYS,
    ORG_SPECS,
    PLAN_TIERS,
    TRIGGER_TYPES,
    org_ids,
)
from orchestration.demo._text import ACK_NOTES, RandomText, fill_choices


def plans(window: Window, pro_limit: int) -> dict[str, Any]:
    def scaled(factor: float | None) -> int | None:
        return None if factor is None else max(1, _round_down_2_digits(pro_limit * factor))

    tiers = list(PLAN_TIERS)
    return {
        "tier": tiers,
        "monthly_execution_limit": [scaled(EXECUTION_LIMIT_FACTORS[t]) for t in tiers],
        "active_workflow_limit": [ACTIVE_WORKFLOW_LIMITS[t] for t in tiers],
        "credential_limit": [CREDENTIAL_LIMITS[t] for t in tiers],
        "updated_at": np.full(len(tiers), window.start_ms - 30 * MS_PER_DAY),
    }


def _round_down_2_digits(value: float) -> int:
    """12345 -> 12000: plan limits are round numbers."""
    value = int(value)
    if value < 100:
        return value
    unit = 10 ** (len(str(value)) - 2)
    return value // unit * unit


def organizations(window: Window) -> dict[str, Any]:
    created = window.start_ms - np.array(ORG_AGE_DAYS) * MS_PER_DAY
    return {
        "id": [s.id for s in ORG_SPECS],
        "name": [s.name for s in ORG_SPECS],
        "tier": [s.tier for s in ORG_SPECS],
        "billing_owner_id": [s.billing_owner_id for s in ORG_SPECS],
        "agency_id": [s.agency_id for s in ORG_SPECS],
        "timezone": [s.timezone for s in ORG_SPECS],
        "created_at": created,
        "updated_at": created + np.minimum(ORG_AGE_DAYS, 30) * MS_PER_DAY,
    }


def workflow_table(catalog: Catalog) -> dict[str, Any]:
    return {
        "id": catalog.ids,
        "organization_id": [ORG_SPECS[o].id for o in catalog.org],
        "name": catalog.names,
        "trigger_type": [TRIGGER_TYPES[t] for t in catalog.trigger],
        "is_active": catalog.is_active,
        "created_at": catalog.created,
        "updated_at": catalog.updated,
        "deleted_at": catalog.deleted,
    }


def credentials(window: Window, rng: np.random.Generator) -> dict[str, Any]:
    counts = [int(rng.integers(3, 13)) if s.tier != "free" else 4 for s in ORG_SPECS]
    org = np.repeat(np.arange(len(ORG_SPECS)), counts)
    n = len(org)
    created = (
        window.start_ms - rng.integers(1, 300, n) * MS_PER_DAY - rng.integers(0, MS_PER_DAY, n)
    )
    deleted = np.full(n, NO_TIME, dtype=np.int64)
    gone = rng.random(n) < 0.2
    span = window.as_of_ms - window.start_ms
    deleted[gone] = window.start_ms + (rng.uniform(-0.5, 0.9, gone.sum()) * span).astype(np.int64)
    deleted[gone] = np.maximum(deleted[gone], created[gone] + MS_PER_DAY)
    updated = np.where(gone, deleted, created + rng.integers(0, 20, n) * MS_PER_DAY)
    return {
        "id": [f"cred_{rng.bytes(6).hex()}" for _ in range(n)],
        "organization_id": [ORG_SPECS[o].id for o in org],
        "type": [CREDENTIAL_TYPES[i] for i in rng.integers(0, len(CREDENTIAL_TYPES), n)],
        "created_at": created,
        "updated_at": np.minimum(updated, window.as_of_ms - 1),
        "deleted_at": deleted,
    }


@dataclass(frozen=True)
class Endpoint:
    path: str
    method: str
    weight: float
    median_ms: float
    success_code: int = 200


ENDPOINTS = (
    Endpoint("/process/execute", "POST", 0.10, 180, 201),
    Endpoint("/executions/{id}", "GET", 0.35, 45),
    Endpoint("/executions", "GET", 0.14, 120),
    Endpoint("/workflows", "GET", 0.17, 80),
    Endpoint("/workflows/{id}", "GET", 0.09, 40),
    Endpoint("/workflows/{id}", "PATCH", 0.05, 140),
    Endpoint("/workflows/{id}/activate", "POST", 0.04, 160),
    Endpoint("/credentials", "GET", 0.06, 60),
)
API_ERRORS = {  # status -> (probability, message template)
    400: (0.015, "Invalid request body: field 'workflowId' is required (request {uuid})"),
    401: (0.008, "Invalid or revoked API key (request {uuid})"),
    404: (0.015, "Execution {uuid} not found"),
    429: (0.012, "Rate limit exceeded: 120 requests per minute (request {uuid})"),
    500: (0.005, "Internal server error (ref {hex})"),
    502: (0.003, "Bad gateway: upstream worker {ip} did not respond"),
    503: (0.004, "Service temporarily unavailable, retry after {small} s"),
}
API_REQUESTS_PER_EXECUTION = 1.5


def api_usage(
    ex: Executions, catalog: Catalog, window: Window, rng: np.random.Generator, text: RandomText
) -> dict[str, Any]:
    """API requests: every API-triggered execution is a POST /process/execute, the rest is
    polling and management traffic around other executions of the same organization."""
    sim = ex.sim
    top = np.flatnonzero(ex.parent < 0)
    api_started = top[catalog.trigger[sim.wf[top]] == TRIGGER_TYPES.index("api")]
    others = max(0, round(API_REQUESTS_PER_EXECUTION * len(top)) - len(api_started))
    anchor = (
        np.concatenate([api_started, top[rng.integers(0, len(top), others)]]) if len(top) else top
    )
    n = len(anchor)
    is_execute_call = np.arange(n) < len(api_started)
    endpoint = np.where(is_execute_call, 0, choose(rng, [e.weight for e in ENDPOINTS], n))
    at = np.where(
        is_execute_call,
        sim.start[anchor] - rng.integers(5, 120, n),
        sim.start[anchor] + rng.integers(0, 15 * MS_PER_MINUTE, n),
    )
    at = np.clip(at, window.start_ms, window.as_of_ms - 1)

    codes = np.array(list(API_ERRORS))
    error_p = np.array([p for p, _ in API_ERRORS.values()])
    error = np.searchsorted(np.cumsum(error_p), rng.random(n), side="right")
    error[(error == len(codes)) | is_execute_call] = -1  # -1: the request succeeded
    success = np.array([e.success_code for e in ENDPOINTS])[endpoint]
    status = np.where(error >= 0, codes[error], success)
    median = np.array([e.median_ms for e in ENDPOINTS])[endpoint]
    response = median * rng.lognormal(0, 0.7, n) * np.where(status >= 500, 8, 1)
    messages = fill_choices(tuple(m for _, m in API_ERRORS.values()), error, text)

    org = ex.org[anchor]
    key, ip = _api_keys(org, rng, text)
    order = np.argsort(at, kind="stable")
    return {
        "id": np.arange(1, n + 1, dtype=np.int64),
        "api_key_id": key.gather(order),
        "organization_id": org_ids(org[order]),
        "endpoint": lookup([e.path for e in ENDPOINTS], endpoint[order]),
        "method": lookup([e.method for e in ENDPOINTS], endpoint[order]),
        "status_code": status[order],
        "response_time_ms": np.maximum(3, response).astype(np.int64)[order],
        "ip_address": ip.gather(order),
        "error_message": messages.gather(order),
        "created_at": at[order],
    }


def _api_keys(
    org: np.ndarray, rng: np.random.Generator, text: RandomText
) -> tuple[pl.Series, pl.Series]:
    """(api key id, caller ip) per request: 2-4 keys per organization, 1-3 IPs per key."""
    n_orgs = len(ORG_SPECS)
    keys_per_org = rng.integers(2, 5, n_orgs)
    key_ids = [f"ak_live_{rng.bytes(8).hex()}" for _ in range(int(keys_per_org.sum()))]
    first_key = np.cumsum(keys_per_org) - keys_per_org
    key = first_key[org] + (rng.random(len(org)) ** 2 * keys_per_org[org]).astype(np.int64)
    ip_pool = text.ip(3 * len(key_ids))
    ips_per_key = rng.integers(1, 4, len(key_ids))
    ip = 3 * key + (rng.random(len(org)) * ips_per_key[key]).astype(np.int64)
    ip_series = null_unless(rng.random(len(org)) >= 0.04, ip_pool.gather(ip))
    return lookup(key_ids, key), ip_series


BILLING_OWNERS = sorted({s.billing_owner_id for s in ORG_SPECS})


def _executions_per_owner_month(ex: Executions, months: np.ndarray, top_level: bool) -> np.ndarray:
    """[BILLING_OWNERS index, month] -> executions (top-level ones, or sub-processes)."""
    owner_of_org = np.array([BILLING_OWNERS.index(s.billing_owner_id) for s in ORG_SPECS])
    picked = (ex.parent < 0) == top_level
    month = np.searchsorted(months, ex.sim.start[picked], side="right") - 1
    counts = np.zeros((len(BILLING_OWNERS), len(months) - 1), dtype=np.int64)
    np.add.at(counts, (owner_of_org[ex.org[picked]], month), 1)
    return counts


def billing(ex: Executions, window: Window, rng: np.random.Generator) -> tuple[dict[str, Any], int]:
    """usage_record (billing's count, slightly off now and then) and the pro tier's limit.

    Billing's counts are off by 0.1-1 % in about a third of the months, and in the
    agency's busiest month billing also counted its sub-process executions (which do
    not count toward usage), so the agency's reconciliation shows a difference.
    """
    months = window.months()
    counts = _executions_per_owner_month(ex, months, top_level=True)
    agency = BILLING_OWNERS.index(AGENCY)
    agency_peak = int(counts[agency].max())
    pro_limit = max(1, _round_down_2_digits(agency_peak / AGENCY_OVER_LIMIT))

    o, m = np.nonzero(counts)
    actual = counts[o, m]
    off = (rng.random(len(actual)) < 0.35) & (actual >= 100)
    delta = np.maximum(1, np.rint(actual * rng.uniform(0.001, 0.01, len(actual)))).astype(np.int64)
    counted = actual + np.where(off, delta * rng.choice([-1, 1], len(actual)), 0)
    miscounted = (o == agency) & (m == int(counts[agency].argmax()))
    subprocesses = _executions_per_owner_month(ex, months, top_level=False)[o, m]
    counted = np.where(miscounted, actual + subprocesses, counted)
    closed = np.minimum(months[m + 1] + 2 * MS_PER_HOUR, window.as_of_ms - 1)
    record = {
        "billing_owner_id": [BILLING_OWNERS[i] for i in o],
        "period_start": pl.Series(months[m] * 1000).cast(pl.Datetime("us")).cast(pl.Date),
        "executions_counted": counted,
        "updated_at": np.maximum(closed, months[m]),
    }
    return record, pro_limit


ALERT_METRICS = {  # metric -> (operator, threshold low, threshold high)
    "failure_rate": (">", 0.05, 0.2),
    "success_rate": ("<", 0.9, 0.98),
    "runs": ("<", 5, 50),
    "failed_runs": (">=", 5, 50),
    "p95_duration_ms": (">", 30_000, 120_000),
    "avg_duration_ms": (">=", 10_000, 60_000),
    "api_error_rate": (">", 0.02, 0.1),
    "ai_cost_usd": (">", 5, 50),
}
ALERT_WINDOWS = (60, 1440, 10080)


def alert_rules(catalog: Catalog, window: Window, rng: np.random.Generator) -> dict[str, Any]:
    metrics = list(ALERT_METRICS)
    rows: dict[str, list[Any]] = {c: [] for c in TABLES_BY_NAME["alert_rule"].column_names}
    for org, spec in enumerate(ORG_SPECS):
        workflows = np.flatnonzero((catalog.org == org) & (catalog.share > 0))
        for _ in range(int(rng.integers(2, 5))):
            metric = metrics[int(rng.integers(len(metrics)))]
            operator, low, high = ALERT_METRICS[metric]
            threshold = float(rng.uniform(low, high))
            created = window.start_ms - int(rng.integers(5, 90)) * MS_PER_DAY
            rows["id"].append(f"r{len(rows['id']) + 1}")
            rows["organization_id"].append(spec.id)
            rows["workflow_id"].append(
                catalog.ids[int(rng.choice(workflows))] if rng.random() < 0.5 else None
            )
            rows["metric"].append(metric)
            rows["operator"].append(operator)
            rows["threshold"].append(round(threshold, 3) if high <= 1 else float(round(threshold)))
            rows["window_minutes"].append(int(rng.choice(ALERT_WINDOWS)))
            rows["enabled"].append(bool(rng.random() < 0.85))
            rows["created_at"].append(created)
            rows["updated_at"].append(created + int(rng.integers(0, 5)) * MS_PER_DAY)
    return {k: (np.array(v) if k.endswith("_at") else v) for k, v in rows.items()}


def acknowledgements(
    rules: dict[str, Any], window: Window, rng: np.random.Generator
) -> dict[str, Any]:
    """A few acknowledged alerts: '<rule id>:<hourly window end, ISO UTC>'."""
    enabled = [i for i, on in enumerate(rules["enabled"]) if on]
    first_hour = window.start_ms // MS_PER_HOUR + 1
    last_hour = window.as_of_ms // MS_PER_HOUR - 1  # leaves time to acknowledge
    count = min(5, len(enabled)) if last_hour > first_hour else 0
    chosen = rng.choice(enabled, count, replace=False)
    ends = rng.integers(first_hour, last_hour, count) * MS_PER_HOUR
    acked = np.minimum(ends + rng.integers(5, 8 * 60, count) * MS_PER_MINUTE, window.as_of_ms - 1)
    iso = [datetime.fromtimestamp(e / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for e in ends]
    notes = lookup([*ACK_NOTES, None, None], rng.integers(0, len(ACK_NOTES) + 2, count))
    return {
        "alert_id": [f"{rules['id'][int(i)]}:{t}" for i, t in zip(chosen, iso, strict=True)],
        "acknowledged_by": [f"ops{int(i) % 3 + 1}@example.com" for i in chosen],
        "acknowledged_at": acked,
        "note": notes,
    }

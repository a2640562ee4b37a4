"""Deterministic, realistic demo data for every source table of the platform.

The marts are only as convincing as the data they are shown on, and tests and benchmarks
need that same data at any size. This simulates a small multi-tenant platform: an agency
whose client workspaces push it over its plan limit, workflows that retry, time out and
fail (some in bursts), human reviews that take days, AI calls with costs, API traffic,
and the engine's quirks the marts must absorb (missing trigger rows, "completed"
executions with unhandled errors, the legacy engine's "failed" state, billing counts that
differ slightly from the executions). Everything is drawn from one numpy Generator,
column-wise with numpy and polars (Python loops only run over the few organizations and
~100 workflows), so a seed reproduces the same frames and 10 M node runs stay affordable.

Internally timestamps are int64 milliseconds since the epoch (NO_TIME marks NULL); the
frames get the contract's polars types at the very end (`_frame`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from typing import Any

import numpy as np
import polars as pl

from models import TABLES_BY_NAME, LogicalType, SourceTable

MS_PER_MINUTE = 60_000
MS_PER_HOUR = 60 * MS_PER_MINUTE
MS_PER_DAY = 24 * MS_PER_HOUR
NO_TIME = np.iinfo(np.int64).min  # NULL in the int64 millisecond arrays

POLARS_DTYPES: dict[LogicalType, pl.DataType] = {
    LogicalType.TEXT: pl.String(),
    LogicalType.JSON: pl.String(),
    LogicalType.SMALLINT: pl.Int16(),
    LogicalType.INTEGER: pl.Int32(),
    LogicalType.BIGINT: pl.Int64(),
    LogicalType.DOUBLE: pl.Float64(),
    LogicalType.BOOLEAN: pl.Boolean(),
    LogicalType.TIMESTAMP: pl.Datetime("us", "UTC"),
    LogicalType.DATE: pl.Date(),
}


def polars_schema(table: SourceTable) -> pl.Schema:
    """The polars schema a frame of `table` has: contract columns, order and types."""
    return pl.Schema({c.name: POLARS_DTYPES[c.type] for c in table.columns})


class State(IntEnum):
    """process_instance.state_cd."""

    ACTIVE = 1
    WAITING = 2
    ABORTED = 3
    COMPLETED = 4
    FAILED = 7


class NodeStatus(IntEnum):
    """node_instance.status_cd."""

    IN_PROGRESS = 5
    CANCELLED = 6
    ERROR = 7
    COMPLETED = 8


# ---------------------------------------------------------------------------------------
# Catalogs: the fixed shape of the simulated platform
# ---------------------------------------------------------------------------------------

TRIGGER_TYPES = ("webhook", "schedule", "manual", "api", "email")
TRIGGER_WEIGHTS = (0.35, 0.25, 0.08, 0.14, 0.18)
SUBPROCESS_TRIGGER = "api"  # sub-workflows are started by their parent through the API


@dataclass(frozen=True)
class NodeKind:
    """A node type: how long its runs take and how they fail."""

    name: str
    median_ms: float
    sigma: float  # of the log-normal duration
    error_weight: float  # relative chance that an execution's error happens on this node
    abort_weight: float  # relative chance that a user aborts while this node runs
    timeout_ms: int
    timeout_share: float  # share of this kind's errors that are timeouts
    retry_share: float  # healthy runs that needed a second attempt
    second_retry_share: float  # ... and a third
    failing_attempts: int  # tries before a failing run gives up


NODE_KINDS: tuple[NodeKind, ...] = (
    # name, median ms, sigma, error weight, abort weight, timeout ms, timeout share,
    # retry share, second retry share, failing attempts
    *(NodeKind(f"{t}Trigger", 4, 0.6, 0.05, 0.0, 10_000, 0.0, 0.0, 0.0, 1) for t in TRIGGER_TYPES),
    NodeKind("aiTask", 3500, 0.8, 2.0, 1.0, 120_000, 0.3, 0.04, 0.01, 2),
    NodeKind("serviceTask", 120, 1.0, 1.2, 0.3, 60_000, 0.05, 0.01, 0.0, 1),
    NodeKind("httpRequest", 350, 0.9, 5.0, 0.3, 30_000, 0.2, 0.10, 0.04, 3),  # the flaky one
    NodeKind("ifElse", 2, 0.5, 0.3, 0.05, 10_000, 0.0, 0.0, 0.0, 1),
    NodeKind("loop", 3, 0.5, 0.3, 0.1, 10_000, 0.0, 0.0, 0.0, 1),
    NodeKind("humanReview", 0, 0.0, 0.0, 6.0, 0, 0.0, 0.0, 0.0, 1),  # lasts as long as reviews
    NodeKind("email", 450, 0.6, 1.0, 0.2, 30_000, 0.1, 0.02, 0.0, 1),
    NodeKind("subProcess", 2500, 1.0, 1.0, 0.5, 300_000, 0.1, 0.0, 0.0, 1),
)
NODE_LABELS = {  # node names used in workflow definitions
    "webhookTrigger": ("Webhook", "Incoming order webhook", "Form submitted"),
    "scheduleTrigger": ("Every 15 minutes", "Daily at 06:00", "Hourly"),
    "manualTrigger": ("When clicking 'Execute workflow'",),
    "apiTrigger": ("API call", "Called by parent workflow"),
    "emailTrigger": ("New email (IMAP)", "Mail to invoices@"),
    "aiTask": ("Summarize ticket", "Classify intent", "Draft reply", "Extract invoice fields"),
    "serviceTask": ("Upsert customer", "Update order status", "Write to Postgres", "Map fields"),
    "httpRequest": ("Fetch orders", "POST to CRM", "Get exchange rates", "Call Stripe API"),
    "ifElse": ("Is VIP?", "Has attachment?", "Amount > 1000?", "Needs review?"),
    "loop": ("For each item", "Loop over rows", "Split in batches"),
    "humanReview": ("Manager approval", "Review draft", "Approve invoice", "Check translation"),
    "email": ("Send confirmation", "Notify team", "Email customer", "Send digest"),
    "subProcess": ("Run sub-workflow", "Call enrichment flow", "Execute child workflow"),
}
KIND_NAMES = tuple(k.name for k in NODE_KINDS)
KIND = {name: i for i, name in enumerate(KIND_NAMES)}
TRIGGER_KIND = {t: KIND[f"{t}Trigger"] for t in TRIGGER_TYPES}
BODY_KIND_WEIGHTS = {
    "serviceTask": 3.0,
    "httpRequest": 3.0,
    "ifElse": 2.0,
    "aiTask": 1.6,
    "email": 1.0,
}
RETRY_BACKOFF_MS = 1000
MAX_RUNS_PER_EXECUTION = 20

ABORT_RATE = 0.008
MISSING_TRIGGER_RATE = 0.03
OUTAGE_ERROR_RATE = 0.65
SUBPROCESS_START_DELAY_MS = (2, 40)
BATCH_WORKFLOW_SHARE, BATCH_SLOWDOWN = 0.3, 100.0  # of scheduled workflows
LEGACY_WORKFLOW_SHARE = 0.15  # of top-level workflows
DEBUG_LOG_SHARE = 0.08  # of completed node runs


@dataclass(frozen=True)
class AiModel:
    provider: str
    name: str
    cost_per_1k_tokens: int  # cost_cents units (US cents x 100) per 1000 tokens
    weight: float


AI_MODELS = (
    AiModel("OPENAI", "gpt-4o", 50, 3.0),
    AiModel("OPENAI", "gpt-4o-mini", 3, 4.0),
    AiModel("OPENAI", "o3-mini", 25, 1.0),
    AiModel("ANTHROPIC", "claude-sonnet-4", 90, 2.0),
    AiModel("ANTHROPIC", "claude-3-5-haiku", 20, 2.0),
    AiModel("GOOGLE", "gemini-2.5-pro", 60, 1.0),
    AiModel("GOOGLE", "gemini-2.5-flash", 8, 2.0),
)
AI_TOOLS = {  # tools_used JSON -> share of AI calls
    "[]": 0.36,
    '["web_search"]': 0.14,
    '["calculator"]': 0.07,
    '["web_search","calculator"]': 0.06,
    '["crm_lookup"]': 0.09,
    '["crm_lookup","send_email"]': 0.04,
    '["code_interpreter"]': 0.04,
    None: 0.2,
}

PLAN_TIERS = ("free", "starter", "pro", "enterprise")
# Execution limits relative to the pro limit, which is sized from the data (see _plans).
EXECUTION_LIMIT_FACTORS = {"free": 1 / 6, "starter": 0.5, "pro": 1.0, "enterprise": None}
ACTIVE_WORKFLOW_LIMITS = {"free": 5, "starter": 20, "pro": 50, "enterprise": None}
CREDENTIAL_LIMITS = {"free": 5, "starter": 25, "pro": 100, "enterprise": None}
AGENCY_OVER_LIMIT = 1.25  # the agency's busiest month is this many times its limit


@dataclass(frozen=True)
class OrgSpec:
    id: str
    name: str
    tier: str
    timezone: str
    volume_share: float  # of all top-level executions
    workflows: int  # top-level workflows
    subprocess_workflows: int
    agency_id: str | None = None
    billed_by: str | None = None  # None: bills itself

    @property
    def billing_owner_id(self) -> str:
        return self.billed_by or self.id


AGENCY = "org_brightwave"
ORG_SPECS = (  # oldest customer first
    OrgSpec("org_acme", "Acme Logistics", "enterprise", "America/New_York", 0.345, 24, 2),
    OrgSpec(AGENCY, "Brightwave Automation Agency", "pro", "Europe/Berlin", 0.12, 11, 1),
    OrgSpec("org_sakura", "Sakura Fintech K.K.", "pro", "Asia/Tokyo", 0.16, 17, 2),
    OrgSpec("org_nordlicht", "Nordlicht Energie GmbH", "starter", "Europe/Berlin", 0.08, 8, 1),
    # the agency's client workspaces: two billed to the agency, one paying its own plan
    OrgSpec("org_kobe", "Kobe Ramen Co.", "pro", "Asia/Tokyo", 0.11, 8, 0, AGENCY, AGENCY),
    OrgSpec("org_harbour", "Harbour Dental", "pro", "Australia/Sydney", 0.1, 8, 1, AGENCY, AGENCY),
    OrgSpec(
        "org_lumen", "Lumen Photo Studio", "starter", "America/Los_Angeles", 0.06, 7, 0, AGENCY
    ),
    OrgSpec("org_pixelpine", "Pixel & Pine", "free", "UTC", 0.025, 6, 0),
)
ORG_AGE_DAYS = (900, 700, 500, 400, 300, 200, 150, 60)  # at the start of the window


WORKFLOW_NAMES = (
    "Sync Shopify orders to NetSuite",
    "Daily KPI digest",
    "Lead enrichment",
    "Invoice approval",
    "Support ticket triage",
    "Abandoned cart follow-up",
    "New hire onboarding",
    "Stripe payout reconciliation",
    "Weekly churn report",
    "Translate product descriptions",
    "Contract review",
    "Social media scheduler",
    "Inventory low-stock alert",
    "CRM deduplication",
    "Meeting notes to Notion",
    "Expense report check",
    "Refund handling",
    "Newsletter signup",
    "Webinar registration",
    "Customer feedback analysis",
    "Backup CRM to S3",
    "Quote generation",
    "Appointment reminders",
    "Review request emails",
    "Candidate screening",
    "Price monitoring",
    "Order status updates",
    "Slack standup bot",
    "Timesheet reminder",
    "Data warehouse export",
    "Invoice OCR",
    "Lead scoring",
    "Blog post drafting",
    "Tax document collection",
    "Partner payout report",
)
SUBPROCESS_NAMES = (
    "Sub: enrich contact",
    "Sub: generate PDF invoice",
    "Sub: notify Slack",
    "Sub: geocode address",
)
CREDENTIAL_TYPES = ("oauth2", "api_key", "basic", "bearer_token", "smtp", "postgres", "aws_iam")

# Local-time hour shape of interactive traffic (business hours); schedules run around the clock.
BUSINESS_HOURS = np.array(  # relative weights of the local hours 0..23
    [3, 2, 2, 2, 2, 4, 9, 16, 24, 30, 32, 31, 26, 29, 31, 30, 27, 22, 16, 12, 10, 8, 6, 4]
)
WEEKEND_FACTOR = 0.35


# ---------------------------------------------------------------------------------------
# Time window and vectorized random text
# ---------------------------------------------------------------------------------------


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class Window:
    """The generated period: whole UTC days, cut at `as_of` (an event exists iff < as_of)."""

    first_day: date
    last_day: date
    start_ms: int
    as_of_ms: int

    @classmethod
    def ending(cls, end_date: date | None, days: int) -> Window:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        last_day = end_date or now.date()
        first_day = last_day - timedelta(days=days - 1)
        start_ms = _ms(datetime.combine(first_day, time(), UTC))
        as_of_ms = min(_ms(datetime.combine(last_day + timedelta(days=1), time(), UTC)), _ms(now))
        if as_of_ms <= start_ms:
            raise ValueError(f"the window {first_day}..{last_day} has not started yet")
        return cls(first_day, last_day, start_ms, as_of_ms)

    def months(self) -> np.ndarray:
        """UTC month starts (ms) from the first covered month to the one after the last."""
        starts, month = [], self.first_day.replace(day=1)
        while month <= self.last_day:
            starts.append(_ms(datetime.combine(month, time(), UTC)))
            month = (month + timedelta(days=32)).replace(day=1)
        starts.append(_ms(datetime.combine(month, time(), UTC)))
        return np.array(starts, dtype=np.int64)


HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _ascii_series(chars: np.ndarray) -> pl.Series:
    """(n, width) uint8 ASCII codes -> a polars String series of n values."""
    chars = np.ascontiguousarray(chars)
    return pl.Series(chars.view(f"S{chars.shape[1]}").ravel()).cast(pl.String)


def _salt(rng: np.random.Generator) -> int:
    return int(rng.integers(2**48))


def _unique_hex_ids(count: int, salt: int) -> pl.Series:
    """12 hex digits per row, unique for distinct sequence numbers, random-looking.

    Multiplying by an odd constant and XOR-ing a salt are bijections modulo 2**48, so
    sequence numbers map to distinct ids without collision checks; 12 characters stay
    inline in polars' string views (no heap bytes for millions of node run ids).
    """
    mask = np.uint64(2**48 - 1)
    seq = np.arange(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        mixed = ((seq * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(salt)) & mask
    chars = np.empty((count, 12), dtype=np.uint8)
    for i in range(12):  # column by column: no (count x 12) uint64 temporary
        chars[:, i] = HEX_DIGITS[(mixed >> np.uint64(44 - 4 * i)) & np.uint64(15)]
    return _ascii_series(chars)


class RandomText:
    """Vectorized random identifiers and message fragments, `n` values per call."""

    FIRST_NAMES = ("anna", "ben", "chloe", "daniel", "emma", "felix", "hana", "kenji", "yuki")
    LAST_NAMES = ("schmidt", "tanaka", "smith", "garcia", "nguyen", "mueller", "rossi", "kim")
    DOMAINS = ("example.com", "kobe-ramen.jp", "harbourdental.com.au", "nordlicht.de", "gmail.com")
    API_HOSTS = ("api.shopify.com", "api.hubapi.com", "api.stripe.com", "api.example.com")
    RESOURCES = ("items", "orders", "contacts", "invoices", "customers", "deals", "payouts")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def hex(self, n: int, width: int) -> pl.Series:
        return _ascii_series(HEX_DIGITS[self.rng.integers(0, 16, (n, width), dtype=np.uint8)])

    def uuid(self, n: int) -> pl.Series:
        nibbles = self.rng.integers(0, 16, (n, 32), dtype=np.uint8)
        nibbles[:, 12] = 4  # version 4
        nibbles[:, 16] = 8 + (nibbles[:, 16] & 3)  # RFC 4122 variant
        chars = np.full((n, 36), ord("-"), dtype=np.uint8)
        for start, stop, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
            chars[:, at : at + stop - start] = HEX_DIGITS[nibbles[:, start:stop]]
        return _ascii_series(chars)

    def pick(self, n: int, options: tuple[str, ...] | list[str]) -> pl.Series:
        return _lookup(options, self.rng.integers(0, len(options), n))

    def number(self, n: int, low: int, high: int) -> pl.Series:
        return pl.Series(self.rng.integers(low, high, n)).cast(pl.String)

    def ip(self, n: int) -> pl.Series:
        octets = [self.number(n, 1, 255) for _ in range(4)]
        octets[0] = self.pick(n, ("10", "172", "192", "34", "52", "85"))
        return _fmt("{}.{}.{}.{}", *octets)

    def email(self, n: int) -> pl.Series:
        return _fmt(
            "{}.{}@{}",
            self.pick(n, self.FIRST_NAMES),
            self.pick(n, self.LAST_NAMES),
            self.pick(n, self.DOMAINS),
        )

    def url(self, n: int) -> pl.Series:
        return _fmt(
            "https://{}/v1/{}/{}",
            self.pick(n, self.API_HOSTS),
            self.pick(n, self.RESOURCES),
            self.number(n, 1, 99_999),
        )


def _fmt(template: str, *parts: pl.Series) -> pl.Series:
    """polars `format` over equally long series: '{}' placeholders filled row-wise."""
    return pl.select(pl.format(template, *(pl.lit(p) for p in parts))).to_series()


def _choose(rng: np.random.Generator, weights: Iterable[float], size: int | None = None) -> Any:
    """Index(es) drawn with probabilities proportional to `weights`."""
    p = np.fromiter(weights, dtype=float)
    return rng.choice(len(p), size, p=p / p.sum())


def _lookup(values: Sequence[str | None], index: np.ndarray) -> pl.Series:
    """values[index] as strings; the result shares the values' bytes instead of copying."""
    return pl.Series(list(values), dtype=pl.String).gather(index)


def _nulls(n: int) -> pl.Series:
    return pl.repeat(None, n, dtype=pl.String, eager=True)


def _null_unless(keep: np.ndarray, values: pl.Series) -> pl.Series:
    return pl.select(pl.when(pl.lit(pl.Series(keep))).then(pl.lit(values))).to_series()


# Message templates: {name} placeholders get fresh random values from FIELDS per row, so
# messages vary while normalizing (METRICS.md's error signatures) to a few shapes each.
FIELDS: dict[str, Callable[[RandomText, int], pl.Series]] = {
    "url": RandomText.url,
    "ip": RandomText.ip,
    "uuid": RandomText.uuid,
    "email": RandomText.email,
    "hex": lambda t, n: t.hex(n, 24),
    "int": lambda t, n: t.number(n, 1, 100_000),
    "small": lambda t, n: t.number(n, 1, 40),
    "status": lambda t, n: t.pick(n, ("503", "502", "500", "504")),
    "port": lambda t, n: t.pick(n, ("443", "5432", "8080")),
    "word": lambda t, n: t.pick(n, ("n/a", "tbd", "twelve", "EUR 12,50", "none", "pending")),
    "domain": lambda t, n: t.pick(n, RandomText.DOMAINS),
}
ERROR_MESSAGES = {  # per node kind; outages produce the first httpRequest message
    "httpRequest": (
        "Request to {url} failed with status {status}",
        "connect ECONNREFUSED {ip}:{port}",
        "Request to {url} failed with status 429: rate limit exceeded, retry after {small} s",
        "Response from {url} is not valid JSON: Unexpected token '<' at position {int}",
        "Unauthorized (401) calling {url}: token of {email} expired",
    ),
    "serviceTask": (
        "Record 'inv-{int}' not found for customer {uuid}",
        'duplicate key value violates unique constraint "orders_pkey": '
        "Key (order_id)=({int}) already exists",
        "Field 'amount' expected a number but got \"{word}\" in item {int}",
        "connect ECONNREFUSED {ip}:5432",
    ),
    "aiTask": (
        "Rate limit reached for gpt-4o in organization org-{hex} on tokens per min: "
        "Limit 30000, Used {int}, Requested {int}",
        "This model's maximum context length is 128000 tokens; your messages resulted in "
        "{int} tokens",
        "Model output is not valid JSON: expected ',' or '}' at position {int}",
        "Anthropic API error 529: Overloaded (request id req_{hex})",
    ),
    "email": (
        "SMTP 550 5.1.1 <{email}>: Recipient address rejected: User unknown",
        "Connection to smtp.{domain}:587 timed out after {int} ms",
    ),
    "subProcess": (
        "Sub-workflow execution {uuid} failed at node 'n{small}'",
        "Sub-workflow {hex} not found or inactive",
    ),
    "ifElse": ('Condition could not be evaluated: "{word}" is not a number',),
    "loop": ("Cannot read properties of undefined (reading 'items') at item {int}",),
    "trigger": ("Payload rejected: signature mismatch for request {uuid}",),
}
FEEDBACK_SENTENCES = (
    "The tone is too formal for this customer.",
    "Tone feels off; please make it friendlier.",
    "Missing invoice number on page {small}.",
    "Invoice total doesn't match the PO ({int} vs {int}).",
    "Pricing for item {small} is wrong!",
    "Please fix the formatting of the table.",
    "Formatting is broken in section {small}; bullets are missing.",
    "Missing the customer's VAT ID.",
    "Wrong currency: pricing should be in EUR, not USD.",
    "Too long - cut it to {small} words, please.",
    "The summary misses the key point about delivery dates.",
    "Attachment missing: resend with the signed contract.",
    "Duplicate of ticket #{int}.",
    "Good draft, but the tone in paragraph {small} is too pushy.",
    "Numbers in the pricing table are rounded incorrectly.",
    "Greeting uses the wrong name.",
    "Missing pricing details for the enterprise tier?",
    "Invoice date is in the wrong format.",
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _fill(template: str, text: RandomText, n: int) -> pl.Series:
    """`n` messages from one template, each with its own random field values."""
    literals = [
        part.replace("{", "{{").replace("}", "}}") for part in _PLACEHOLDER.split(template)[::2]
    ]
    fields = [FIELDS[name](text, n) for name in _PLACEHOLDER.findall(template)]
    return _fmt("{}".join(literals), *fields) if fields else pl.repeat(template, n, eager=True)


def _fill_choices(templates: tuple[str, ...], choice: np.ndarray, text: RandomText) -> pl.Series:
    """Row i: templates[choice[i]] filled; NULL where choice is out of range (e.g. -1)."""
    messages = _nulls(len(choice))
    for i, template in enumerate(templates):
        rows = np.flatnonzero(choice == i)
        if len(rows):
            messages = messages.scatter(rows, _fill(template, text, len(rows)))
    return messages


ACK_NOTES = (
    "Known upstream outage, vendor notified.",
    "Looking into it.",
    "False alarm: deploy window.",
    "Fixed credentials, re-running failed executions.",
)


# ---------------------------------------------------------------------------------------
# Organizations, plans, workflows and their node definitions
# ---------------------------------------------------------------------------------------


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
            trigger = int(_choose(rng, TRIGGER_WEIGHTS))
            name = WORKFLOW_NAMES[names[i]]
            size = int(rng.integers(4, 16))
        share = 0.0 if is_sub else float(rng.lognormal(0, 0.9))
        if TRIGGER_TYPES[trigger] == "manual":
            share *= 0.2
        body = [int(k) for k in body_kinds[_choose(rng, BODY_KIND_WEIGHTS.values(), size)]]
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
            columns["node_model"].append(int(_choose(rng, model_weights)) if is_ai else -1)
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


def _catalog(window: Window, rng: np.random.Generator) -> Catalog:
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


def _plans(window: Window, pro_limit: int) -> dict[str, Any]:
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


def _organizations(window: Window) -> dict[str, Any]:
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


# ---------------------------------------------------------------------------------------
# When executions start
# ---------------------------------------------------------------------------------------


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
    day_ms = np.array([_ms(datetime.combine(d, time(), UTC)) for d in local_dates])
    schedule = TRIGGER_TYPES.index("schedule")
    workflows, starts = [], []
    for org, spec in enumerate(ORG_SPECS):
        members = np.flatnonzero((catalog.org == org) & (catalog.share > 0))
        count = round(executions_per_day * spec.volume_share * len(local_dates))
        if count == 0 or len(members) == 0:
            continue
        wf = members[_choose(rng, catalog.share[members], count)]
        scheduled = catalog.trigger[wf] == schedule
        day = np.where(
            scheduled,
            _choose(rng, _day_weights(local_dates, 1.0, rng), count),
            _choose(rng, _day_weights(local_dates, WEEKEND_FACTOR, rng), count),
        )
        hour = np.where(scheduled, rng.integers(0, 24, count), _choose(rng, BUSINESS_HOURS, count))
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


# ---------------------------------------------------------------------------------------
# Simulating executions: node runs, timing, failures, the cut at as_of
# ---------------------------------------------------------------------------------------


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


REVIEW_STATUSES = ("pending", "approved", "revision_requested", "rejected", "cancelled")
_PENDING, _APPROVED, _REVISION, _REJECTED, _CANCELLED = range(5)


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
    final = np.where(rng.random(total) < 0.85, _APPROVED, _REJECTED)
    duration = np.zeros(n, dtype=np.int64)
    duration[owner[last]] = decided[last] + rng.integers(200, 2000, n)
    return {
        "run": run_rows[owner],
        "round": round_no,
        "status": np.where(last, final, _REVISION).astype(np.int8),
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


def _simulate(
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
    review_status = np.where(cancelled, _CANCELLED, reviews["status"])
    review_status = np.where(open_at_cut & ~cancelled, _PENDING, review_status)
    decided = np.where(cancelled, cut_at, np.where(open_at_cut, NO_TIME, decided))
    return {
        "run": run[alive],
        "round": reviews["round"][alive],
        "status": review_status[alive].astype(np.int8),
        "created": created[alive],
        "decided": decided[alive],
    }


def _spawn_subprocesses(
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


# ---------------------------------------------------------------------------------------
# The tables
# ---------------------------------------------------------------------------------------


def _timestamps(ms: np.ndarray) -> pl.Series:
    values = pl.Series(np.asarray(ms, dtype=np.int64))
    return pl.select(
        pl.when(values != NO_TIME)
        .then(values * 1000)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
    ).to_series()


def _frame(name: str, data: dict[str, Any]) -> pl.DataFrame:
    """A frame with exactly the contract's columns, order and polars types."""
    table = TABLES_BY_NAME[name]
    if set(data) != set(table.column_names):
        raise ValueError(f"{name}: generated {sorted(data)}, contract has {table.column_names}")
    columns = []
    for column in table.columns:
        values = data[column.name]
        if column.type is LogicalType.TIMESTAMP:
            series = _timestamps(values)
        elif isinstance(values, pl.Series):
            series = values
        else:
            series = pl.Series(values, dtype=POLARS_DTYPES[column.type], strict=False)
        columns.append(series.cast(POLARS_DTYPES[column.type]).alias(column.name))
    return pl.DataFrame(columns)


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
        run_ids=_unique_hex_ids(len(sim.run_exec), salt=_salt(text.rng)),
    )


def _executions(
    catalog: Catalog, window: Window, executions_per_day: int, text: RandomText
) -> Executions:
    """Top-level executions, then the sub-process executions their subProcess nodes start."""
    rng = text.rng
    wf, start = _execution_starts(catalog, window, executions_per_day, rng)
    top = _simulate(catalog, wf, start, window, _outages(catalog, window, rng), rng)
    child_wf, child_start, child_parent = _spawn_subprocesses(catalog, top, window, rng)
    children = _simulate(catalog, child_wf, child_start, window, [], rng)
    return _merge(top, children, child_parent, catalog, text)


def _workflow_table(catalog: Catalog) -> dict[str, Any]:
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


def _credentials(window: Window, rng: np.random.Generator) -> dict[str, Any]:
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


def _org_ids(org: np.ndarray) -> pl.Series:
    return _lookup([s.id for s in ORG_SPECS], org)


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
    values = _lookup(pool, rng.integers(0, len(pool), n))
    return _null_unless(rng.random(n) >= 0.2, values)


def _process_instances(
    ex: Executions, catalog: Catalog, rng: np.random.Generator
) -> dict[str, Any]:
    sim = ex.sim
    parent_ids = _null_unless(ex.parent >= 0, ex.ids.gather(np.maximum(ex.parent, 0)))
    return {
        "id": ex.ids,
        "process_meta_id": _lookup(catalog.ids, sim.wf),
        "process_name": _lookup(catalog.names, sim.wf),
        "organization_id": _org_ids(ex.org),
        "parent_instance_id": parent_ids,
        "trigger_type": _lookup(TRIGGER_TYPES, catalog.trigger[sim.wf]),
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
    return _null_unless(present, _lookup(pool, index))


def _error_details(
    kind: np.ndarray, timeout: np.ndarray, outage: np.ndarray, text: RandomText
) -> pl.Series:
    """'TIMEOUT' or a realistic message per failing node kind; outages: HTTP status errors."""
    messages = pl.repeat("TIMEOUT", len(kind), dtype=pl.String, eager=True)
    is_trigger = kind < len(TRIGGER_TYPES)
    for kind_name, templates in ERROR_MESSAGES.items():
        of_kind = is_trigger if kind_name == "trigger" else kind == KIND[kind_name]
        rows = np.flatnonzero(of_kind & ~timeout)
        choice = np.where(outage[rows], 0, text.rng.integers(0, len(templates), len(rows)))
        if len(rows):
            messages = messages.scatter(rows, _fill_choices(templates, choice, text))
    return messages


def _node_instances(ex: Executions, catalog: Catalog, text: RandomText) -> dict[str, Any]:
    sim = ex.sim
    kind = catalog.node_kind[sim.run_node]
    errors = np.flatnonzero(sim.run_status == NodeStatus.ERROR)
    details = _nulls(len(kind)).scatter(
        errors, _error_details(kind[errors], sim.run_timeout[errors], sim.run_outage[errors], text)
    )
    return {
        "id": ex.run_ids,
        "process_instance_id": ex.ids.gather(sim.run_exec),
        "organization_id": _org_ids(ex.org[sim.run_exec]),
        "node_id": catalog.node_ids.gather(sim.run_node),
        "node_name": catalog.node_names.gather(sim.run_node),
        "node_type": _lookup(KIND_NAMES, kind),
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


def _feedback(n: int, text: RandomText) -> pl.Series:
    """One or two reviewer sentences."""
    sentences = len(FEEDBACK_SENTENCES)
    first_choice = text.rng.integers(0, sentences, n)
    second_choice = (first_choice + text.rng.integers(1, sentences, n)) % sentences  # another
    second_choice[text.rng.random(n) >= 0.4] = -1
    first = _fill_choices(FEEDBACK_SENTENCES, first_choice, text)
    second = _fill_choices(FEEDBACK_SENTENCES, second_choice, text)
    both = [pl.lit(first), pl.lit(second)]
    return pl.select(pl.concat_str(both, separator=" ", ignore_nulls=True)).to_series()


def _review_tasks(ex: Executions, rng: np.random.Generator, text: RandomText) -> dict[str, Any]:
    sim = ex.sim
    n = len(sim.review_run)
    exec_of = sim.run_exec[sim.review_run]
    reviewed_runs, subject_index = np.unique(sim.review_run, return_inverse=True)
    subjects = _unique_hex_ids(len(reviewed_runs), salt=_salt(rng))
    reviewers = text.pick(n, tuple(f"usr_{rng.bytes(4).hex()}" for _ in range(12)))
    status = sim.review_status
    has_feedback = (status == _REVISION) | (status == _REJECTED)
    return {
        "id": _fmt("rt_{}", _unique_hex_ids(n, salt=_salt(rng))),
        "organization_id": _org_ids(ex.org[exec_of]),
        "process_instance_id": ex.ids.gather(exec_of),
        "node_instance_id": ex.run_ids.gather(sim.review_run),
        "subject_id": _fmt("subj_{}", subjects.gather(subject_index)),
        "round": sim.review_round,
        "reviewer_id": _null_unless((status != _PENDING) | (rng.random(n) < 0.6), reviewers),
        "status": _lookup(REVIEW_STATUSES, status),
        "feedback": _null_unless(has_feedback, _feedback(n, text)),
        "created_at": sim.review_created,
        "decided_at": sim.review_decided,
        "updated_at": np.where(
            sim.review_decided == NO_TIME, sim.review_created, sim.review_decided
        ),
    }


def _ai_calls(ex: Executions, catalog: Catalog, rng: np.random.Generator) -> dict[str, Any]:
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
        "id": _fmt("ai_{}", _unique_hex_ids(n, salt=_salt(rng))),
        "process_instance_id": ex.ids.gather(sim.run_exec[run]),
        "node_instance_id": ex.run_ids.gather(run),
        "organization_id": _org_ids(ex.org[sim.run_exec[run]]),
        "model_provider": _lookup([m.provider for m in AI_MODELS], model),
        "model_name": _lookup([m.name for m in AI_MODELS], model),
        "tokens_used": tokens,
        "cost_cents": np.rint(tokens * price / 1000).astype(np.int64),
        "execution_time_ms": np.maximum(1, (slot * rng.uniform(0.8, 0.98, n)).astype(np.int64)),
        "success": success,
        "tools_used": _lookup(list(AI_TOOLS), _choose(rng, AI_TOOLS.values(), n)),
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
            "node_id": _nulls(n) if node_id is None else node_id,
            "level": pl.repeat(level, n, dtype=pl.String, eager=True),
            "message": message,
            "at": pl.Series(at, dtype=pl.Int64),
        }
        self.groups.append(pl.DataFrame(group))

    def ordered(self) -> pl.DataFrame:
        return pl.concat(self.groups).sort("at", "execution", maintain_order=True)


def _execution_log(ex: Executions, catalog: Catalog, rng: np.random.Generator) -> dict[str, Any]:
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
        log.add(rows, level, _fmt(f"Execution {outcome}", took.gather(rows)), sim.end[rows])

    node_ids = catalog.node_ids.gather(sim.run_node)
    kinds = _lookup(KIND_NAMES, catalog.node_kind[sim.run_node])

    def node_lines(rows: np.ndarray, level: str, event: str, detail: pl.Series, at: np.ndarray):
        ids = node_ids.gather(rows)
        message = _fmt(f"Node {{}} ({{}}) {event}", ids, kinds.gather(rows), detail)
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
        "organization_id": _org_ids(ex.org[execution]),
        "node_id": lines["node_id"],
        "level": lines["level"],
        "message": lines["message"],
        "created_at": lines["at"].to_numpy(),
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


def _api_usage(
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
    endpoint = np.where(is_execute_call, 0, _choose(rng, [e.weight for e in ENDPOINTS], n))
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
    messages = _fill_choices(tuple(m for _, m in API_ERRORS.values()), error, text)

    org = ex.org[anchor]
    key, ip = _api_keys(org, rng, text)
    order = np.argsort(at, kind="stable")
    return {
        "id": np.arange(1, n + 1, dtype=np.int64),
        "api_key_id": key.gather(order),
        "organization_id": _org_ids(org[order]),
        "endpoint": _lookup([e.path for e in ENDPOINTS], endpoint[order]),
        "method": _lookup([e.method for e in ENDPOINTS], endpoint[order]),
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
    ip_series = _null_unless(rng.random(len(org)) >= 0.04, ip_pool.gather(ip))
    return _lookup(key_ids, key), ip_series


def _billing(
    ex: Executions, window: Window, rng: np.random.Generator
) -> tuple[dict[str, Any], int]:
    """usage_record (billing's count, slightly off now and then) and the pro tier's limit."""
    owners = sorted({s.billing_owner_id for s in ORG_SPECS})
    owner_of_org = np.array([owners.index(s.billing_owner_id) for s in ORG_SPECS])
    months = window.months()
    top = ex.parent < 0
    owner = owner_of_org[ex.org[top]]
    month = np.searchsorted(months, ex.sim.start[top], side="right") - 1
    counts = np.zeros((len(owners), len(months) - 1), dtype=np.int64)
    np.add.at(counts, (owner, month), 1)
    agency_peak = int(counts[owners.index(AGENCY)].max())
    pro_limit = max(1, _round_down_2_digits(agency_peak / AGENCY_OVER_LIMIT))

    o, m = np.nonzero(counts)
    actual = counts[o, m]
    off = (rng.random(len(actual)) < 0.35) & (actual >= 100)
    delta = np.maximum(1, np.rint(actual * rng.uniform(0.001, 0.01, len(actual)))).astype(np.int64)
    counted = actual + np.where(off, delta * rng.choice([-1, 1], len(actual)), 0)
    closed = np.minimum(months[m + 1] + 2 * MS_PER_HOUR, window.as_of_ms - 1)
    record = {
        "billing_owner_id": [owners[i] for i in o],
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


def _alert_rules(catalog: Catalog, window: Window, rng: np.random.Generator) -> dict[str, Any]:
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


def _acknowledgements(
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
    notes = _lookup([*ACK_NOTES, None, None], rng.integers(0, len(ACK_NOTES) + 2, count))
    return {
        "alert_id": [f"{rules['id'][int(i)]}:{t}" for i, t in zip(chosen, iso, strict=True)],
        "acknowledged_by": [f"ops{int(i) % 3 + 1}@example.com" for i in chosen],
        "acknowledged_at": acked,
        "note": notes,
    }


# ---------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------


def generate_demo_source(
    days: int = 30,
    executions_per_day: int = 10_000,
    seed: int = 42,
    end_date: date | None = None,
) -> dict[str, pl.DataFrame]:
    """Every source table as a polars frame (contract columns and types), keyed by name.

    Covers the UTC days end_date - days + 1 .. end_date (default: today, cut at the current
    minute). `executions_per_day` counts top-level executions on average; sub-process
    executions come on top. The same arguments give identical frames, except that a
    window ending today moves with the clock.
    """
    if days < 1 or executions_per_day < 1:
        raise ValueError("days and executions_per_day must be at least 1")
    window = Window.ending(end_date, days)
    rng = np.random.default_rng(seed)
    text = RandomText(rng)
    catalog = _catalog(window, rng)
    executions = _executions(catalog, window, executions_per_day, text)
    usage, pro_limit = _billing(executions, window, rng)
    rules = _alert_rules(catalog, window, rng)
    tables = {
        "plan": _plans(window, pro_limit),
        "organization": _organizations(window),
        "workflow": _workflow_table(catalog),
        "credential": _credentials(window, rng),
        "process_instance": _process_instances(executions, catalog, rng),
        "node_instance": _node_instances(executions, catalog, text),
        "review_task": _review_tasks(executions, rng, text),
        "api_key_usage": _api_usage(executions, catalog, window, rng, text),
        "ai_execution_history": _ai_calls(executions, catalog, rng),
        "execution_log": _execution_log(executions, catalog, rng),
        "usage_record": usage,
        "alert_rule": rules,
        "alert_acknowledgement": _acknowledgements(rules, window, rng),
    }
    return {name: _frame(name, tables[name]) for name in TABLES_BY_NAME}

"""The fixed shape of the simulated platform: codes, node kinds, AI models, plans, tenants.

Every constant the simulation draws from lives here, so the demo's character (who the
tenants are, how busy they are, how and how often things fail) can be read and tuned in one
place without reading the simulation itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import polars as pl

from orchestration.demo._columns import lookup


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


REVIEW_STATUSES = ("pending", "approved", "revision_requested", "rejected", "cancelled")
(  # review_task.status, stored as indexes into REVIEW_STATUSES while simulating
    REVIEW_PENDING,
    REVIEW_APPROVED,
    REVIEW_REVISION_REQUESTED,
    REVIEW_REJECTED,
    REVIEW_CANCELLED,
) = range(5)


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
# Execution limits relative to the pro limit, sized from the data (_account_tables.billing).
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


def org_ids(org: np.ndarray) -> pl.Series:
    """organization_id values for the organization indexes the arrays carry."""
    return lookup([s.id for s in ORG_SPECS], org)


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

"""The platform's source tables, exactly as `shared/source_schema.sql` defines them."""

from __future__ import annotations

from models.contract import Column, SourceTable
from models.contract import LogicalType as T

C = Column

ALERT_METRICS = (
    "failure_rate",
    "success_rate",
    "runs",
    "failed_runs",
    "p95_duration_ms",
    "avg_duration_ms",
    "api_error_rate",
    "ai_cost_usd",
)

PLAN = SourceTable(
    name="plan",
    description="Plan tiers and their limits (NULL limit = unlimited).",
    columns=(
        C("tier", T.TEXT, description="free | starter | pro | enterprise"),
        C("monthly_execution_limit", T.INTEGER, nullable=True, min_value=0),
        C("active_workflow_limit", T.INTEGER, nullable=True, min_value=0),
        C("credential_limit", T.INTEGER, nullable=True, min_value=0),
        C("updated_at", T.TIMESTAMP),
    ),
    primary_key=("tier",),
    change_column="updated_at",
)

ORGANIZATION = SourceTable(
    name="organization",
    description="A tenant, also called a workspace.",
    columns=(
        C("id", T.TEXT),
        C("name", T.TEXT),
        C("tier", T.TEXT, description="plan.tier"),
        C("billing_owner_id", T.TEXT, description="organization whose plan and limits apply"),
        C(
            "agency_id",
            T.TEXT,
            nullable=True,
            description="agency this client workspace is linked to",
        ),
        C("timezone", T.TEXT, description="IANA time zone name", iana_timezone=True),
        C("created_at", T.TIMESTAMP),
        C("updated_at", T.TIMESTAMP),
    ),
    primary_key=("id",),
    change_column="updated_at",
)

WORKFLOW = SourceTable(
    name="workflow",
    description="A workflow definition.",
    columns=(
        C("id", T.TEXT),
        C("organization_id", T.TEXT),
        C("name", T.TEXT),
        C("trigger_type", T.TEXT, description="webhook | schedule | manual | api | email"),
        C("is_active", T.BOOLEAN, description="enabled: counts toward the active-workflow limit"),
        C("created_at", T.TIMESTAMP),
        C("updated_at", T.TIMESTAMP),
        C("deleted_at", T.TIMESTAMP, nullable=True, description="soft delete"),
    ),
    primary_key=("id",),
    change_column="updated_at",
)

CREDENTIAL = SourceTable(
    name="credential",
    description="A stored credential of an organization.",
    columns=(
        C("id", T.TEXT),
        C("organization_id", T.TEXT),
        C("type", T.TEXT, description="e.g. oauth2, api_key, basic"),
        C("created_at", T.TIMESTAMP),
        C("updated_at", T.TIMESTAMP),
        C("deleted_at", T.TIMESTAMP, nullable=True),
    ),
    primary_key=("id",),
    change_column="updated_at",
)

PROCESS_INSTANCE = SourceTable(
    name="process_instance",
    description="One execution of a workflow.",
    columns=(
        C("id", T.TEXT),
        C("process_meta_id", T.TEXT, description="workflow.id"),
        C("process_name", T.TEXT, description="workflow name at execution time"),
        C("organization_id", T.TEXT),
        C(
            "parent_instance_id",
            T.TEXT,
            nullable=True,
            description="set for sub-process executions",
        ),
        C("trigger_type", T.TEXT, description="webhook | schedule | manual | api | email"),
        C(
            "state_cd",
            T.SMALLINT,
            description="1 Active, 2 Waiting, 3 Aborted, 4 Completed, 7 Failed",
            allowed=(1, 2, 3, 4, 7),
        ),
        C("start_time", T.TIMESTAMP),
        C("end_time", T.TIMESTAMP, nullable=True, description="NULL while state 1 or 2"),
        C("variables", T.JSON, nullable=True, description="final variable state"),
        C("updated_at", T.TIMESTAMP),
    ),
    primary_key=("id",),
    change_column="updated_at",
    purged=True,
    ordered=(("start_time", "end_time"),),
)

NODE_INSTANCE = SourceTable(
    name="node_instance",
    description="One node run inside an execution.",
    columns=(
        C("id", T.TEXT),
        C("process_instance_id", T.TEXT),
        C("organization_id", T.TEXT),
        C("node_id", T.TEXT, description="node id in the workflow definition"),
        C("node_name", T.TEXT),
        C("node_type", T.TEXT, description="e.g. webhookTrigger, httpRequest, aiTask"),
        C(
            "status_cd",
            T.SMALLINT,
            description="5 In Progress, 6 Cancelled, 7 Error, 8 Completed",
            allowed=(5, 6, 7, 8),
        ),
        C("attempts", T.INTEGER, description="tries made, retries included", min_value=0),
        C("iteration", T.INTEGER, description="loop iteration", min_value=0),
        C("error_handled", T.BOOLEAN, description="error routed along an error or timeout flow"),
        C("start_time", T.TIMESTAMP),
        C("end_time", T.TIMESTAMP, nullable=True),
        C(
            "error_details",
            T.TEXT,
            nullable=True,
            description="set when status_cd = 7; 'TIMEOUT' for timeouts",
        ),
        C("output", T.JSON, nullable=True, description="node payload"),
        C("updated_at", T.TIMESTAMP),
    ),
    primary_key=("id",),
    change_column="updated_at",
    purged=True,
    ordered=(("start_time", "end_time"),),
)

REVIEW_TASK = SourceTable(
    name="review_task",
    description="One round of human review of a node's output.",
    columns=(
        C("id", T.TEXT),
        C("organization_id", T.TEXT),
        C("process_instance_id", T.TEXT),
        C("node_instance_id", T.TEXT, description="node run whose output is under review"),
        C("subject_id", T.TEXT, description="reviewed item; the same across its rounds"),
        C(
            "round",
            T.INTEGER,
            description="1 for the first submission, +1 after each revision",
            min_value=1,
        ),
        C("reviewer_id", T.TEXT, nullable=True),
        C(
            "status",
            T.TEXT,
            description="pending | approved | revision_requested | rejected | cancelled",
            allowed=("pending", "approved", "revision_requested", "rejected", "cancelled"),
        ),
        C("feedback", T.TEXT, nullable=True, description="reviewer's free text"),
        C("created_at", T.TIMESTAMP, description="review requested"),
        C("decided_at", T.TIMESTAMP, nullable=True, description="NULL while pending"),
        C("updated_at", T.TIMESTAMP),
    ),
    primary_key=("id",),
    change_column="updated_at",
    ordered=(("created_at", "decided_at"),),
)

API_KEY_USAGE = SourceTable(
    name="api_key_usage",
    description="One API request made with an API key (append-only).",
    columns=(
        C("id", T.BIGINT),
        C("api_key_id", T.TEXT),
        C("organization_id", T.TEXT),
        C("endpoint", T.TEXT, description="request path template"),
        C("method", T.TEXT),
        C("status_code", T.INTEGER, min_value=100, max_value=599),
        C("response_time_ms", T.BIGINT, min_value=0),
        C("ip_address", T.TEXT, nullable=True, description="personal data: never published"),
        C("error_message", T.TEXT, nullable=True),
        C("created_at", T.TIMESTAMP),
    ),
    primary_key=("id",),
    change_column="created_at",
    append_only=True,
)

AI_EXECUTION_HISTORY = SourceTable(
    name="ai_execution_history",
    description="One AI call made by an AI or voice task (append-only).",
    columns=(
        C("id", T.TEXT),
        C("process_instance_id", T.TEXT),
        C("node_instance_id", T.TEXT),
        C("organization_id", T.TEXT),
        C("model_provider", T.TEXT, description="e.g. OPENAI, ANTHROPIC"),
        C("model_name", T.TEXT),
        C("tokens_used", T.INTEGER, description="prompt + completion", min_value=0),
        C("cost_cents", T.INTEGER, description="US cents x 100: 1250 = $0.125", min_value=0),
        C("execution_time_ms", T.BIGINT, min_value=0),
        C("success", T.BOOLEAN),
        C("tools_used", T.JSON, nullable=True, description="JSON array of tool names"),
        C("created_at", T.TIMESTAMP),
    ),
    primary_key=("id",),
    change_column="created_at",
    append_only=True,
)

EXECUTION_LOG = SourceTable(
    name="execution_log",
    description="One log line of an execution (append-only).",
    columns=(
        C("id", T.BIGINT),
        C("process_instance_id", T.TEXT),
        C("organization_id", T.TEXT),
        C("node_id", T.TEXT, nullable=True),
        C(
            "level",
            T.TEXT,
            description="DEBUG | INFO | WARN | ERROR",
            allowed=("DEBUG", "INFO", "WARN", "ERROR"),
        ),
        C("message", T.TEXT),
        C("created_at", T.TIMESTAMP),
    ),
    primary_key=("id",),
    change_column="created_at",
    append_only=True,
    purged=True,
)

USAGE_RECORD = SourceTable(
    name="usage_record",
    description="What billing counted and enforced, per month.",
    columns=(
        C("billing_owner_id", T.TEXT),
        C("period_start", T.DATE, description="first day of the calendar month (UTC)"),
        C("executions_counted", T.INTEGER, min_value=0),
        C("updated_at", T.TIMESTAMP),
    ),
    primary_key=("billing_owner_id", "period_start"),
    change_column="updated_at",
)

ALERT_RULE = SourceTable(
    name="alert_rule",
    description="An alert defined by a user.",
    columns=(
        C("id", T.TEXT),
        C("organization_id", T.TEXT),
        C("workflow_id", T.TEXT, nullable=True, description="NULL: the whole organization"),
        C("metric", T.TEXT, allowed=ALERT_METRICS),
        C(
            "operator",
            T.TEXT,
            description="> | >= | < | <= | =",
            allowed=(">", ">=", "<", "<=", "="),
        ),
        C("threshold", T.DOUBLE),
        C("window_minutes", T.INTEGER, description="60, 1440 or 10080", allowed=(60, 1440, 10080)),
        C("enabled", T.BOOLEAN),
        C("created_at", T.TIMESTAMP),
        C("updated_at", T.TIMESTAMP),
    ),
    primary_key=("id",),
    change_column="updated_at",
)

ALERT_ACKNOWLEDGEMENT = SourceTable(
    name="alert_acknowledgement",
    description="Written by the app when a user acknowledges an alert.",
    columns=(
        C("alert_id", T.TEXT, description="the alert_id published in marts.alert_events"),
        C("acknowledged_by", T.TEXT),
        C("acknowledged_at", T.TIMESTAMP),
        C("note", T.TEXT, nullable=True),
    ),
    primary_key=("alert_id",),
    change_column="acknowledged_at",
    append_only=True,
)

SOURCE_TABLES: tuple[SourceTable, ...] = (
    PLAN,
    ORGANIZATION,
    WORKFLOW,
    CREDENTIAL,
    PROCESS_INSTANCE,
    NODE_INSTANCE,
    REVIEW_TASK,
    API_KEY_USAGE,
    AI_EXECUTION_HISTORY,
    EXECUTION_LOG,
    USAGE_RECORD,
    ALERT_RULE,
    ALERT_ACKNOWLEDGEMENT,
)

TABLES_BY_NAME = {t.name: t for t in SOURCE_TABLES}

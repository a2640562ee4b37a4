"""The platform's source tables, exactly as `shared/source_schema.sql` defines them."""

from __future__ import annotations

from models.contract import Column, SourceTable
from models.contract import LogicalType as T

C = Column

PLAN = SourceTable(
    name="plan",
    description="Plan tiers and their limits (NULL limit = unlimited).",
    columns=(
        C("tier", T.TEXT, description="free | starter | pro | enterprise"),
        C("monthly_execution_limit", T.INTEGER, nullable=True),
        C("active_workflow_limit", T.INTEGER, nullable=True),
        C("credential_limit", T.INTEGER, nullable=True),
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
        C("timezone", T.TEXT, description="IANA time zone name"),
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
        ),
        C("start_time", T.TIMESTAMP),
        C("end_time", T.TIMESTAMP, nullable=True, description="NULL while state 1 or 2"),
        C("variables", T.JSON, nullable=True, description="final variable state"),
        C("updated_at", T.TIMESTAMP),
    ),
    primary_key=("id",),
    change_column="updated_at",
    purged=True,
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
        C("status_cd", T.SMALLINT, description="5 In Progress, 6 Cancelled, 7 Error, 8 Completed"),
        C("attempts", T.INTEGER, description="tries made, retries included"),
        C("iteration", T.INTEGER, description="loop iteration"),
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
        C("round", T.INTEGER, description="1 for the first submission, +1 after each revision"),
        C("reviewer_id", T.TEXT, nullable=True),
        C(
            "status",
            T.TEXT,
            description="pending | approved | revision_requested | rejected | cancelled",
        ),
        C("feedback", T.TEXT, nullable=True, description="reviewer's free text"),
        C("created_at", T.TIMESTAMP, description="review requested"),
        C("decided_at", T.TIMESTAMP, nullable=True, description="NULL while pending"),
        C("updated_at", T.TIMESTAMP),
    ),
    primary_key=("id",),
    change_column="updated_at",
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
        C("status_code", T.INTEGER),
        C("response_time_ms", T.BIGINT),
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
        C("tokens_used", T.INTEGER, description="prompt + completion"),
        C("cost_cents", T.INTEGER, description="US cents x 100: 1250 = $0.125"),
        C("execution_time_ms", T.BIGINT),
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
        C("level", T.TEXT, description="DEBUG | INFO | WARN | ERROR"),
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
        C("executions_counted", T.INTEGER),
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
        C("metric", T.TEXT),
        C("operator", T.TEXT, description="> | >= | < | <= | ="),
        C("threshold", T.DOUBLE),
        C("window_minutes", T.INTEGER, description="60, 1440 or 10080"),
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

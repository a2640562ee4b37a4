"""n8n's database (n8n 1.x and 2.x, SQLite or PostgreSQL), read as a flowmart source.

The mapping, table by table (README, "n8n", shows it as a table):
- `project` -> `organization` (tier `self-hosted`: no plan, so no limits; UTC); a personal
  project's name holds its owner's name and e-mail, so it is named by its id instead.
  n8n before projects (1.x up to about 1.40: no `project` table, and `shared_workflow`
  names users): the whole instance is one organization, `n8n`, which owns every
  workflow (N8N_BEFORE_PROJECTS; users are not read).
- `workflow_entity` -> `workflow`: its owner project (`shared_workflow`, role
  workflow:owner); trigger `webhook`, `schedule` or `manual` by its trigger node; active =
  active and not archived; archived = deleted, at its last update.
- `execution_entity` -> `process_instance`: name = the workflow's name in the execution's
  own snapshot (`execution_data.workflowData`); status new and waiting -> 2, running -> 1,
  success -> 4, error, failed (1.x) and crashed -> 7, canceled -> 3 aborted; mode webhook
  -> `webhook`, trigger -> `schedule`, manual, cli and retry -> `manual`, integrated,
  internal, error and evaluation -> `api`; start = startedAt, else createdAt.
- each run of each node in `execution_data.data` (`resultData.runData`, in n8n's
  "flatted" JSON, decoded here) -> `node_instance`: id = execution/node name/run index;
  node id and type from the snapshot (`n8n-nodes-base.code` -> `code`; the webhook, cron
  and interval nodes are triggers: `webhookTrigger`, ...); executionStatus success -> 8,
  error and crashed -> 7, canceled -> 6, running and waiting -> 5; a node whose error
  n8n routed to an output (onError continue..., continueOnFail) reports success with
  the error in its items: it is a handled failure, 7 with error_handled; iteration = the
  run index. n8n keeps only a node's last try: attempts = 1. n8n 1.x's crash recovery
  gives every node that never started a run (status unknown, startTime 0): not read.
- no log lines, reviews, API keys, AI calls, billing: empty, and so are their marts.

n8n writes a node's start in epoch milliseconds (in seconds after its crash recovery:
read as such). Incremental reads: n8n keeps no change time on executions; one is read
again when startedAt or stoppedAt is at or after the watermark, and while it has no
stoppedAt (not ended: its createdAt, which 1.x lacks, is never later than that);
workflows and projects are read whole (small).
"""

from __future__ import annotations

import json

import pyarrow as pa

from orchestration.engines.mapping import ContractMapping, Engine, EngineTable, one_organization

ORGANIZATION_ID = "n8n"  # the one organization of an n8n without projects
EXECUTIONS = EngineTable(
    "execution_entity",
    ("id", "workflowId", "mode", "status", "startedAt", "stoppedAt"),
    changed=("startedAt", "stoppedAt"),
    unfinished=("stoppedAt",),
    optional_columns=("createdAt",),  # 1.x: none
)
SNAPSHOTS = EngineTable(
    "execution_data",
    ("executionId", "workflowData"),
    referenced_by=("executionId", EXECUTIONS, "id"),
)
OWNERS = EngineTable("shared_workflow", ("workflowId", "projectId", "role"))
PROJECTS = EngineTable("project", ("id", "name", "type", "createdAt", "updatedAt"))
WORKFLOWS = EngineTable(
    "workflow_entity",
    ("id", "name", "active", "nodes", "createdAt", "updatedAt"),
    optional_columns=("isArchived",),
)

_NODE_RUN_COLUMNS = (
    "execution_id", "node_name", "node_id", "node_type", "on_error", "run_index", "start_ms",
    "execution_ms", "status", "error_message", "handled_error",
)  # fmt: skip


def node_runs(rows: pa.Table) -> pa.Table:
    """One row per run of a node, from `execution_data` rows (executionId,
    workflowData, data): n8n's flatted JSON is a list whose first element is the root,
    and in whose objects and lists every string is the index of another element."""
    out: dict[str, list] = {c: [] for c in _NODE_RUN_COLUMNS}
    for execution_id, snapshot, data in zip(*(rows.column(c).to_pylist() for c in
                                              ("executionId", "workflowData", "data")),
                                            strict=True):  # fmt: skip
        nodes = {n.get("name"): n for n in json.loads(snapshot or "{}").get("nodes", [])}
        for name, index, task in _tasks(json.loads(data or "[{}]")):
            if task["status"] == "unknown" and not task["start"]:
                continue  # made up by 1.x's crash recovery for a node that never started
            node = nodes.get(name, {})
            handling = node.get("onError") or ("continueRegularOutput"
                                               if node.get("continueOnFail") else None)  # fmt: skip
            values = (
                execution_id, name, node.get("id"), node.get("type"), handling, index,
                task["start"], task["time"], task["status"], task["error"], task["handled"],
            )  # fmt: skip
            for column, value in zip(_NODE_RUN_COLUMNS, values, strict=True):
                out[column].append(None if value is None else str(value))
    return pa.table({c: pa.array(v, pa.string()) for c, v in out.items()})


def _tasks(items: list):
    """(node name, run index, fields) of every task of resultData.runData."""

    def at(value):
        return items[int(value)] if isinstance(value, str) else value

    root = at(items[0]) if items else {}
    result = at(root.get("resultData")) or {}
    for name, runs in (at(result.get("runData")) or {}).items():
        for index, task_ref in enumerate(at(runs) or []):
            task = at(task_ref) or {}
            error = at(task.get("error"))
            yield (
                name,
                index,
                {
                    "start": task.get("startTime"),
                    "time": task.get("executionTime"),
                    "status": at(task.get("executionStatus")),
                    "error": at(error.get("message")) if isinstance(error, dict) else None,
                    "handled": _item_error(at, at(task.get("data"))),
                },
            )


def _item_error(at, data) -> str | None:
    """The first error message among a task's output items (`json.error`): how n8n
    reports an error it routed to an output."""
    for output in at((data or {}).get("main")) or []:
        for item in at(output) or []:
            body = at((at(item) or {}).get("json")) or {}
            error = at(body.get("error")) if isinstance(body, dict) else None
            if isinstance(error, dict):
                error = at(error.get("message"))
            if error:
                return str(error)
    return None


NODE_RUNS = EngineTable(
    "execution_data",
    ("executionId", "workflowData", "data"),
    referenced_by=("executionId", EXECUTIONS, "id"),
    alias="node_runs",
    transform=node_runs,
)


def _one_owner(workflows: pa.Table) -> pa.Table:
    """Before projects: every workflow is owned by the one organization, shaped as
    `shared_workflow` rows so that the same mapping SQL reads them."""
    owner = pa.array([ORGANIZATION_ID] * workflows.num_rows, pa.string())
    role = pa.array(["workflow:owner"] * workflows.num_rows, pa.string())
    return pa.table({"workflowId": workflows.column("id"), "projectId": owner, "role": role})


ONE_OWNER = EngineTable("workflow_entity", ("id",), alias="shared_workflow", transform=_one_owner)

_TERMINAL = "('success', 'error', 'failed', 'canceled', 'crashed')"

ORGANIZATION_SQL = """
    SELECT id, CASE WHEN type = 'personal' THEN 'Personal project ' || id ELSE name END
            AS name,
        'self-hosted' AS tier, id AS billing_owner_id, NULL AS agency_id, 'UTC' AS timezone,
        iso(createdAt) AS created_at, iso(updatedAt) AS updated_at
    FROM project
"""

WORKFLOW_SQL = """
    SELECT workflow.id, owner.projectId AS organization_id, workflow.name,
        CASE WHEN nodes LIKE '%"n8n-nodes-base.webhook"%' THEN 'webhook'
             WHEN nodes LIKE '%"n8n-nodes-base.scheduleTrigger"%'
               OR nodes LIKE '%"n8n-nodes-base.cron"%' THEN 'schedule'
             ELSE 'manual' END AS trigger_type,
        CASE WHEN TRY_CAST(active AS BOOLEAN) AND NOT coalesce(TRY_CAST(isArchived AS BOOLEAN),
                                                                false)
             THEN '1' ELSE '0' END AS is_active,
        iso(workflow.createdAt) AS created_at, iso(workflow.updatedAt) AS updated_at,
        CASE WHEN TRY_CAST(isArchived AS BOOLEAN) THEN iso(workflow.updatedAt) END
            AS deleted_at
    FROM workflow_entity AS workflow
    LEFT JOIN shared_workflow AS owner
        ON owner.workflowId = workflow.id AND owner.role = 'workflow:owner'
"""

PROCESS_INSTANCE_SQL = f"""
    SELECT execution.id, execution.workflowId AS process_meta_id,
        coalesce(snapshot.workflowData ->> '$.name', execution.workflowId) AS process_name,
        owner.projectId AS organization_id, NULL AS parent_instance_id,
        CASE execution.mode WHEN 'webhook' THEN 'webhook' WHEN 'trigger' THEN 'schedule'
             WHEN 'manual' THEN 'manual' WHEN 'cli' THEN 'manual' WHEN 'retry' THEN 'manual'
             WHEN 'integrated' THEN 'api' WHEN 'internal' THEN 'api' WHEN 'error' THEN 'api'
             WHEN 'evaluation' THEN 'api' ELSE execution.mode END AS trigger_type,
        CASE execution.status WHEN 'new' THEN '2' WHEN 'waiting' THEN '2'
             WHEN 'running' THEN '1' WHEN 'success' THEN '4' WHEN 'error' THEN '7'
             WHEN 'failed' THEN '7' WHEN 'crashed' THEN '7' WHEN 'canceled' THEN '3'
             ELSE coalesce(execution.status, 'none') END AS state_cd,
        iso(coalesce(execution.startedAt, execution.createdAt)) AS start_time,
        CASE WHEN execution.status IN {_TERMINAL} THEN iso(execution.stoppedAt) END
            AS end_time,
        NULL AS variables,
        iso(greatest(ts(execution.createdAt), ts(execution.startedAt), ts(execution.stoppedAt)))
            AS updated_at
    FROM execution_entity AS execution
    LEFT JOIN execution_data AS snapshot ON snapshot.executionId = execution.id
    LEFT JOIN shared_workflow AS owner
        ON owner.workflowId = execution.workflowId AND owner.role = 'workflow:owner'
"""

NODE_INSTANCE_SQL = """
    WITH runs AS (
        SELECT *, regexp_extract(node_type, '[^.]+$') AS short_type,
            TRY_CAST(start_ms AS BIGINT) AS start_number,
            handled_error IS NOT NULL AND on_error IS NOT NULL AND node_runs.status = 'success'
                AS handled
        FROM node_runs
    )
    SELECT runs.execution_id || '/' || node_name || '/' || run_index AS id,
        runs.execution_id AS process_instance_id, owner.projectId AS organization_id,
        coalesce(node_id, node_name) AS node_id, node_name,
        CASE WHEN short_type IN ('webhook', 'cron', 'interval') THEN short_type || 'Trigger'
             ELSE coalesce(short_type, 'unknown') END AS node_type,
        CASE WHEN handled THEN '7' ELSE CASE runs.status WHEN 'success' THEN '8'
             WHEN 'error' THEN '7' WHEN 'crashed' THEN '7' WHEN 'canceled' THEN '6'
             WHEN 'running' THEN '5' WHEN 'waiting' THEN '5'
             ELSE coalesce(runs.status, 'none') END END AS status_cd,
        '1' AS attempts, run_index AS iteration,
        CASE WHEN handled THEN '1' ELSE '0' END AS error_handled,
        iso(to_timestamp(CASE WHEN start_number < 100000000000 THEN start_number
                              ELSE start_number / 1000.0 END)) AS start_time,
        CASE WHEN runs.status IN ('success', 'error', 'crashed', 'canceled')
             THEN iso(to_timestamp(CASE WHEN start_number < 100000000000 THEN start_number
                                        ELSE start_number / 1000.0 END)
                      + to_milliseconds(coalesce(TRY_CAST(execution_ms AS BIGINT), 0)))
             END AS end_time,
        CASE WHEN handled THEN handled_error ELSE error_message END AS error_details,
        NULL AS output,
        iso(greatest(ts(execution.createdAt), ts(execution.startedAt), ts(execution.stoppedAt)))
            AS updated_at
    FROM runs
    JOIN execution_entity AS execution ON execution.id = runs.execution_id
    LEFT JOIN shared_workflow AS owner
        ON owner.workflowId = execution.workflowId AND owner.role = 'workflow:owner'
"""


def _mappings(organization: ContractMapping, owners: EngineTable) -> dict[str, ContractMapping]:
    return {
        "organization": organization,
        "workflow": ContractMapping((WORKFLOWS, owners), WORKFLOW_SQL),
        "process_instance": ContractMapping((EXECUTIONS, SNAPSHOTS, owners), PROCESS_INSTANCE_SQL),
        "node_instance": ContractMapping((NODE_RUNS, EXECUTIONS, owners), NODE_INSTANCE_SQL),
    }


MARKERS = ("execution_entity", "workflow_entity")
N8N_BEFORE_PROJECTS = Engine(
    kind="n8n",
    label="n8n",
    marker_tables=MARKERS,
    mappings=_mappings(one_organization(ORGANIZATION_ID, "n8n"), ONE_OWNER),
)
N8N = Engine(
    kind="n8n",
    label="n8n",
    marker_tables=MARKERS,
    mappings=_mappings(ContractMapping((PROJECTS,), ORGANIZATION_SQL), OWNERS),
    older=("project", N8N_BEFORE_PROJECTS),
)

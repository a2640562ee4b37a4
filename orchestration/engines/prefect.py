"""Prefect's server database (Prefect 2 and 3), read as a flowmart source.

The mapping, table by table (README, "Prefect", shows it as a table):
- the database: one organization `prefect` (tier `self-hosted`: no plan, so no limits; UTC).
- `flow` -> `workflow`: id, name; trigger_type `manual` (a flow's runs say how each began).
- `flow_run` -> `process_instance`: its flow; parent = the flow run of the task run that
  called it (a subflow); trigger `schedule` when auto-scheduled, `api` for other
  deployment runs and subflows, `manual` for runs started from code; state_type PENDING,
  RUNNING and CANCELLING -> 1, PAUSED -> 2 waiting, CANCELLED -> 3 aborted, COMPLETED -> 4,
  FAILED and CRASHED -> 7. A run still SCHEDULED that never started is not an execution
  yet: it is left out until it starts. Parameters -> variables.
- `task_run` -> `node_instance`: node id = task_key, name = the run's name, type `task`;
  attempts = run_count; iteration = dynamic_key when a number (mapped tasks); COMPLETED
  -> 8, FAILED and CRASHED -> 7, CANCELLED -> 6, every other type -> 5 in progress; the
  message of a failed run's state (`task_run_state`) is its error_details.
- `log` -> `execution_log`: a flow run's log lines; levels by Python's numbers (>= 40
  ERROR, >= 30 WARN, >= 20 INFO, else DEBUG); id = a 63-bit hash of Prefect's UUID (the
  contract's log ids are numbers).
- reviews, API keys, AI calls, billing: empty, and so are their marts.

Start times: start_time, else the expected start time, else when the row was created.
Incremental reads: Prefect sets `updated` on every write; flow and task runs without an
end_time are read at every refresh; `log` grows by `created`; `flow` is read whole.
"""

from __future__ import annotations

from orchestration.engines.mapping import ContractMapping, Engine, EngineTable, one_organization

ORGANIZATION_ID = "prefect"
_TERMINAL = "('COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED')"

FLOW = EngineTable("flow", ("id", "name", "created", "updated"))
FLOW_RUN = EngineTable(
    "flow_run",
    (
        "id", "flow_id", "deployment_id", "parent_task_run_id", "auto_scheduled", "state_type",
        "start_time", "end_time", "expected_start_time", "created", "updated", "parameters",
    ),
    changed=("updated",),
    unfinished=("end_time",),
)  # fmt: skip
PARENT_TASK_RUN = EngineTable(
    "task_run",
    ("id", "flow_run_id"),
    referenced_by=("id", FLOW_RUN, "parent_task_run_id"),
    alias="parent_task_run",
)
TASK_RUN = EngineTable(
    "task_run",
    (
        "id", "name", "flow_run_id", "task_key", "dynamic_key", "state_type", "state_id",
        "run_count", "start_time", "end_time", "expected_start_time", "created", "updated",
    ),
    changed=("updated",),
    unfinished=("end_time",),
)  # fmt: skip
TASK_RUN_STATE = EngineTable(
    "task_run_state", ("id", "message"), referenced_by=("id", TASK_RUN, "state_id")
)
LOG = EngineTable(
    "log", ("id", "level", "flow_run_id", "task_run_id", "message", "timestamp", "created"),
    changed=("created",),
)  # fmt: skip
LOG_TASK_RUN = EngineTable(
    "task_run",
    ("id", "task_key"),
    referenced_by=("id", LOG, "task_run_id"),
    alias="log_task_run",
)

WORKFLOW_SQL = f"""
    SELECT id, '{ORGANIZATION_ID}' AS organization_id, name, 'manual' AS trigger_type,
        '1' AS is_active, iso(created) AS created_at, iso(updated) AS updated_at,
        NULL AS deleted_at
    FROM flow
"""

PROCESS_INSTANCE_SQL = f"""
    SELECT run.id, run.flow_id AS process_meta_id, coalesce(flow.name, run.flow_id)
            AS process_name,
        '{ORGANIZATION_ID}' AS organization_id, parent.flow_run_id AS parent_instance_id,
        CASE WHEN TRY_CAST(run.auto_scheduled AS BOOLEAN) THEN 'schedule'
             WHEN run.deployment_id IS NOT NULL OR run.parent_task_run_id IS NOT NULL
             THEN 'api' ELSE 'manual' END AS trigger_type,
        CASE run.state_type WHEN 'PENDING' THEN '1' WHEN 'RUNNING' THEN '1'
             WHEN 'CANCELLING' THEN '1' WHEN 'SCHEDULED' THEN '1' WHEN 'PAUSED' THEN '2'
             WHEN 'CANCELLED' THEN '3' WHEN 'COMPLETED' THEN '4' WHEN 'FAILED' THEN '7'
             WHEN 'CRASHED' THEN '7' ELSE coalesce(run.state_type, 'none') END AS state_cd,
        iso(coalesce(run.start_time, run.expected_start_time, run.created)) AS start_time,
        CASE WHEN run.state_type IN {_TERMINAL} THEN iso(run.end_time) END AS end_time,
        run.parameters AS variables, iso(run.updated) AS updated_at
    FROM flow_run AS run
    LEFT JOIN flow ON flow.id = run.flow_id
    LEFT JOIN parent_task_run AS parent ON parent.id = run.parent_task_run_id
    WHERE run.state_type IS DISTINCT FROM 'SCHEDULED' OR run.start_time IS NOT NULL
"""

NODE_INSTANCE_SQL = f"""
    SELECT run.id, run.flow_run_id AS process_instance_id,
        '{ORGANIZATION_ID}' AS organization_id, run.task_key AS node_id,
        run.name AS node_name, 'task' AS node_type,
        CASE run.state_type WHEN 'COMPLETED' THEN '8' WHEN 'FAILED' THEN '7'
             WHEN 'CRASHED' THEN '7' WHEN 'CANCELLED' THEN '6' WHEN 'RUNNING' THEN '5'
             WHEN 'PENDING' THEN '5' WHEN 'SCHEDULED' THEN '5' WHEN 'PAUSED' THEN '5'
             WHEN 'CANCELLING' THEN '5' ELSE coalesce(run.state_type, 'none') END
            AS status_cd,
        run.run_count AS attempts,
        coalesce(CAST(TRY_CAST(run.dynamic_key AS INTEGER) AS VARCHAR), '0') AS iteration,
        '0' AS error_handled,
        iso(coalesce(run.start_time, run.expected_start_time, run.created)) AS start_time,
        CASE WHEN run.state_type IN {_TERMINAL} THEN iso(run.end_time) END AS end_time,
        CASE WHEN run.state_type IN ('FAILED', 'CRASHED') THEN state.message END
            AS error_details,
        NULL AS output, iso(run.updated) AS updated_at
    FROM task_run AS run
    LEFT JOIN task_run_state AS state ON state.id = run.state_id
"""

EXECUTION_LOG_SQL = f"""
    SELECT CAST(hash(log.id) >> 1 AS BIGINT) AS id, log.flow_run_id AS process_instance_id,
        '{ORGANIZATION_ID}' AS organization_id, task.task_key AS node_id,
        log_level(log.level) AS level,
        log.message, iso(log.timestamp) AS created_at
    FROM log
    LEFT JOIN log_task_run AS task ON task.id = log.task_run_id
    WHERE log.flow_run_id IS NOT NULL
"""

PREFECT = Engine(
    kind="prefect",
    label="Prefect",
    marker_tables=("flow_run", "task_run", "flow"),
    mappings={
        "organization": one_organization(ORGANIZATION_ID, "Prefect"),
        "workflow": ContractMapping((FLOW,), WORKFLOW_SQL),
        "process_instance": ContractMapping(
            (FLOW_RUN, FLOW, PARENT_TASK_RUN), PROCESS_INSTANCE_SQL
        ),
        "node_instance": ContractMapping((TASK_RUN, TASK_RUN_STATE), NODE_INSTANCE_SQL),
        "execution_log": ContractMapping((LOG, LOG_TASK_RUN), EXECUTION_LOG_SQL),
    },
)

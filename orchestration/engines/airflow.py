"""Apache Airflow's metadata database (2.10 and 3.x), read as a flowmart source.

The mapping, table by table (README, "Airflow", shows it as a table):
- the database: one organization `airflow` (tier `self-hosted`: no plan, so no limits; UTC).
- `dag` -> `workflow`: id and name = dag_id; trigger_type `schedule` when it has a
  timetable, else `manual`; active = neither paused nor stale.
- `dag_run` -> `process_instance`: id = `dag_id/run_id`; state queued -> 2 waiting,
  running -> 1, success -> 4, failed -> 7; run_type scheduled and backfill -> `schedule`,
  manual -> `manual`, asset or dataset triggered -> `api`; start = start_date, else
  queued_at, else updated_at; conf -> variables (Airflow 2 pickles it: NULL).
- `task_instance` -> `node_instance`: id = `dag_id/run_id/task_id/map_index`; node_type =
  the operator; attempts = try_number; iteration = map_index (0 when not mapped); state
  success -> 8, failed -> 7, skipped, upstream_failed and removed -> 6 cancelled; running,
  queued, scheduled, up_for_retry, up_for_reschedule, deferred, restarting and none -> 5
  in progress; start = start_date, else queued_dttm, else updated_at.
- `log` (the audit log) -> `execution_log`: a DAG run's events (`running`, `failed`, ...);
  level ERROR for failures, WARN for retries, else INFO; message = the event's name.
- reviews, API keys, AI calls, billing: empty, and so are their marts.

Airflow keeps no error text in its database (it is in the task's log file): a failed node
run has no error_details, so its error signature is empty. A state outside these lists
(another Airflow version's) is quarantined with its value.

Incremental reads: a DAG run or task instance is read again when its updated_at,
start_date or end_date is at or after the watermark (`airflow dags test` sets end_date
without updated_at), and while it has no end_date (still running at the last refresh).
The `log` table only grows (dttm). `dag` is read whole (it is small).
"""

from __future__ import annotations

from orchestration.engines.mapping import ContractMapping, Engine, EngineTable, one_organization

ORGANIZATION_ID = "airflow"
_RUN_KEY = "dag_id || '/' || run_id"

DAG_RUN = EngineTable(
    "dag_run",
    (
        "dag_id",
        "run_id",
        "state",
        "run_type",
        "start_date",
        "end_date",
        "queued_at",
        "conf",
        "updated_at",
    ),
    changed=("updated_at", "start_date", "end_date"),
    unfinished=("end_date",),
)
TASK_INSTANCE = EngineTable(
    "task_instance",
    (
        "dag_id",
        "run_id",
        "task_id",
        "map_index",
        "state",
        "try_number",
        "operator",
        "start_date",
        "end_date",
        "queued_dttm",
        "updated_at",
    ),
    changed=("updated_at", "start_date", "end_date"),
    unfinished=("end_date",),
)
DAG = EngineTable(
    "dag",
    ("dag_id", "is_paused", "last_parsed_time"),
    # Airflow 3: is_stale, timetable_summary; 2: is_active, schedule_interval (2.10 also
    # has timetable_summary)
    optional_columns=("is_stale", "is_active", "timetable_summary", "schedule_interval"),
)
LOG = EngineTable("log", ("id", "dttm", "dag_id", "run_id", "task_id", "event"), changed=("dttm",))

WORKFLOW_SQL = f"""
    SELECT dag_id AS id, '{ORGANIZATION_ID}' AS organization_id, dag_id AS name,
        CASE WHEN coalesce(timetable_summary, schedule_interval, 'None')
                  IN ('None', 'null', '') THEN 'manual'
             ELSE 'schedule' END AS trigger_type,
        CASE WHEN TRY_CAST(is_paused AS BOOLEAN) OR TRY_CAST(is_stale AS BOOLEAN)
                  OR NOT coalesce(TRY_CAST(is_active AS BOOLEAN), true)
             THEN '0' ELSE '1' END AS is_active,
        '1970-01-01T00:00:00Z' AS created_at,
        coalesce(iso(last_parsed_time), '1970-01-01T00:00:00Z') AS updated_at,
        NULL AS deleted_at
    FROM dag
"""

PROCESS_INSTANCE_SQL = f"""
    SELECT {_RUN_KEY} AS id, dag_id AS process_meta_id, dag_id AS process_name,
        '{ORGANIZATION_ID}' AS organization_id, NULL AS parent_instance_id,
        CASE run_type WHEN 'scheduled' THEN 'schedule' WHEN 'backfill' THEN 'schedule'
             WHEN 'manual' THEN 'manual' WHEN 'asset_triggered' THEN 'api'
             WHEN 'dataset_triggered' THEN 'api' ELSE run_type END AS trigger_type,
        CASE state WHEN 'queued' THEN '2' WHEN 'running' THEN '1' WHEN 'success' THEN '4'
             WHEN 'failed' THEN '7' ELSE coalesce(state, 'none') END AS state_cd,
        iso(coalesce(start_date, queued_at, updated_at)) AS start_time,
        CASE WHEN state IN ('success', 'failed') THEN iso(end_date) END AS end_time,
        CASE WHEN json_valid(conf) THEN conf END AS variables,
        iso(greatest(ts(updated_at), ts(start_date), ts(end_date))) AS updated_at
    FROM dag_run
"""

NODE_INSTANCE_SQL = f"""
    SELECT {_RUN_KEY} || '/' || task_id || '/' || map_index AS id,
        {_RUN_KEY} AS process_instance_id, '{ORGANIZATION_ID}' AS organization_id,
        task_id AS node_id, task_id AS node_name, coalesce(operator, 'task') AS node_type,
        CASE coalesce(state, 'none')
             WHEN 'success' THEN '8' WHEN 'failed' THEN '7'
             WHEN 'skipped' THEN '6' WHEN 'upstream_failed' THEN '6' WHEN 'removed' THEN '6'
             WHEN 'running' THEN '5' WHEN 'queued' THEN '5' WHEN 'scheduled' THEN '5'
             WHEN 'up_for_retry' THEN '5' WHEN 'up_for_reschedule' THEN '5'
             WHEN 'deferred' THEN '5' WHEN 'restarting' THEN '5' WHEN 'none' THEN '5'
             ELSE state END AS status_cd,
        try_number AS attempts,
        CASE WHEN TRY_CAST(map_index AS INTEGER) >= 0 THEN map_index ELSE '0' END AS iteration,
        '0' AS error_handled,
        iso(coalesce(start_date, queued_dttm, updated_at)) AS start_time,
        CASE WHEN state IN ('success', 'failed', 'skipped', 'upstream_failed', 'removed')
             THEN iso(end_date) END AS end_time,
        NULL AS error_details, NULL AS output,
        iso(greatest(ts(updated_at), ts(start_date), ts(end_date))) AS updated_at
    FROM task_instance
"""

EXECUTION_LOG_SQL = f"""
    SELECT id, {_RUN_KEY} AS process_instance_id, '{ORGANIZATION_ID}' AS organization_id,
        task_id AS node_id,
        CASE WHEN event ILIKE '%fail%' OR event ILIKE '%error%' THEN 'ERROR'
             WHEN event ILIKE '%retry%' THEN 'WARN' ELSE 'INFO' END
            AS level,
        event AS message, iso(dttm) AS created_at
    FROM log
    WHERE run_id IS NOT NULL AND dag_id IS NOT NULL
"""

AIRFLOW = Engine(
    kind="airflow",
    label="Airflow",
    marker_tables=("dag_run", "task_instance"),
    mappings={
        "organization": one_organization(ORGANIZATION_ID, "Airflow"),
        "workflow": ContractMapping((DAG,), WORKFLOW_SQL),
        "process_instance": ContractMapping((DAG_RUN,), PROCESS_INSTANCE_SQL),
        "node_instance": ContractMapping((TASK_INSTANCE,), NODE_INSTANCE_SQL),
        "execution_log": ContractMapping((LOG,), EXECUTION_LOG_SQL),
    },
)

"""Dagster's run and event log storage, read as a flowmart source.

Where it is: with Dagster's default SQLite storage, point flowmart at
`$DAGSTER_HOME/history/runs.db` (runs, run_tags); each run's events are in
`history/runs/<run id>.db` beside it, read run by run. With dagster-postgres, point it
at the database: runs, run_tags and event_logs are tables of the same one.

The mapping, table by table (README, "Dagster", shows it as a table):
- the database: one organization `dagster` (tier `self-hosted`: no plan, so no limits; UTC).
- the jobs named by `runs` -> `workflow`: id and name = the job; created when first run.
- `runs` -> `process_instance`: id = run_id; status QUEUED and NOT_STARTED -> 2 waiting,
  STARTING, STARTED and CANCELING -> 1, SUCCESS -> 4, FAILURE -> 7, CANCELED -> 3 aborted;
  trigger `schedule` for schedule and backfill runs, `api` for sensor runs (tags
  dagster/schedule_name, dagster/backfill, dagster/sensor_name), else `manual`; start =
  start_time, else when the run was created.
- the step events of `event_logs` -> `node_instance`, one per (run, step): status by the
  step's last event, STEP_SUCCESS -> 8, STEP_FAILURE -> 7, STEP_SKIPPED -> 6 cancelled,
  STEP_START, STEP_RESTARTED and STEP_UP_FOR_RETRY -> 5 in progress; attempts = its
  STEP_START and STEP_RESTARTED events; start = the first STEP_START; error_details = the
  failure's error message (its cause's, when user code raised it). A step that never
  started nor was skipped (downstream of a failure) has no events and no node run.
- user log messages (`event_logs` rows that are no Dagster event) -> `execution_log`:
  level by Python's numbers (>= 40 ERROR, >= 30 WARN, >= 20 INFO, else DEBUG).
- reviews, API keys, AI calls, billing: empty, and so are their marts.

Incremental reads: a run is read again when its update_timestamp is at or after the
watermark, and while it has no end_time; the events read are those of these runs.
"""

from __future__ import annotations

from orchestration.engines.mapping import ContractMapping, Engine, EngineTable, one_organization

ORGANIZATION_ID = "dagster"
STEP_EVENTS = (
    "STEP_START", "STEP_RESTARTED", "STEP_UP_FOR_RETRY", "STEP_SUCCESS", "STEP_FAILURE",
    "STEP_SKIPPED",
)  # fmt: skip

RUNS = EngineTable(
    "runs",
    ("run_id", "pipeline_name", "status", "create_timestamp", "update_timestamp",
     "start_time", "end_time"),
    changed=("update_timestamp",),
    unfinished=("end_time",),
)  # fmt: skip
RUN_TAGS = EngineTable(
    "run_tags", ("run_id", "key", "value"), referenced_by=("run_id", RUNS, "run_id"),
    where="key IN ('dagster/schedule_name', 'dagster/sensor_name', 'dagster/backfill')",
)  # fmt: skip
JOBS = EngineTable("runs", ("pipeline_name", "create_timestamp"), alias="job_runs")
STEP_EVENT_LOGS = EngineTable(
    "event_logs",
    ("id", "run_id", "step_key", "dagster_event_type", "timestamp", "event"),
    referenced_by=("run_id", RUNS, "run_id"),
    where="dagster_event_type IN ({})".format(", ".join(f"'{e}'" for e in STEP_EVENTS)),
    per_run_files="runs",
)
USER_LOGS = EngineTable(
    "event_logs",
    ("id", "run_id", "step_key", "timestamp", "event"),
    referenced_by=("run_id", RUNS, "run_id"),
    where="dagster_event_type IS NULL",
    per_run_files="runs",
    alias="user_logs",
)

WORKFLOW_SQL = f"""
    SELECT pipeline_name AS id, '{ORGANIZATION_ID}' AS organization_id,
        pipeline_name AS name, 'manual' AS trigger_type, '1' AS is_active,
        iso(min(ts(create_timestamp))) AS created_at,
        iso(min(ts(create_timestamp))) AS updated_at, NULL AS deleted_at
    FROM job_runs
    GROUP BY pipeline_name
"""

PROCESS_INSTANCE_SQL = f"""
    WITH triggers AS (
        SELECT run_id,
            CASE WHEN bool_or(key IN ('dagster/schedule_name', 'dagster/backfill'))
                 THEN 'schedule' ELSE 'api' END AS trigger_type
        FROM run_tags
        GROUP BY run_id
    )
    SELECT runs.run_id AS id, pipeline_name AS process_meta_id,
        pipeline_name AS process_name, '{ORGANIZATION_ID}' AS organization_id,
        NULL AS parent_instance_id, coalesce(triggers.trigger_type, 'manual') AS trigger_type,
        CASE status WHEN 'QUEUED' THEN '2' WHEN 'NOT_STARTED' THEN '2'
             WHEN 'STARTING' THEN '1' WHEN 'STARTED' THEN '1' WHEN 'CANCELING' THEN '1'
             WHEN 'SUCCESS' THEN '4' WHEN 'FAILURE' THEN '7' WHEN 'CANCELED' THEN '3'
             ELSE coalesce(status, 'none') END AS state_cd,
        iso(coalesce(to_timestamp(TRY_CAST(start_time AS DOUBLE)), ts(create_timestamp)))
            AS start_time,
        CASE WHEN status IN ('SUCCESS', 'FAILURE', 'CANCELED')
             THEN iso(coalesce(to_timestamp(TRY_CAST(end_time AS DOUBLE)),
                               ts(update_timestamp))) END AS end_time,
        NULL AS variables, iso(update_timestamp) AS updated_at
    FROM runs
    LEFT JOIN triggers ON triggers.run_id = runs.run_id
"""

NODE_INSTANCE_SQL = f"""
    WITH events AS (
        SELECT run_id, step_key, dagster_event_type AS type, ts(timestamp) AS event_at,
            TRY_CAST(id AS BIGINT) AS seq, event
        FROM event_logs
        WHERE step_key IS NOT NULL
    ),
    steps AS (
        SELECT run_id, step_key,
            arg_max(type, row(event_at, seq)) AS last_type,
            min(event_at) FILTER (WHERE type = 'STEP_START') AS started,
            min(event_at) AS first_at, max(event_at) AS last_at,
            count(*) FILTER (WHERE type IN ('STEP_START', 'STEP_RESTARTED')) AS tries,
            arg_max(event, row(event_at, seq)) FILTER (WHERE type = 'STEP_FAILURE') AS failure
        FROM events
        GROUP BY run_id, step_key
    )
    SELECT run_id || '/' || step_key AS id, run_id AS process_instance_id,
        '{ORGANIZATION_ID}' AS organization_id, step_key AS node_id, step_key AS node_name,
        'op' AS node_type,
        CASE last_type WHEN 'STEP_SUCCESS' THEN '8' WHEN 'STEP_FAILURE' THEN '7'
             WHEN 'STEP_SKIPPED' THEN '6' WHEN 'STEP_START' THEN '5'
             WHEN 'STEP_RESTARTED' THEN '5' WHEN 'STEP_UP_FOR_RETRY' THEN '5'
             ELSE last_type END AS status_cd,
        greatest(tries, 1) AS attempts, '0' AS iteration, '0' AS error_handled,
        iso(coalesce(started, first_at)) AS start_time,
        CASE WHEN last_type IN ('STEP_SUCCESS', 'STEP_FAILURE', 'STEP_SKIPPED')
             THEN iso(last_at) END AS end_time,
        trim(coalesce(
            json_extract_string(failure, '$.dagster_event.event_specific_data.error.cause.message'),
            json_extract_string(failure, '$.dagster_event.event_specific_data.error.message')
        ), ' ' || chr(10)) AS error_details,
        NULL AS output, iso(last_at) AS updated_at
    FROM steps
"""

EXECUTION_LOG_SQL = f"""
    SELECT CAST(hash(run_id || '/' || id) >> 1 AS BIGINT) AS id,
        run_id AS process_instance_id, '{ORGANIZATION_ID}' AS organization_id,
        step_key AS node_id,
        log_level(event ->> '$.level') AS level,
        event ->> '$.user_message' AS message, iso(timestamp) AS created_at
    FROM user_logs
"""

DAGSTER = Engine(
    kind="dagster",
    label="Dagster",
    marker_tables=("runs", "run_tags"),
    mappings={
        "organization": one_organization(ORGANIZATION_ID, "Dagster"),
        "workflow": ContractMapping((JOBS,), WORKFLOW_SQL),
        "process_instance": ContractMapping((RUNS, RUN_TAGS), PROCESS_INSTANCE_SQL),
        "node_instance": ContractMapping((STEP_EVENT_LOGS,), NODE_INSTANCE_SQL),
        "execution_log": ContractMapping((USER_LOGS,), EXECUTION_LOG_SQL),
    },
)

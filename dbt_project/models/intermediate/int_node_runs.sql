{#- Every node run, trigger-normalized (METRICS.md): an execution whose engine wrote no
    trigger row gets one successful attempt of node `__trigger__`, type
    `<trigger_type>Trigger`, with no duration. Node runs take their execution's
    workflow and day, so an execution and its nodes share one partition. -#}

{{ day_partitioned() }}

with

executions as (

    select * from {{ ref('stg_process_instance') }}
    where {{ in_dirty_partitions('day') }}

),

node_runs as (

    select * from {{ ref('stg_node_instance') }}

),

recorded as (

    select
        node_runs.node_run_id,
        node_runs.execution_id,
        executions.org_id,
        executions.workflow_id,
        node_runs.node_id,
        node_runs.node_type,
        node_runs.status_cd,
        node_runs.attempts,
        node_runs.error_handled,
        node_runs.error_details,
        node_runs.started_at,
        node_runs.ended_at,
        {{ duration_ms('node_runs.started_at', 'node_runs.ended_at') }} as duration_ms,
        node_runs.is_trigger,
        false as is_synthetic,
        executions.day

    from node_runs
    inner join executions on node_runs.execution_id = executions.execution_id

),

missing_triggers as (

    select
        null as node_run_id,
        executions.execution_id,
        executions.org_id,
        executions.workflow_id,
        '__trigger__' as node_id,
        executions.trigger_type || 'Trigger' as node_type,
        8 as status_cd,
        1 as attempts,
        false as error_handled,
        null as error_details,
        null as started_at,
        null as ended_at,
        null as duration_ms,
        true as is_trigger,
        true as is_synthetic,
        executions.day

    from executions
    where not exists (
        select 1
        from recorded
        where recorded.execution_id = executions.execution_id and recorded.is_trigger
    )

)

select * from recorded
union all by name
select * from missing_triggers

{#- One row per execution with its derived status (METRICS.md, execution status). -#}

{{ day_partitioned() }}

with

executions as (

    select * from {{ ref('stg_process_instance') }}
    where {{ in_dirty_partitions('day') }}

),

node_runs as (

    select * from {{ ref('int_node_runs') }}
    where {{ in_dirty_partitions('day') }}

),

per_execution as (

    select
        execution_id,
        count(*) as node_runs,
        bool_or(status_cd = 7 and not error_handled) as has_unhandled_node_error,
        arg_min(node_id, (started_at, node_run_id)) filter (where status_cd = 7)
            as failed_node_id,
        arg_min(error_details, (started_at, node_run_id)) filter (where status_cd = 7)
            as failed_node_error

    from node_runs
    group by execution_id

),

with_status as (

    select
        executions.*,
        coalesce(per_execution.node_runs, 0) as node_runs,
        per_execution.failed_node_id,
        per_execution.failed_node_error,
        {{ execution_status(
            'executions.state_cd',
            'coalesce(per_execution.has_unhandled_node_error, false)'
        ) }} as status

    from executions
    left join per_execution on executions.execution_id = per_execution.execution_id

),

final as (

    select
        execution_id,
        org_id,
        workflow_id,
        workflow_name,
        parent_execution_id,
        trigger_type,
        status,
        started_at,
        ended_at,
        case
            when {{ is_terminal('status') }} then {{ duration_ms('started_at', 'ended_at') }}
        end as duration_ms,
        node_runs,
        failed_node_id,
        {{ error_signature('failed_node_error') }} as error_signature,
        day

    from with_status

)

select * from final

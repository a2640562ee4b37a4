{#- The routes executions take through each workflow per UTC month of start_time:
    executions grouped by their path (int_execution_paths), with outcome and duration
    per path and each path's share of the workflow's executions that month.

    Incremental by month (month_partitions macros): every month containing a dirty day
    is deleted and rebuilt from int_execution_paths and fct_executions, both
    day-partitioned and already rebuilt for the dirty days. -#}

{{ month_partitioned() }}

with

paths as (

    select * from {{ ref('int_execution_paths') }}
    where {{ in_dirty_months('day') }}

),

executions as (

    select * from {{ ref('fct_executions') }}
    where {{ in_dirty_months('day') }}

),

execution_paths as (

    select
        paths.org_id,
        paths.workflow_id,
        {{ month_of('paths.day') }} as month,
        paths.path,
        paths.path_hash,
        paths.nodes,
        executions.status,
        executions.duration_ms

    from paths
    inner join executions on paths.execution_id = executions.execution_id

),

variants as (

    select
        org_id,
        workflow_id,
        month,
        path,
        any_value(path_hash) as path_hash,
        any_value(nodes) as nodes,
        count(*) as executions,
        count(*) filter (where status = 'succeeded') as succeeded,
        count(*) filter (where status = 'failed') as failed,
        {{ safe_ratio("count(*) filter (where status = 'failed')",
                      "count(*) filter (where status in ('succeeded', 'failed'))") }}
            as failure_rate,
        avg(duration_ms) as avg_duration_ms

    from execution_paths
    group by org_id, workflow_id, month, path

),

final as (

    select
        org_id,
        workflow_id,
        month,
        path,
        path_hash,
        nodes,
        executions,
        succeeded,
        failed,
        failure_rate,
        avg_duration_ms,
        cast(executions as double)
        / sum(executions) over (partition by org_id, workflow_id, month)
            as share_of_workflow_executions,
        row_number() over (
            partition by org_id, workflow_id, month
            order by executions desc, path asc
        ) as variant_rank

    from variants

)

select * from final

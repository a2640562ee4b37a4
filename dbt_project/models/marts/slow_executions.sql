{#- Terminal executions slower than their workflow's p95 of the day, with the first
    node run that was itself slow for its node.

    The thresholds are the published ones, so an analyst finds the same numbers there:
    the execution p95 is workflow_runs_daily.p95_duration_ms (terminal executions of
    the workflow that day) and a node's p95 is node_reliability_daily.p95_duration_ms
    (finished runs of that node of the workflow that day). Both are of the execution's
    start day, so the model is day-partitioned like its inputs. -#}

{{ day_partitioned() }}

with

executions as (

    select * from {{ ref('fct_executions') }}
    where {{ in_dirty_partitions('day') }} and {{ is_terminal('status') }}

),

workflow_days as (

    select * from {{ ref('workflow_runs_daily') }}
    where {{ in_dirty_partitions('day') }}

),

node_runs as (

    select * from {{ ref('int_node_runs') }}
    where {{ in_dirty_partitions('day') }}

),

node_days as (

    select * from {{ ref('node_reliability_daily') }}
    where {{ in_dirty_partitions('day') }}

),

slow as (

    select
        executions.org_id,
        executions.workflow_id,
        executions.day,
        executions.execution_id,
        executions.status,
        executions.started_at,
        executions.duration_ms,
        workflow_days.p95_duration_ms,
        executions.duration_ms - workflow_days.p95_duration_ms as excess_ms

    from executions
    inner join workflow_days
        on
            executions.org_id = workflow_days.org_id
            and executions.workflow_id = workflow_days.workflow_id
            and executions.day = workflow_days.day
    where executions.duration_ms > workflow_days.p95_duration_ms

),

slow_node_runs as (

    select
        node_runs.execution_id,
        node_runs.node_run_id,
        node_runs.node_id,
        node_runs.node_type,
        node_runs.started_at,
        node_runs.duration_ms,
        node_days.p95_duration_ms

    from node_runs
    inner join node_days
        on
            node_runs.org_id = node_days.org_id
            and node_runs.workflow_id = node_days.workflow_id
            and node_runs.node_id = node_days.node_id
            and node_runs.node_type = node_days.node_type
            and node_runs.day = node_days.day
    where
        node_runs.duration_ms > node_days.p95_duration_ms
        and node_runs.execution_id in (select slow.execution_id from slow)

),

first_slow_nodes as (

    select
        execution_id,
        arg_min(node_id, (started_at, node_run_id)) as node_id,
        arg_min(node_type, (started_at, node_run_id)) as node_type,
        arg_min(duration_ms, (started_at, node_run_id)) as duration_ms,
        arg_min(p95_duration_ms, (started_at, node_run_id)) as p95_duration_ms

    from slow_node_runs
    group by execution_id

),

final as (

    select
        slow.org_id,
        slow.workflow_id,
        slow.day,
        slow.execution_id,
        slow.status,
        slow.started_at,
        slow.duration_ms,
        slow.p95_duration_ms,
        slow.excess_ms,
        first_slow_nodes.node_id as first_slow_node_id,
        first_slow_nodes.node_type as first_slow_node_type,
        first_slow_nodes.duration_ms as first_slow_node_duration_ms,
        first_slow_nodes.p95_duration_ms as node_p95_duration_ms

    from slow
    left join first_slow_nodes on slow.execution_id = first_slow_nodes.execution_id

)

select * from final

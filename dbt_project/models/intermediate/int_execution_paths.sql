{#- The path of every execution: the nodes it ran, in order, as one string
    (execution_path_variants groups executions by it).

    Order: the trigger first (every execution has exactly one trigger run, recorded or
    the synthetic `__trigger__` of int_node_runs, which has no start time), then the
    other node runs by start_time, then node run id.

    Loops and repeats: a node that ran more than once in the execution (loop
    iterations: node_instance.iteration 0, 1, 2 ...) is one step, placed at its first
    run and written `node_id xN`, N its runs. The engine writes a loop's body as one
    run per node and iteration, so the raw sequence repeats whole blocks (`n4 > n5 >
    n6 > n4 > n5 > n6`); folding them keeps a variant per route through the workflow
    and its loop count (`n4 x2 > n5 x2 > n6 x2`) instead of a long unreadable string.
    Retries are not separate runs (node_instance.attempts) and add no step.

    Day-partitioned like int_node_runs (the execution's start day), so a refresh
    recomputes the paths of the dirty days only. -#}

{{ day_partitioned() }}

with

node_runs as (

    select * from {{ ref('int_node_runs') }}
    where {{ in_dirty_partitions('day') }}

),

ordered as (

    select
        execution_id,
        org_id,
        workflow_id,
        day,
        node_id,
        row_number() over (
            partition by execution_id
            order by not is_trigger, started_at, node_run_id
        ) as position

    from node_runs

),

steps as (

    select
        execution_id,
        org_id,
        workflow_id,
        day,
        node_id,
        min(position) as first_position,
        count(*) as runs

    from ordered
    group by execution_id, org_id, workflow_id, day, node_id

),

paths as (

    select
        execution_id,
        org_id,
        workflow_id,
        day,
        cast(sum(runs) as bigint) as node_runs,
        count(*) as nodes,
        string_agg(
            case when runs > 1 then node_id || ' x' || runs else node_id end,
            ' > ' order by first_position
        ) as path

    from steps
    group by execution_id, org_id, workflow_id, day

),

final as (

    select
        execution_id,
        org_id,
        workflow_id,
        day,
        path,
        nodes,
        node_runs,
        md5(path) as path_hash

    from paths

)

select * from final

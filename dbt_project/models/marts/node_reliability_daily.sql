{#- Reliability of each node of each workflow per UTC day of its execution's start
    (METRICS.md), from trigger-normalized node runs: an execution whose engine wrote
    no trigger row counts one successful attempt of node `__trigger__`.

    Built after int_execution_paths, never beside it: both hold every node run of the
    rebuilt days in aggregates that cannot spill to disk (percentiles, ordered string
    aggregation), and on a first build of a long history the two at once exceeded the
    warehouse's memory limit. -#}

-- depends_on: {{ ref('int_execution_paths') }}

{{ day_partitioned() }}

with

node_runs as (

    select * from {{ ref('int_node_runs') }}
    where {{ in_dirty_partitions('day') }}

),

final as (

    select
        org_id,
        workflow_id,
        node_id,
        node_type,
        day,
        {{ node_run_metrics() }}

    from node_runs
    group by org_id, workflow_id, node_id, node_type, day

)

select * from final

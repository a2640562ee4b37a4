{#- Reliability of each node type across all organizations per UTC day of the
    execution's start (METRICS.md), from the trigger-normalized node runs themselves:
    the p95 is never derived from node_reliability_daily rows. Built after it (and
    int_execution_paths), never beside them: see node_reliability_daily. -#}

-- depends_on: {{ ref('node_reliability_daily') }}

{{ day_partitioned() }}

with

node_runs as (

    select * from {{ ref('int_node_runs') }}
    where {{ in_dirty_partitions('day') }}

),

final as (

    select
        node_type,
        day,
        {{ node_run_metrics() }}

    from node_runs
    group by node_type, day

)

select * from final

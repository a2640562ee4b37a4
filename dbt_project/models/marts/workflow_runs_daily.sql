{#- Runs of each workflow per UTC day of start_time (METRICS.md, run marts). -#}

{{ day_partitioned() }}

with

executions as (

    select * from {{ ref('fct_executions') }}
    where {{ in_dirty_partitions('day') }}

),

final as (

    select
        org_id,
        workflow_id,
        day,
        {{ run_metrics() }}

    from executions
    group by org_id, workflow_id, day

)

select * from final

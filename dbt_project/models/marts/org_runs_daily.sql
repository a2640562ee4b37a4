{#- Runs of each organization per UTC day of start_time (METRICS.md, run marts),
    from the execution rows of that organization and day, never from workflow rows. -#}

{{ day_partitioned() }}

with

executions as (

    select * from {{ ref('fct_executions') }}
    where {{ in_dirty_partitions('day') }}

),

final as (

    select
        org_id,
        day,
        {{ run_metrics() }}

    from executions
    group by org_id, day

)

select * from final

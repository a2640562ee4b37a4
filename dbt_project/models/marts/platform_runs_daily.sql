{#- Runs of the whole platform per UTC day of start_time (METRICS.md, run marts), from
    every execution of the day, never from organization or workflow rows. -#}

{{ day_partitioned() }}

with

executions as (

    select * from {{ ref('fct_executions') }}
    where {{ in_dirty_partitions('day') }}

),

final as (

    select
        day,
        {{ run_metrics() }}

    from executions
    group by day

)

select * from final

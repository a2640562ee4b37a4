{#- Runs of each workflow per UTC hour of start_time (METRICS.md, run marts). The
    percentiles come from that hour's executions. Day-partitioned by the UTC day of
    start_time: an hour lies within one day, so rebuilding a day rebuilds its hours. -#}

{{ day_partitioned() }}

with

executions as (

    select * from {{ ref('fct_executions') }}
    where {{ in_dirty_partitions('day') }}

),

hourly as (

    select
        *,
        date_trunc('hour', started_at) as hour

    from executions

),

final as (

    select
        org_id,
        workflow_id,
        hour,
        day,
        {{ run_metrics() }}

    from hourly
    group by org_id, workflow_id, hour, day

)

select * from final

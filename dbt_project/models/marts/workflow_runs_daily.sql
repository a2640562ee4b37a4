{#- Runs of each workflow per UTC day of start_time (METRICS.md, run marts). -#}

with

executions as (

    select * from {{ ref('fct_executions') }}

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

{#- The day the operations layer's comparisons and forecasts end on (issue 7): the last
    complete UTC day, i.e. yesterday, or the newest day with executions when the
    source stops earlier (a demo, a test source), so a partly elapsed day never reads
    as a drop. first_day is where the history of executions starts. -#}

with

executions_by_day as (

    select day from {{ ref('platform_runs_daily') }}

),

final as (

    select
        min(day) as first_day,
        least(max(day), {{ utc_today() }} - 1) as as_of_day

    from executions_by_day
    having count(*) > 0

)

select * from final

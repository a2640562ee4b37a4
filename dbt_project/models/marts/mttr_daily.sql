{#- Incidents and recovery per workflow and UTC day (METRICS.md, mttr_daily).

    Rows: a (workflow, day) exists when an incident of the workflow opened that day,
    was resolved that day, or was open at its end: every day from an incident's
    started_at day to its resolved_at day. An unresolved incident stays open through
    the day of its workflow's last terminal execution (the last failure of that
    incident): the warehouse knows nothing later about it. Days without any incident
    activity have no row.

    A full table, as incidents (see there): incidents span days and cannot be rebuilt
    per day; the rebuild reads the incidents and one aggregate of the terminal
    executions. -#}

with

incidents as (

    select * from {{ ref('incidents') }}

),

executions as (

    select * from {{ ref('fct_executions') }}
    where {{ is_terminal('status') }} and ended_at is not null

),

workflow_last_activity as (

    select
        workflow_id,
        max(ended_at) as last_ended_at

    from executions
    group by workflow_id

),

incident_spans as (

    select
        incidents.org_id,
        incidents.workflow_id,
        incidents.time_to_recovery_s,
        cast(incidents.started_at as date) as opened_day,
        cast(incidents.resolved_at as date) as resolved_day,
        coalesce(
            cast(incidents.resolved_at as date),
            cast(workflow_last_activity.last_ended_at as date)
        ) as last_day

    from incidents
    left join workflow_last_activity
        on incidents.workflow_id = workflow_last_activity.workflow_id

),

incident_days as (

    select
        incident_spans.*,
        cast(spanned.day as date) as day

    from incident_spans
    cross join unnest(generate_series(
        incident_spans.opened_day, incident_spans.last_day, interval 1 day
    )) as spanned (day)

),

final as (

    select
        org_id,
        workflow_id,
        day,
        count(*) filter (where opened_day = day) as incidents_opened,
        count(*) filter (where resolved_day = day) as incidents_resolved,
        avg(time_to_recovery_s) filter (where resolved_day = day) as mttr_s,
        count(*) filter (
            where opened_day <= day and (resolved_day is null or resolved_day > day)
        ) as open_incidents

    from incident_days
    group by org_id, workflow_id, day

)

select * from final

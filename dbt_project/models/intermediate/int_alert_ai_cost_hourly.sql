{#- AI calls and their cost per organization, workflow and UTC hour of created_at: the
    hourly sums behind the ai_cost_usd alert metric (there is no hourly AI mart). A call
    belongs to its execution's workflow (METRICS.md); a call whose execution is unknown
    has a NULL workflow_id and counts for its organization only. The organization is the
    call's own, as in ai_usage_daily. cost_units keeps the source unit (cost_cents, US
    cents x 100) summed as integers: exact; dollars = cost_units / 10000.

    Day-partitioned on the call's day: a changed execution (a new workflow, a late
    arrival, a quarantine) marks the days of its calls dirty (orchestration/partitions.py),
    so a day partition never keeps a stale attribution. -#}

{{ day_partitioned() }}

with

ai_calls as (

    select * from {{ ref('stg_ai_execution_history') }}
    where {{ in_dirty_partitions('day') }}

),

executions as (

    select * from {{ ref('stg_process_instance') }}

),

attributed as (

    select
        ai_calls.org_id,
        executions.workflow_id,
        ai_calls.cost_cents,
        ai_calls.day,
        date_trunc('hour', ai_calls.created_at) as hour

    from ai_calls
    left join executions on ai_calls.execution_id = executions.execution_id

),

final as (

    select
        org_id,
        workflow_id,
        hour,
        day,
        cast(sum(cost_cents) as bigint) as cost_units,
        count(*) as ai_calls

    from attributed
    group by org_id, workflow_id, hour, day

)

select * from final

{#- Active workflows and credentials per organization as they stood at the end of each
    month that billing cares about (a month with top-level executions or a usage record),
    the current month as of now. See macro standing_at for the history and fallback. -#}

with

executions as (

    select * from {{ ref('fct_executions') }}

),

usage_records as (

    select * from {{ ref('stg_usage_record') }}

),

workflow_versions as (

    select * from {{ ref('stg_workflow_versions') }}

),

credential_versions as (

    select * from {{ ref('stg_credential_versions') }}

),

months as (

    select distinct {{ month_of('started_at') }} as month
    from executions
    where parent_execution_id is null
    union
    select month from usage_records

),

month_ends as (

    select
        month,
        least(month + interval 1 month, {{ utc_now() }}) as as_of

    from months

),

standing as (

    select
        month,
        org_id,
        'workflow' as kind
    from ({{ standing_at('workflow_versions', 'month_ends', 'workflow_versions.is_active') }})
    union all
    select
        month,
        org_id,
        'credential' as kind
    from ({{ standing_at('credential_versions', 'month_ends') }})

),

final as (

    select
        month,
        org_id,
        count(*) filter (where kind = 'workflow') as active_workflows,
        count(*) filter (where kind = 'credential') as credentials

    from standing
    group by month, org_id

)

select * from final

{#- Runs per workflow, UTC month of start_time, and local day of week and hour in the
    organization's own time zone (METRICS.md), daylight-saving changes included.

    Incremental by month (month_partitions macros), not a full table: a month cannot be
    rebuilt from one day, so every month containing a dirty day is deleted and rebuilt
    from fct_executions, whose other days are unchanged. A time-zone change of an
    organization marks no day, so each row keeps the `timezone` it was computed in: the
    pre-hook also deletes every row of an organization whose current time zone differs,
    and the organizations left without any row are rebuilt whole. An execution whose
    organization is unknown is placed in UTC until the organization arrives. -#}

{{ month_partitioned(also_delete="org_id in (
    select stored.org_id
    from {{ this }} as stored
    left join {{ ref('stg_organization') }} as organizations
        on stored.org_id = organizations.org_id
    where stored.timezone <> coalesce(organizations.timezone, 'UTC')
)") }}

with

executions as (

    select * from {{ ref('fct_executions') }}
    where
        {{ in_dirty_months('day') }}
        {% if is_incremental() -%}
            or org_id not in (select stored.org_id from {{ this }} as stored)
        {%- endif %}

),

organizations as (

    select * from {{ ref('stg_organization') }}

),

localized as (

    select
        executions.org_id,
        executions.workflow_id,
        coalesce(organizations.timezone, 'UTC') as timezone,
        {{ month_of('executions.started_at') }} as month,
        timezone(
            coalesce(organizations.timezone, 'UTC'),
            timezone('UTC', executions.started_at)
        ) as local_started_at

    from executions
    left join organizations on executions.org_id = organizations.org_id

),

final as (

    select
        org_id,
        workflow_id,
        month,
        cast(isodow(local_started_at) - 1 as integer) as local_day_of_week,
        cast(hour(local_started_at) as integer) as local_hour,
        timezone,
        count(*) as runs

    from localized
    group by all

)

select * from final

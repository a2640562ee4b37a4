{#- Monthly usage against plan limits per billing owner (METRICS.md). An organization's
    usage counts toward its billing owner: itself, or the agency that bills it. Only
    top-level executions count (sub-processes are part of their parent's run). A full
    table: a few rows per owner and month, rebuilt every run because the current month's
    inventory is "as of now" and a late change can touch any month. -#}

with

executions as (

    select * from {{ ref('fct_executions') }}
    where parent_execution_id is null

),

organizations as (

    select * from {{ ref('stg_organization') }}

),

plans as (

    select * from {{ ref('stg_plan') }}

),

usage_records as (

    select * from {{ ref('stg_usage_record') }}

),

inventory as (

    select * from {{ ref('int_org_inventory_monthly') }}

),

owner_executions as (

    select
        {{ month_of('executions.started_at') }} as month,
        coalesce(organizations.billing_owner_id, executions.org_id) as billing_owner_id,
        count(*) as executions

    from executions
    left join organizations on executions.org_id = organizations.org_id
    group by all

),

owner_inventory as (

    select
        inventory.month,
        cast(sum(inventory.active_workflows) as bigint) as active_workflows,
        cast(sum(inventory.credentials) as bigint) as credentials,
        coalesce(organizations.billing_owner_id, inventory.org_id) as billing_owner_id

    from inventory
    left join organizations on inventory.org_id = organizations.org_id
    group by all

),

owner_months as (

    select
        billing_owner_id,
        month
    from owner_executions
    union
    select
        billing_owner_id,
        month
    from usage_records

),

owner_limits as (

    select
        organizations.org_id as billing_owner_id,
        plans.execution_limit,
        plans.active_workflow_limit,
        plans.credential_limit

    from organizations
    inner join plans on organizations.tier = plans.tier

),

usage as (

    select
        owner_months.billing_owner_id,
        owner_months.month,
        owner_limits.execution_limit,
        owner_limits.active_workflow_limit,
        owner_limits.credential_limit,
        usage_records.billed_executions,
        coalesce(owner_executions.executions, 0) as executions,
        coalesce(owner_inventory.active_workflows, 0) as active_workflows,
        coalesce(owner_inventory.credentials, 0) as credentials

    from owner_months
    left join owner_executions
        on
            owner_months.billing_owner_id = owner_executions.billing_owner_id
            and owner_months.month = owner_executions.month
    left join owner_inventory
        on
            owner_months.billing_owner_id = owner_inventory.billing_owner_id
            and owner_months.month = owner_inventory.month
    left join usage_records
        on
            owner_months.billing_owner_id = usage_records.billing_owner_id
            and owner_months.month = usage_records.month
    left join owner_limits on owner_months.billing_owner_id = owner_limits.billing_owner_id

),

final as (

    select
        billing_owner_id,
        month,
        executions,
        execution_limit,
        {{ safe_ratio('100 * executions', 'execution_limit') }} as pct_of_execution_limit,
        active_workflows,
        active_workflow_limit,
        credentials,
        credential_limit,
        coalesce(executions > execution_limit, false)
        or coalesce(active_workflows > active_workflow_limit, false)
        or coalesce(credentials > credential_limit, false) as over_any_limit,
        billed_executions,
        executions - billed_executions as billing_difference,
        {{ safe_ratio('executions - billed_executions', 'billed_executions') }}
            as billing_difference_rate

    from usage

)

select * from final

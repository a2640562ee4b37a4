with

source as (

    {{ unquarantined('alert_rule') }}

),

renamed as (

    select
        id as rule_id,
        organization_id as org_id,
        workflow_id,
        metric,
        operator,
        threshold,
        window_minutes,
        enabled as is_enabled,
        created_at,
        updated_at

    from source

)

select * from renamed

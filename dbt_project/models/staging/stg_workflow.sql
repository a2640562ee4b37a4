with

source as (

    {{ unquarantined('workflow') }}

),

renamed as (

    select
        id as workflow_id,
        organization_id as org_id,
        {{ personal_data_masked('name') }} as workflow_name,
        trigger_type,
        is_active,
        created_at,
        updated_at,
        deleted_at

    from source

)

select * from renamed

with

source as (

    {{ unquarantined('organization') }}

),

renamed as (

    select
        id as org_id,
        {{ personal_data_masked('name') }} as org_name,
        tier,
        billing_owner_id,
        agency_id,
        timezone,
        created_at,
        updated_at

    from source

)

select * from renamed

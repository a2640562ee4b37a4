with

source as (

    {{ unquarantined('credential') }}

),

renamed as (

    select
        id as credential_id,
        organization_id as org_id,
        type as credential_type,
        created_at,
        updated_at,
        deleted_at

    from source

)

select * from renamed

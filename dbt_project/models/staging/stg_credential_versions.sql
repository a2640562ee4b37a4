{#- Every known version of every credential (snapshot credential_history). -#}

with

source as (

    select * from {{ ref('credential_history') }}

),

renamed as (

    select
        id as credential_id,
        organization_id as org_id,
        created_at,
        deleted_at,
        {{ version_validity() }}

    from source

)

select * from renamed

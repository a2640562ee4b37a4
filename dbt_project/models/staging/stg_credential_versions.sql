{#- Every known version of every credential (snapshot credential_history). -#}

with

source as (

    select * from {{ ref('credential_history') }}

),

renamed as (

    select
        credential_id,
        org_id,
        created_at,
        deleted_at,
        {{ version_validity('credential_id') }}

    from source

)

select * from renamed

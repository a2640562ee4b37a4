{#- Every known version of every workflow (snapshot workflow_history). -#}

with

source as (

    select * from {{ ref('workflow_history') }}

),

renamed as (

    select
        workflow_id,
        org_id,
        is_active,
        created_at,
        deleted_at,
        {{ version_validity('workflow_id') }}

    from source

)

select * from renamed

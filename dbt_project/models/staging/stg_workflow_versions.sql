{#- Every known version of every workflow (snapshot workflow_history). -#}

with

source as (

    select * from {{ ref('workflow_history') }}

),

renamed as (

    select
        id as workflow_id,
        organization_id as org_id,
        is_active,
        created_at,
        deleted_at,
        {{ version_validity() }}

    from source

)

select * from renamed

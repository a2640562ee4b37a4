with

source as (

    {{ unquarantined('plan') }}

),

renamed as (

    select
        tier,
        monthly_execution_limit as execution_limit,
        active_workflow_limit,
        credential_limit

    from source

)

select * from renamed

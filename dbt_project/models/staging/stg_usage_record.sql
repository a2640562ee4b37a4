with

source as (

    {{ unquarantined('usage_record') }}

),

renamed as (

    select
        billing_owner_id,
        period_start as month,
        executions_counted as billed_executions

    from source

)

select * from renamed

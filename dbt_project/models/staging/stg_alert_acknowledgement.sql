with

source as (

    {{ unquarantined('alert_acknowledgement') }}

),

renamed as (

    select
        alert_id,
        {{ personal_data_masked('acknowledged_by') }} as acknowledged_by,
        acknowledged_at,
        note

    from source

)

select * from renamed

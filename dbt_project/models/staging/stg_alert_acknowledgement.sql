with

source as (

    {{ unquarantined('alert_acknowledgement') }}

),

renamed as (

    select
        alert_id,
        acknowledged_by,
        acknowledged_at,
        note

    from source

)

select * from renamed

with

source as (

    {{ unquarantined('execution_log') }}

),

renamed as (

    select
        id as log_line_id,
        process_instance_id as execution_id,
        organization_id as log_org_id,
        node_id,
        level,
        message,
        created_at,
        cast(created_at as date) as day

    from source

)

select * from renamed

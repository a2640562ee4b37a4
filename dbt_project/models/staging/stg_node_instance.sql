with

source as (

    {{ unquarantined('node_instance') }}

),

renamed as (

    select
        id as node_run_id,
        process_instance_id as execution_id,
        organization_id as org_id,
        node_id,
        node_name,
        node_type,
        status_cd,
        attempts,
        iteration,
        error_handled,
        start_time as started_at,
        end_time as ended_at,
        error_details,
        output,
        updated_at,
        node_type like '%Trigger' as is_trigger

    from source

)

select * from renamed

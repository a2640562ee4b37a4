with

source as (

    {{ unquarantined('process_instance') }}

),

renamed as (

    select
        id as execution_id,
        organization_id as org_id,
        process_meta_id as workflow_id,
        {{ personal_data_masked('process_name') }} as workflow_name,
        parent_instance_id as parent_execution_id,
        trigger_type,
        state_cd,
        start_time as started_at,
        end_time as ended_at,
        variables,
        updated_at,
        cast(start_time as date) as day

    from source

)

select * from renamed

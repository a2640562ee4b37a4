with

source as (

    {{ unquarantined('ai_execution_history') }}

),

renamed as (

    select
        id as ai_call_id,
        process_instance_id as execution_id,
        node_instance_id,
        organization_id as org_id,
        model_provider,
        model_name,
        tokens_used,
        cost_cents,
        execution_time_ms,
        success,
        tools_used,
        created_at,
        cast(created_at as date) as day

    from source

)

select * from renamed

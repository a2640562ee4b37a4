with

source as (

    {{ unquarantined('review_task') }}

),

renamed as (

    select
        id as review_task_id,
        organization_id as review_org_id,
        process_instance_id as execution_id,
        node_instance_id as node_run_id,
        subject_id,
        round,
        reviewer_id,
        status,
        feedback,
        created_at,
        decided_at,
        updated_at,
        cast(decided_at as date) as day

    from source

)

select * from renamed

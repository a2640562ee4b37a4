{#- One row per node run as the source recorded it (trigger normalization is in
    int_node_runs). attempts is at least 1: see below. -#}

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
        iteration,
        error_handled,
        start_time as started_at,
        end_time as ended_at,
        error_details,
        output,
        updated_at,
        -- A node run counts at least one attempt (METRICS.md: the run is the first try):
        -- the contract accepts attempts = 0, an engine's "not tried yet", which counts
        -- as that one attempt and no retry. Defined here once, for every mart.
        greatest(attempts, 1) as attempts,
        node_type like '%Trigger' as is_trigger

    from source

)

select * from renamed

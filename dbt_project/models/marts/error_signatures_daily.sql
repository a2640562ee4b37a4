{#- Failed node runs (status_cd 7, handled or not) per workflow, node type, error
    signature and day (METRICS.md, error_signatures_daily). Day = UTC day of the
    execution's start_time, carried by int_node_runs, so an execution and all its
    errors share one partition; first/last seen are the failed node runs' start_time.
    The sample is the first failure's message with personal data and secrets masked
    (macros/personal_data.sql), as the signature masks them. -#}

{{ day_partitioned() }}

with

node_runs as (

    select * from {{ ref('int_node_runs') }}
    where {{ in_dirty_partitions('day') }}

),

failed_node_runs as (

    select
        org_id,
        workflow_id,
        node_type,
        execution_id,
        node_run_id,
        started_at,
        error_details,
        {{ error_signature('error_details') }} as error_signature,
        day

    from node_runs
    where status_cd = 7

),

final as (

    select
        org_id,
        workflow_id,
        node_type,
        error_signature,
        day,
        count(*) as occurrences,
        count(distinct execution_id) as executions_affected,
        min(started_at) as first_seen_at,
        max(started_at) as last_seen_at,
        {{ personal_data_masked('arg_min(error_details, (started_at, node_run_id))') }}
            as sample_message

    from failed_node_runs
    group by org_id, workflow_id, node_type, error_signature, day

)

select * from final

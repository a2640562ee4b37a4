{#- Log lines per workflow and UTC day of the log line's created_at (METRICS.md). A
    line belongs to its execution's organization and workflow; lines whose execution
    is unknown to the warehouse are left out (as node runs are). Day-partitioned by
    the line's own day: extraction marks the created_at day of new lines dirty. -#}

{{ day_partitioned() }}

with

log_lines as (

    select * from {{ ref('stg_execution_log') }}
    where {{ in_dirty_partitions('day') }}

),

executions as (

    select * from {{ ref('stg_process_instance') }}

),

attributed as (

    select
        executions.org_id,
        executions.workflow_id,
        log_lines.day,
        log_lines.level

    from log_lines
    inner join executions on log_lines.execution_id = executions.execution_id

),

final as (

    select
        org_id,
        workflow_id,
        day,
        count(*) as log_lines,
        count(*) filter (where level = 'ERROR') as error_lines,
        count(*) filter (where level = 'WARN') as warn_lines

    from attributed
    group by org_id, workflow_id, day

)

select * from final

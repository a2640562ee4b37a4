{#- Human review outcomes per workflow and UTC day of decided_at (METRICS.md), from the
    decided review tasks with their execution's organization and workflow. A subject's
    first pass is its round-1 task, counted on the day that task was decided. -#}

{{ day_partitioned() }}

with

reviews as (

    select * from {{ ref('int_decided_reviews') }}
    where {{ in_dirty_partitions('day') }}

),

final as (

    select
        org_id,
        workflow_id,
        day,
        count(*) as decided,
        count(*) filter (where status = 'approved') as approved,
        count(*) filter (where status = 'revision_requested') as revision_requested,
        count(*) filter (where status = 'rejected') as rejected,
        count(distinct subject_id) filter (where round = 1) as first_pass_subjects,
        count(distinct subject_id) filter (
            where round = 1 and status = 'approved'
        ) as first_pass_approved,
        {{ safe_ratio(
            "count(distinct subject_id) filter (where round = 1 and status = 'approved')",
            "count(distinct subject_id) filter (where round = 1)",
        ) }} as first_pass_approval_rate,
        avg(turnaround_s) as avg_turnaround_s,
        quantile_cont(turnaround_s, 0.50) as p50_turnaround_s,
        quantile_cont(turnaround_s, 0.90) as p90_turnaround_s

    from reviews
    group by org_id, workflow_id, day

)

select * from final

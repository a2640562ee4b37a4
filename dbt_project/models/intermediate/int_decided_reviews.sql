{#- Decided review tasks (METRICS.md: approved, revision_requested or rejected, with
    decided_at set; pending and cancelled are not decided), with their execution's
    organization and workflow and the turnaround decided_at - created_at in seconds.
    Reviews whose execution is unknown, and rounds after a gap in their subject's
    rounds (int_review_round_gaps), are left out. A view: the review marts filter
    it on their dirty days or months, and the filter reaches the scans. -#}

{{ config(materialized='view') }}

with

reviews as (

    select * from {{ ref('stg_review_task') }}
    where
        status in ('approved', 'revision_requested', 'rejected')
        and decided_at is not null

),

executions as (

    select * from {{ ref('stg_process_instance') }}

),

round_gaps as (

    select * from {{ ref('int_review_round_gaps') }}

),

joined as (

    select
        reviews.review_task_id,
        executions.org_id,
        executions.workflow_id,
        reviews.execution_id,
        reviews.subject_id,
        reviews.round,
        reviews.status,
        reviews.feedback,
        reviews.created_at,
        reviews.decided_at,
        reviews.day,
        (epoch_us(reviews.decided_at) - epoch_us(reviews.created_at)) / 1e6
            as turnaround_s

    from reviews
    inner join executions on reviews.execution_id = executions.execution_id
    anti join round_gaps on reviews.review_task_id = round_gaps.review_task_id

)

select * from joined

{#- Review tasks whose round comes after a missing round of their subject (rounds 1 and
    3 but no 2; or no round 1 at all): their place in the review sequence is unknown,
    so no review mart counts them (int_decided_reviews) and quarantined_rows lists them.
    A round r follows a gap when fewer than r distinct rounds of the subject are <= r. -#}

{{ config(materialized='view') }}

with

reviews as (

    select * from {{ ref('stg_review_task') }}

),

ranked as (

    select
        review_task_id,
        subject_id,
        round,
        dense_rank() over (partition by subject_id order by round) as rounds_so_far

    from reviews

)

select
    review_task_id,
    subject_id,
    round
from ranked
where rounds_so_far < round

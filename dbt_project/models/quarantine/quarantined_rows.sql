{#- Every source row no mart counts, with the rules it broke and its values as read.

    Row rules (types, NULLs, known codes, bounds, JSON, time zones, ordered times,
    duplicate keys) are checked at extraction, which keeps the bad rows in raw history
    with their reasons (orchestration/quarantine.py). Rules across rows are checked
    here, on every build, so a row heals when what it lacked arrives: node runs and
    reviews of an execution the warehouse does not have, and review rounds after a gap.
    A full table, rebuilt whenever raw history changed; the orphan check reads only the
    rows whose verdict can have changed (macros/orphan_candidates.sql). Not published
    (its values may hold personal data). -#}

with

rejected_at_extraction as (

    {{ rejected_at_extraction() }}

),

executions as (

    {{ unquarantined('process_instance') }}

),

node_runs as (

    {{ unquarantined('node_instance') }}

),

node_runs_to_check as (

    {{ orphan_candidates('node_runs', 'node_instance') }}

),

reviews as (

    {{ unquarantined('review_task') }}

),

reviews_to_check as (

    {{ orphan_candidates('reviews', 'review_task') }}

),

round_gaps as (

    select * from {{ ref('int_review_round_gaps') }}

),

orphan_node_runs as (

    select
        'node_instance' as table_name,
        cast(to_json(struct_pack(id := node_runs.id)) as varchar) as row_key,
        'orphan(process_instance_id)' as reasons,
        cast(to_json(node_runs) as varchar) as source_values,  -- noqa: RF02
        node_runs._extracted_at as extracted_at

    from node_runs_to_check as node_runs
    anti join executions on node_runs.process_instance_id = executions.id

),

orphan_reviews as (

    select
        'review_task' as table_name,
        cast(to_json(struct_pack(id := reviews.id)) as varchar) as row_key,
        'orphan(process_instance_id)' as reasons,
        cast(to_json(reviews) as varchar) as source_values,  -- noqa: RF02
        reviews._extracted_at as extracted_at

    from reviews_to_check as reviews
    anti join executions on reviews.process_instance_id = executions.id

),

reviews_after_round_gaps as (

    select
        'review_task' as table_name,
        cast(to_json(struct_pack(id := reviews.id)) as varchar) as row_key,
        'review_round_gap' as reasons,
        cast(to_json(reviews) as varchar) as source_values,  -- noqa: RF02
        reviews._extracted_at as extracted_at

    from reviews
    semi join round_gaps on reviews.id = round_gaps.review_task_id

),

final as (

    select * from rejected_at_extraction
    union all
    select * from orphan_node_runs
    union all
    select * from orphan_reviews
    union all
    select * from reviews_after_round_gaps

)

select * from final

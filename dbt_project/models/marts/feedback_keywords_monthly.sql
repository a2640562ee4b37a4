{#- Keywords of reviewers' feedback per workflow and UTC month of decided_at
    (METRICS.md): the feedback of tasks decided as revision_requested or rejected,
    lower-cased and split on anything but letters (any script) and decimal digits;
    tokens shorter than 3 characters, all-digit tokens and the English stop words of
    the english_stop_words seed are dropped. Personal data and secrets in the feedback
    (an address, a password=...) are removed first (macros/personal_data.sql): they
    are nobody's keyword, and a fragment of them must not be published as one.

    Incremental by month (month_partitions macros): every month containing a dirty day
    is deleted and rebuilt from int_decided_reviews. A change of the stop-word seed
    marks no day: rebuild with --full-refresh after editing it. -#}

{{ month_partitioned() }}

with

reviews as (

    select * from {{ ref('int_decided_reviews') }}
    where
        status in ('revision_requested', 'rejected')
        and feedback is not null
        and {{ in_dirty_months('day') }}

),

stop_words as (

    select * from {{ ref('english_stop_words') }}

),

tokens as (

    select
        reviews.review_task_id,
        reviews.org_id,
        reviews.workflow_id,
        {{ month_of('reviews.day') }} as month,
        unnest(
            regexp_split_to_array(
                lower({{ personal_data_removed('reviews.feedback') }}), '[^\p{L}\p{Nd}]+'
            )
        ) as keyword

    from reviews

),

keywords as (

    select tokens.*
    from tokens
    where
        length(tokens.keyword) >= 3
        and not regexp_full_match(tokens.keyword, '\p{Nd}+')
        and tokens.keyword not in (select stop_words.word from stop_words)

),

counted as (

    select
        org_id,
        workflow_id,
        month,
        keyword,
        count(*) as mentions,
        count(distinct review_task_id) as reviews_mentioning

    from keywords
    group by org_id, workflow_id, month, keyword

),

final as (

    select
        org_id,
        workflow_id,
        month,
        keyword,
        mentions,
        reviews_mentioning,
        row_number() over (
            partition by org_id, workflow_id, month
            order by mentions desc, keyword asc
        ) as rank

    from counted

)

select * from final

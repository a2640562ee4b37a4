{#- AI calls per organization and model per UTC day of created_at (METRICS.md). Every
    call counts, failed ones included, in calls, tokens, cost and latency. cost_cents is
    US cents x 100, so dollars = sum / 10000 (summed as integers first: exact). -#}

{{ day_partitioned() }}

with

ai_calls as (

    select * from {{ ref('stg_ai_execution_history') }}
    where {{ in_dirty_partitions('day') }}

),

aggregated as (

    select
        org_id,
        model_provider,
        model_name,
        day,
        count(*) as calls,
        count(*) filter (where not success) as failed_calls,
        avg(execution_time_ms) as avg_latency_ms,
        quantile_cont(execution_time_ms, 0.95) as p95_latency_ms,
        sum(tokens_used) as tokens_sum,
        sum(cost_cents) as cost_units

    from ai_calls
    group by org_id, model_provider, model_name, day

),

final as (

    select
        org_id,
        model_provider,
        model_name,
        day,
        calls,
        failed_calls,
        avg_latency_ms,
        p95_latency_ms,
        cast(tokens_sum as bigint) as tokens,
        cast(cost_units as double) / 10000 as cost_usd,
        {{ safe_ratio("cast(cost_units as double) / 10000 * 1000", "tokens_sum") }}
            as cost_per_1k_tokens_usd

    from aggregated

)

select * from final

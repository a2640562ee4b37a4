{#- AI models side by side per node type over each current period, for the
    model_recommendation insights (issue 7): every model a scope used for a node type,
    paired with every other model used for that node type anywhere on the platform.
    Success rates and costs per call are platform-wide (the most calls, the fairest
    comparison); the scope's own calls and cost size what switching would save. AI calls
    belong to the node type of their node run. -#}

with

periods as (

    select * from {{ ref('int_insight_periods') }}

),

ai_calls as (

    select
        ai_calls.org_id,
        ai_calls.model_provider,
        ai_calls.model_name,
        ai_calls.cost_cents,
        ai_calls.success,
        node_runs.node_type,
        periods.window_days

    from {{ ref('stg_ai_execution_history') }} as ai_calls
    inner join periods
        on ai_calls.day between periods.current_start and periods.current_end
    inner join {{ ref('stg_node_instance') }} as node_runs
        on ai_calls.node_instance_id = node_runs.node_run_id

),

platform_models as (

    select
        window_days,
        node_type,
        model_provider,
        model_name,
        count(*) as calls,
        avg(cast(success as double)) as success_rate,
        sum(cost_cents) / 10000.0 / count(*) as cost_per_call_usd

    from ai_calls
    group by window_days, node_type, model_provider, model_name

),

scope_usage as (

    select
        window_days,
        org_id,
        node_type,
        model_provider,
        model_name,
        {{ is_platform_row('org_id') }} as is_platform,
        count(*) as calls,
        sum(cost_cents) / 10000.0 as cost_usd

    from ai_calls
    group by grouping sets (
        (window_days, org_id, node_type, model_provider, model_name),
        (window_days, node_type, model_provider, model_name)
    )

),

final as (

    select
        usage.window_days,
        usage.org_id,
        usage.node_type,
        usage.model_provider,
        usage.model_name,
        usage.calls,
        usage.cost_usd,
        used.calls as model_calls,
        used.success_rate,
        used.cost_per_call_usd,
        alternative.model_provider as alternative_model_provider,
        alternative.model_name as alternative_model_name,
        alternative.calls as alternative_calls,
        alternative.success_rate as alternative_success_rate,
        alternative.cost_per_call_usd as alternative_cost_per_call_usd,
        {{ scope_name('usage.is_platform') }} as scope

    from scope_usage as usage
    inner join platform_models as used
        on
            usage.window_days = used.window_days
            and usage.node_type = used.node_type
            and usage.model_provider = used.model_provider
            and usage.model_name = used.model_name
    inner join platform_models as alternative
        on
            usage.window_days = alternative.window_days
            and usage.node_type = alternative.node_type
            and (alternative.model_provider, alternative.model_name)
            != (usage.model_provider, usage.model_name)

)

select * from final

{#- What insights compare, for each window length, scope and period (issue 7): one row
    per (window_days, scope, org_id) with the current and the previous period's runs,
    failure rate, duration statistics and AI cost side by side. Scope `org` is one
    organization, scope `platform` (org_id NULL) all of them. Percentiles come from the
    period's execution rows, never from daily percentiles (METRICS.md). -#}

with

periods as (

    select * from {{ ref('int_insight_periods') }}

),

executions as (

    select
        executions.org_id,
        executions.status,
        executions.duration_ms,
        periods.window_days,
        executions.day >= periods.current_start as is_current

    from {{ ref('fct_executions') }} as executions
    inner join periods
        on executions.day between periods.previous_start and periods.current_end

),

ai_costs as (

    select
        ai_usage.org_id,
        ai_usage.cost_usd,
        periods.window_days,
        ai_usage.day >= periods.current_start as is_current

    from {{ ref('ai_usage_daily') }} as ai_usage
    inner join periods
        on ai_usage.day between periods.previous_start and periods.current_end

),

run_measures as (

    select
        window_days,
        org_id,
        {{ is_platform_row('org_id') }} as is_platform,
    {%- for period, condition in [('current', 'is_current'), ('previous', 'not is_current')] %}
        count(*) filter (where {{ condition }}) as {{ period }}_runs,
        count(*) filter (where {{ condition }} and status in ('succeeded', 'failed'))
            as {{ period }}_terminal_runs,
        count(*) filter (where {{ condition }} and status = 'failed') as {{ period }}_failed,
        avg(duration_ms) filter (where {{ condition }}) as {{ period }}_avg_duration_ms,
        quantile_cont(duration_ms, 0.50) filter (where {{ condition }})
            as {{ period }}_p50_duration_ms,
        quantile_cont(duration_ms, 0.95) filter (where {{ condition }})
            as {{ period }}_p95_duration_ms{{ ',' if not loop.last }}
    {%- endfor %}

    from executions
    group by grouping sets ((window_days, org_id), (window_days))

),

cost_measures as (

    select
        window_days,
        org_id,
        {{ is_platform_row('org_id') }} as is_platform,
        coalesce(sum(cost_usd) filter (where is_current), 0) as current_ai_cost_usd,
        coalesce(sum(cost_usd) filter (where not is_current), 0) as previous_ai_cost_usd

    from ai_costs
    group by grouping sets ((window_days, org_id), (window_days))

),

combined as (

    select
        runs.current_avg_duration_ms,
        runs.previous_avg_duration_ms,
        runs.current_p50_duration_ms,
        runs.previous_p50_duration_ms,
        runs.current_p95_duration_ms,
        runs.previous_p95_duration_ms,
        coalesce(runs.window_days, costs.window_days) as window_days,
        coalesce(runs.is_platform, costs.is_platform) as is_platform,
        coalesce(runs.org_id, costs.org_id) as org_id,
        coalesce(runs.current_runs, 0) as current_runs,
        coalesce(runs.previous_runs, 0) as previous_runs,
        coalesce(runs.current_terminal_runs, 0) as current_terminal_runs,
        coalesce(runs.previous_terminal_runs, 0) as previous_terminal_runs,
        coalesce(runs.current_failed, 0) as current_failed,
        coalesce(runs.previous_failed, 0) as previous_failed,
        coalesce(costs.current_ai_cost_usd, 0) as current_ai_cost_usd,
        coalesce(costs.previous_ai_cost_usd, 0) as previous_ai_cost_usd

    from run_measures as runs
    full outer join cost_measures as costs
        on
            runs.window_days = costs.window_days
            and runs.is_platform = costs.is_platform
            and runs.org_id is not distinct from costs.org_id

),

final as (

    select
        combined.window_days,
        {{ scope_name('combined.is_platform') }} as scope,
        combined.org_id,
        periods.as_of_day,
        periods.current_start,
        periods.current_end,
        periods.previous_start,
        periods.previous_end,
        combined.current_runs,
        combined.previous_runs,
        combined.current_terminal_runs,
        combined.previous_terminal_runs,
        combined.current_failed,
        combined.previous_failed,
        {{ safe_ratio('combined.current_failed', 'combined.current_terminal_runs') }}
            as current_failure_rate,
        {{ safe_ratio('combined.previous_failed', 'combined.previous_terminal_runs') }}
            as previous_failure_rate,
        combined.current_avg_duration_ms,
        combined.previous_avg_duration_ms,
        combined.current_p50_duration_ms,
        combined.previous_p50_duration_ms,
        combined.current_p95_duration_ms,
        combined.previous_p95_duration_ms,
        combined.current_ai_cost_usd,
        combined.previous_ai_cost_usd

    from combined
    inner join periods on combined.window_days = periods.window_days

)

select * from final

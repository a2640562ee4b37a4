{#- Findings for operators (issue 7): each scope's last N days against the N days
    before, for every N of var('insight_window_days'). A row is a finding: a threshold
    was crossed. Every threshold is a dbt var (dbt_project.yml), never a literal here;
    is_significant says whether the volume behind the finding is enough to act on.
    Regenerated whole on every run: it describes the periods ending on the reference
    day (int_insight_periods). -#}

with

periods as (

    select * from {{ ref('int_insight_periods') }}

),

measures as (

    select * from {{ ref('int_insight_measures') }}

),

failure_signatures as (

    select * from {{ ref('int_insight_failure_signatures') }}

),

model_alternatives as (

    select * from {{ ref('int_insight_model_alternatives') }}

),

cost_changes as (

    select
        *,
        {{ change_pct('previous_ai_cost_usd', 'current_ai_cost_usd') }} as cost_change_pct,
        {{ change_pct('previous_avg_duration_ms', 'current_avg_duration_ms') }}
            as duration_change_pct

    from measures

),

cost_spikes as (

    select
        window_days,
        scope,
        org_id,
        'cost_spike' as type,
        case
            when cost_change_pct >= {{ var('cost_spike_critical_pct') }} then 'critical'
            else 'warning'
        end as severity,
        'ai_cost_usd' as metric,
        cast(null as varchar) as subject,
        previous_ai_cost_usd as previous_value,
        current_ai_cost_usd as current_value,
        previous_ai_cost_usd >= {{ var('cost_spike_min_cost_usd') }} as is_significant,
        cast(null as varchar) as breakdown,
        printf('AI cost up %.0f %% over the last %d days', cost_change_pct, window_days)
            as headline,
        printf(
            'AI cost rose from $%.2f to $%.2f. See ai_usage_daily for the models and '
            || 'workflows behind it; a cheaper model (model_recommendation) or fewer '
            || 'retried AI calls bring it down.',
            previous_ai_cost_usd, current_ai_cost_usd
        ) as recommendations

    from cost_changes
    where cost_change_pct >= {{ var('cost_spike_warning_pct') }}

),

failure_patterns as (

    select
        measures.window_days,
        measures.scope,
        measures.org_id,
        'failure_pattern' as type,
        case
            when measures.current_failure_rate >= {{ var('failure_pattern_critical_rate') }}
                then 'critical'
            else 'warning'
        end as severity,
        'failure_rate' as metric,
        cast(null as varchar) as subject,
        measures.previous_failure_rate as previous_value,
        measures.current_failure_rate as current_value,
        measures.current_terminal_runs >= {{ var('insight_min_runs') }} as is_significant,
        signatures.breakdown,
        printf(
            '%.1f %% of finished runs failed over the last %d days',
            100 * measures.current_failure_rate, measures.window_days
        ) as headline,
        printf(
            '%d of %d finished runs failed; most often "%s" (%.0f %% of the failures). '
            || 'Fix or handle that error (error_signatures_daily, incidents), or give '
            || 'the failing node retries or an error flow.',
            measures.current_failed, measures.current_terminal_runs,
            signatures.top_error_signature, 100 * signatures.top_error_share
        ) as recommendations

    from measures
    left join failure_signatures as signatures
        on
            measures.window_days = signatures.window_days
            and measures.scope = signatures.scope
            and measures.org_id is not distinct from signatures.org_id
    where measures.current_failure_rate >= {{ var('failure_pattern_warning_rate') }}

),

duration_changes as (

    select
        window_days,
        scope,
        org_id,
        case
            when duration_change_pct > 0 then 'performance_degradation'
            else 'performance_improvement'
        end as type,
        case when duration_change_pct > 0 then 'warning' else 'info' end as severity,
        'avg_duration_ms' as metric,
        cast(null as varchar) as subject,
        previous_avg_duration_ms as previous_value,
        current_avg_duration_ms as current_value,
        least(current_terminal_runs, previous_terminal_runs) >= {{ var('insight_min_runs') }}
            as is_significant,
        cast(null as varchar) as breakdown,
        printf(
            'Average run duration %s %.0f %% over the last %d days',
            case when duration_change_pct > 0 then 'up' else 'down' end,
            abs(duration_change_pct), window_days
        ) as headline,
        case
            when duration_change_pct > 0
                then printf(
                    'Runs take %.1f s on average instead of %.1f s. slow_executions lists '
                    || 'the slowest runs and their first slow node; '
                    || 'node_reliability_daily shows which node types slowed down.',
                    current_avg_duration_ms / 1000, previous_avg_duration_ms / 1000
                )
            else printf(
                'Runs take %.1f s on average instead of %.1f s: nothing to do; '
                || 'worth knowing which change made them faster.',
                current_avg_duration_ms / 1000, previous_avg_duration_ms / 1000
            )
        end as recommendations

    from cost_changes
    where
        duration_change_pct >= {{ var('performance_degradation_warning_pct') }}
        or duration_change_pct <= -{{ var('performance_improvement_pct') }}

),

latency_ratios as (

    select
        *,
        current_p95_duration_ms / nullif(current_p50_duration_ms, 0) as current_ratio,
        previous_p95_duration_ms / nullif(previous_p50_duration_ms, 0) as previous_ratio

    from measures

),

latency_variability as (

    select
        window_days,
        scope,
        org_id,
        'latency_variability' as type,
        'warning' as severity,
        'p95_p50_duration_ratio' as metric,
        cast(null as varchar) as subject,
        previous_ratio as previous_value,
        current_ratio as current_value,
        current_terminal_runs >= {{ var('insight_min_runs') }} as is_significant,
        cast(null as varchar) as breakdown,
        printf(
            'p95 run duration is %.1f times the median over the last %d days',
            current_ratio, window_days
        ) as headline,
        printf(
            'A minority of runs is far slower than the rest (p95 %.1f s, median %.1f s): '
            || 'slow_executions names their first slow node; look for rate limits, '
            || 'large inputs or retries there.',
            current_p95_duration_ms / 1000, current_p50_duration_ms / 1000
        ) as recommendations

    from latency_ratios
    where current_ratio > {{ var('latency_variability_warning_ratio') }}

),

cheaper_models as (

    select
        *,
        row_number() over (
            partition by window_days, scope, org_id, node_type, model_provider, model_name
            order by
                alternative_cost_per_call_usd,
                alternative_model_provider,
                alternative_model_name
        ) as alternative_rank

    from model_alternatives
    where
        model_calls >= {{ var('model_recommendation_min_calls') }}
        and alternative_calls >= {{ var('model_recommendation_min_calls') }}
        and alternative_success_rate
        >= success_rate - {{ var('model_recommendation_max_success_rate_drop') }}
        and alternative_cost_per_call_usd
        <= cost_per_call_usd * (1 - {{ var('model_recommendation_min_saving_pct') }} / 100.0)

),

model_recommendations as (

    select
        window_days,
        scope,
        org_id,
        'model_recommendation' as type,
        'info' as severity,
        'cost_per_call_usd' as metric,
        node_type || ': ' || model_provider || '/' || model_name as subject,
        cost_per_call_usd as previous_value,
        alternative_cost_per_call_usd as current_value,
        calls >= {{ var('model_recommendation_min_calls') }} as is_significant,
        cast(null as varchar) as breakdown,
        printf(
            '%s/%s could replace %s/%s in %s nodes for %.0f %% less per call',
            alternative_model_provider, alternative_model_name, model_provider, model_name,
            node_type, 100 * (1 - alternative_cost_per_call_usd / cost_per_call_usd)
        ) as headline,
        printf(
            'Try %s/%s for %s nodes: $%.4f instead of $%.4f per call, succeeding in '
            || '%.1f %% instead of %.1f %% of calls (platform-wide, last %d days). At '
            || 'these %d calls that would have saved about $%.2f.',
            alternative_model_provider, alternative_model_name, node_type,
            alternative_cost_per_call_usd, cost_per_call_usd,
            100 * alternative_success_rate, 100 * success_rate, window_days,
            calls, calls * (cost_per_call_usd - alternative_cost_per_call_usd)
        ) as recommendations

    from cheaper_models
    where alternative_rank = 1

),

findings as (

    select * from cost_spikes
    union all
    select * from failure_patterns
    union all
    select * from duration_changes
    union all
    select * from latency_variability
    union all
    select * from model_recommendations

),

described as (

    select
        findings.*,
        periods.as_of_day,
        periods.current_start,
        periods.current_end,
        periods.previous_start,
        periods.previous_end,
        {{ change_pct('findings.previous_value', 'findings.current_value') }} as change_pct,
        {{ change_direction('findings.previous_value', 'findings.current_value') }}
            as direction

    from findings
    inner join periods on findings.window_days = periods.window_days

),

final as (

    select
        as_of_day,
        window_days,
        scope,
        org_id,
        type,
        severity,
        metric,
        subject,
        current_start,
        current_end,
        previous_start,
        previous_end,
        previous_value,
        current_value,
        change_pct,
        direction,
        is_significant,
        breakdown,
        recommendations,
        type
        || ':' || coalesce(org_id, 'platform')
        || coalesce(':' || subject, '')
        || ':' || window_days || 'd'
        || ':' || strftime(as_of_day, '%Y-%m-%d') as insight_id,
        coalesce(org_id, 'platform') || ': ' || headline as title,
        row_number() over (
            order by
                case severity when 'critical' then 1 when 'warning' then 2 else 3 end,
                is_significant desc,
                abs(change_pct) desc nulls last,
                type,
                org_id asc nulls first,
                subject asc,
                window_days asc
        ) as priority

    from described

)

select * from final

{#- An agency's client workspaces side by side per UTC month: six metrics, each with
    its percentile rank among the agency's workspaces and an outlier flag
    (benchmark_columns macro).

    A client workspace is an organization whose current agency_id names the agency.
    Additive measures are summed from the published daily marts (org_runs_daily,
    review_daily, ai_usage_daily); the p95 comes from the month's execution rows
    (fct_executions), never from daily p95s; MTTR averages the incidents resolved in
    the month (incidents).

    A full table: a few rows per workspace and month, and history depends on a
    dimension (a workspace moving to another agency moves all its months) and on
    incidents, a full table whose resolutions can change in any month; no dirty day
    tells which months those changes touch. -#}

with

organizations as (

    select * from {{ ref('stg_organization') }}

),

org_days as (

    select * from {{ ref('org_runs_daily') }}

),

executions as (

    select * from {{ ref('fct_executions') }}
    where {{ is_terminal('status') }}

),

incidents as (

    select * from {{ ref('incidents') }}
    where resolved_at is not null

),

review_days as (

    select * from {{ ref('review_daily') }}

),

ai_days as (

    select * from {{ ref('ai_usage_daily') }}

),

client_workspaces as (

    select
        agency_id,
        org_id,
        org_name

    from organizations
    where agency_id is not null

),

monthly_runs as (

    select
        org_id,
        {{ month_of('day') }} as month,
        cast(sum(runs) as bigint) as runs,
        cast(sum(succeeded) as bigint) as succeeded,
        cast(sum(failed) as bigint) as failed

    from org_days
    group by org_id, month

),

monthly_durations as (

    select
        org_id,
        {{ month_of('day') }} as month,
        quantile_cont(duration_ms, 0.95) as p95_duration_ms

    from executions
    where org_id in (select client_workspaces.org_id from client_workspaces)
    group by org_id, month

),

monthly_recoveries as (

    select
        org_id,
        {{ month_of('resolved_at') }} as month,
        count(*) as incidents_resolved,
        avg(time_to_recovery_s) as mttr_s

    from incidents
    group by org_id, month

),

monthly_reviews as (

    select
        org_id,
        {{ month_of('day') }} as month,
        cast(sum(first_pass_subjects) as bigint) as first_pass_subjects,
        cast(sum(first_pass_approved) as bigint) as first_pass_approved

    from review_days
    group by org_id, month

),

monthly_ai_costs as (

    select
        org_id,
        {{ month_of('day') }} as month,
        sum(cost_usd) as ai_cost_usd

    from ai_days
    group by org_id, month

),

active_months as (

    select
        org_id,
        month
    from monthly_runs
    union
    select
        org_id,
        month
    from monthly_recoveries
    union
    select
        org_id,
        month
    from monthly_reviews
    union
    select
        org_id,
        month
    from monthly_ai_costs

),

workspace_months as (

    select
        client_workspaces.agency_id,
        client_workspaces.org_id,
        client_workspaces.org_name,
        active_months.month,
        coalesce(monthly_runs.runs, 0) as runs,
        {{ safe_ratio('monthly_runs.succeeded', 'monthly_runs.succeeded + monthly_runs.failed') }}
            as success_rate,
        monthly_durations.p95_duration_ms,
        coalesce(monthly_recoveries.incidents_resolved, 0) as incidents_resolved,
        monthly_recoveries.mttr_s,
        coalesce(monthly_reviews.first_pass_subjects, 0) as first_pass_subjects,
        {{ safe_ratio(
            'monthly_reviews.first_pass_approved', 'monthly_reviews.first_pass_subjects'
        ) }} as first_pass_approval_rate,
        coalesce(monthly_ai_costs.ai_cost_usd, 0) as ai_cost_usd,
        {{ safe_ratio('coalesce(monthly_ai_costs.ai_cost_usd, 0)', 'monthly_runs.runs') }}
            as ai_cost_per_run_usd

    from client_workspaces
    inner join active_months on client_workspaces.org_id = active_months.org_id
    left join monthly_runs
        on
            active_months.org_id = monthly_runs.org_id
            and active_months.month = monthly_runs.month
    left join monthly_durations
        on
            active_months.org_id = monthly_durations.org_id
            and active_months.month = monthly_durations.month
    left join monthly_recoveries
        on
            active_months.org_id = monthly_recoveries.org_id
            and active_months.month = monthly_recoveries.month
    left join monthly_reviews
        on
            active_months.org_id = monthly_reviews.org_id
            and active_months.month = monthly_reviews.month
    left join monthly_ai_costs
        on
            active_months.org_id = monthly_ai_costs.org_id
            and active_months.month = monthly_ai_costs.month

),

benchmarked as (

    select
        *,
        count(*) over (partition by agency_id, month) as workspaces,
        {{ benchmark_columns('runs', 'agency_id, month') }},
        {{ benchmark_columns('success_rate', 'agency_id, month') }},
        {{ benchmark_columns('p95_duration_ms', 'agency_id, month') }},
        {{ benchmark_columns('mttr_s', 'agency_id, month') }},
        {{ benchmark_columns('first_pass_approval_rate', 'agency_id, month') }},
        {{ benchmark_columns('ai_cost_per_run_usd', 'agency_id, month') }}

    from workspace_months

),

final as (

    select
        agency_id,
        org_id,
        org_name,
        month,
        workspaces,
        runs,
        runs_percentile_rank,
        runs_is_outlier,
        success_rate,
        success_rate_percentile_rank,
        success_rate_is_outlier,
        p95_duration_ms,
        p95_duration_ms_percentile_rank,
        p95_duration_ms_is_outlier,
        incidents_resolved,
        mttr_s,
        mttr_s_percentile_rank,
        mttr_s_is_outlier,
        first_pass_subjects,
        first_pass_approval_rate,
        first_pass_approval_rate_percentile_rank,
        first_pass_approval_rate_is_outlier,
        ai_cost_usd,
        ai_cost_per_run_usd,
        ai_cost_per_run_usd_percentile_rank,
        ai_cost_per_run_usd_is_outlier,
        runs_is_outlier
        or success_rate_is_outlier
        or p95_duration_ms_is_outlier
        or mttr_s_is_outlier
        or first_pass_approval_rate_is_outlier
        or ai_cost_per_run_usd_is_outlier as is_outlier

    from benchmarked

)

select * from final

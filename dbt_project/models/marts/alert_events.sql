{#- Every enabled alert rule evaluated at each UTC hour boundary over its trailing
    window [window_end - window_minutes, window_end); one row where the condition held
    (alert_events.yml states every definition).

    Each rule's scope is reduced to two hourly series from the hourly marts: `measure`
    (the numerator of a rate, the count, the duration total or the cost) and `runs`
    (terminal runs, requests or AI calls: the denominator, and what the minimum-runs
    guard reads). On a dense hour grid both are summed over a trailing RANGE frame of
    window_minutes. A p95 cannot be summed (METRICS.md): it comes from the execution
    rows, with a marker row at each window end whose frame is the window.

    A full table, rebuilt on every run from the incremental hourly marts: a rule's
    current definition (threshold, operator, window, enabled) applies to its whole
    history, and an acknowledgement can arrive for any past alert, so no day of it is
    settled. -#}

with

rules as (

    select * from {{ ref('stg_alert_rule') }}
    where is_enabled

),

runs_hourly as (

    select * from {{ ref('workflow_runs_hourly') }}

),

api_hourly as (

    select * from {{ ref('api_usage_hourly') }}

),

ai_cost_hourly as (

    select * from {{ ref('int_alert_ai_cost_hourly') }}

),

executions as (

    select * from {{ ref('fct_executions') }}

),

acknowledgements as (

    select * from {{ ref('stg_alert_acknowledgement') }}

),

-- the rule's workflow's runs, or every workflow's of its organization
rule_run_hours as (

    select
        rules.rule_id,
        runs_hourly.hour,
        cast(case rules.metric
            when 'runs' then sum(runs_hourly.runs)
            when 'failed_runs' then sum(runs_hourly.failed)
            when 'failure_rate' then sum(runs_hourly.failed)
            when 'success_rate' then sum(runs_hourly.succeeded)
            when 'avg_duration_ms' then sum(runs_hourly.total_duration_ms)
        end as double) as measure,
        sum(runs_hourly.succeeded + runs_hourly.failed) as runs

    from rules
    inner join runs_hourly
        on
            rules.org_id = runs_hourly.org_id
            and (rules.workflow_id is null or rules.workflow_id = runs_hourly.workflow_id)
    where
        rules.metric in (
            'runs', 'failed_runs', 'failure_rate', 'success_rate',
            'avg_duration_ms', 'p95_duration_ms'
        )
    group by rules.rule_id, rules.metric, runs_hourly.hour

),

-- API requests have no workflow: a workflow-scoped rule sees its organization's
rule_api_hours as (

    select
        rules.rule_id,
        api_hourly.hour,
        cast(sum(api_hourly.client_errors + api_hourly.server_errors) as double) as measure,
        sum(api_hourly.requests) as runs

    from rules
    inner join api_hourly on rules.org_id = api_hourly.org_id
    where rules.metric = 'api_error_rate'
    group by rules.rule_id, api_hourly.hour

),

rule_ai_hours as (

    select
        rules.rule_id,
        ai_cost_hourly.hour,
        cast(sum(ai_cost_hourly.cost_units) as double) as measure,
        sum(ai_cost_hourly.ai_calls) as runs

    from rules
    inner join ai_cost_hourly
        on
            rules.org_id = ai_cost_hourly.org_id
            and (rules.workflow_id is null or rules.workflow_id = ai_cost_hourly.workflow_id)
    where rules.metric = 'ai_cost_usd'
    group by rules.rule_id, ai_cost_hourly.hour

),

rule_hours as (

    select * from rule_run_hours
    union all
    select * from rule_api_hours
    union all
    select * from rule_ai_hours

),

-- the newest window end the warehouse can know complete: the hour boundary before
-- the last extraction (a rebuild in a later hour has no data past it); none before
-- the first extraction
extracted_until as (

    select date_trunc('hour', max(last_extracted)) as window_end
    from {{ source('meta', 'watermarks') }}

),

-- window ends from the first hour with data + 1 h to the last + 1 h, never one that
-- had not passed at the last extraction; grid hour h is the last hour of the window
-- ending at h + 1 h
rule_extents as (

    select
        rule_hours.rule_id,
        min(rule_hours.hour) as first_hour,
        least(
            max(rule_hours.hour),
            any_value(extracted_until.window_end) - interval 1 hour
        ) as last_hour

    from rule_hours
    cross join extracted_until
    group by rule_hours.rule_id

),

rule_hour_grid as (

    select
        rule_id,
        unnest(generate_series(first_hour, last_hour, interval 1 hour)) as hour

    from rule_extents

),

hourly_measures as (

    select
        rule_hour_grid.rule_id,
        rule_hour_grid.hour,
        -- how far before a grid hour its window's first hour lies
        to_minutes(rules.window_minutes - 60) as earlier_hours_reach,
        coalesce(rule_hours.measure, 0) as measure,
        coalesce(rule_hours.runs, 0) as runs

    from rule_hour_grid
    inner join rules on rule_hour_grid.rule_id = rules.rule_id
    left join rule_hours
        on
            rule_hour_grid.rule_id = rule_hours.rule_id
            and rule_hour_grid.hour = rule_hours.hour

),

-- the frame of grid hour h: the hours of [h + 1 h - window_minutes, h + 1 h)
windowed as (

    select
        rule_id,
        hour + interval 1 hour as window_end,
        sum(measure) over trailing_window as measure,
        sum(runs) over trailing_window as runs

    from hourly_measures
    window trailing_window as (
        partition by rule_id
        order by hour
        range between earlier_hours_reach preceding and current row
    )

),

-- p95 rules: the scope's terminal executions, and one marker row per window end whose
-- frame is the window. Markers sit marker_offset (274 years) later on the time axis and
-- reach back by as much: a marker's frame is [window_start, window_end - 1 µs], i.e.
-- [window_start, window_end) at TIMESTAMP's microsecond precision, and it holds
-- executions only, never another marker, so the quantile reads no NULL (DuckDB's
-- windowed quantile is several times slower over frames holding NULLs or a FILTER).
-- An execution row's frame is its own instant: cheap, and its value is never read.
{%- set marker_offset = 'interval 100000 day' %}
duration_timeline as (

    select
        rules.rule_id,
        executions.started_at as timeline_at,
        executions.duration_ms,
        false as is_window_end,
        interval 0 minute as frame_start_reach,
        interval 0 minute as frame_end_reach

    from rules
    inner join executions
        on
            rules.org_id = executions.org_id
            and (rules.workflow_id is null or rules.workflow_id = executions.workflow_id)
    where rules.metric = 'p95_duration_ms' and executions.duration_ms is not null

    union all

    select
        rules.rule_id,
        windowed.window_end + {{ marker_offset }} as timeline_at,
        0 as duration_ms,
        true as is_window_end,
        {{ marker_offset }} + to_minutes(rules.window_minutes) as frame_start_reach,
        {{ marker_offset }} + interval 1 microsecond as frame_end_reach

    from windowed
    inner join rules on windowed.rule_id = rules.rule_id
    where rules.metric = 'p95_duration_ms'

),

window_p95 as (

    select
        rule_id,
        timeline_at - {{ marker_offset }} as window_end,
        quantile_cont(duration_ms, 0.95) over (
            partition by rule_id
            order by timeline_at
            range between frame_start_reach preceding and frame_end_reach preceding
        ) as p95_duration_ms

    from duration_timeline
    qualify is_window_end

),

evaluated as (

    select
        rules.rule_id,
        rules.org_id,
        rules.workflow_id,
        rules.metric,
        rules.operator,
        rules.threshold,
        rules.window_minutes,
        windowed.window_end - to_minutes(rules.window_minutes) as window_start,
        windowed.window_end,
        case
            when rules.metric in ('runs', 'failed_runs') then windowed.measure
            when rules.metric = 'ai_cost_usd' then windowed.measure / 10000
            when rules.metric = 'p95_duration_ms' then window_p95.p95_duration_ms
            else {{ safe_ratio('windowed.measure', 'windowed.runs') }}
        end as value,
        windowed.runs

    from windowed
    inner join rules on windowed.rule_id = rules.rule_id
    left join window_p95
        on
            windowed.rule_id = window_p95.rule_id
            and windowed.window_end = window_p95.window_end

),

-- the minimum-runs guard holds back rates and durations of thin windows; counts and
-- cost have none; a NULL value (a rate without a run) never fires
fired as (

    select
        *,
        rule_id || ':' || strftime(window_end, '%Y-%m-%dT%H:%M:%SZ') as alert_id

    from evaluated
    where
        (
            metric in ('runs', 'failed_runs', 'ai_cost_usd')
            or runs >= {{ var('alert_min_runs') }}
        )
        and case operator
            when '>' then value > threshold
            when '>=' then value >= threshold
            when '<' then value < threshold
            when '<=' then value <= threshold
            when '=' then value = threshold
        end

),

final as (

    select
        fired.alert_id,
        fired.rule_id,
        fired.org_id,
        fired.workflow_id,
        fired.metric,
        fired.operator,
        fired.threshold,
        fired.window_minutes,
        fired.window_start,
        fired.window_end,
        cast(fired.window_end as date) as day,
        cast(fired.value as double) as value,
        cast(fired.runs as bigint) as runs,
        acknowledgements.acknowledged_at,
        acknowledgements.acknowledged_by

    from fired
    left join acknowledgements on fired.alert_id = acknowledgements.alert_id

)

select * from final

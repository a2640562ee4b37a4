{#- Every enabled alert rule evaluated at each UTC hour boundary over its trailing
    window [window_end - window_minutes, window_end); one row where the condition held
    (alert_events.yml states every definition).

    Each rule's scope is reduced to two hourly series from the hourly marts: `measure`
    (the numerator of a rate, the count, the duration total or the cost) and `runs`
    (terminal runs, requests or AI calls: the denominator, and what the minimum-runs
    guard reads). On a dense hour grid both are summed over a trailing RANGE frame of
    window_minutes. A p95 cannot be summed (METRICS.md): it comes from the execution
    rows, with a marker row at each window end whose frame is the window.

    Incremental per rule (macros/alert_windows.sql): a refresh evaluates again only
    each rule's windows after its last data hour before the first rebuilt day, from
    the hours and executions those windows read; the earlier alerts stay, and every
    alert takes the acknowledgement it has now (post-hook). Changed rules or a changed
    project evaluate everything: a rule's current definition (threshold, operator,
    window, enabled) applies to its whole history. Without a table, the whole history
    is evaluated, as unit tests do.
-#}

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_unsettled_alerts() }}",
    post_hook="{{ refresh_alert_acknowledgements() }}",
) }}

with

rules as (

    select * from {{ ref('stg_alert_rule') }}
    where is_enabled

),

executions as (

    select * from {{ ref('fct_executions') }}

),

acknowledgements as (

    select * from {{ ref('stg_alert_acknowledgement') }}

),

-- each rule's windows ending at or before settled_until keep their verdict (incremental
-- builds: macros/alert_windows.sql; no row: none do)
settled as (

    {{ alert_settled_hours('rules') }}

),

-- data_from: the first hour that a rule's windows still to evaluate read
rule_bounds as (

    select
        rules.*,
        settled.settled_until,
        settled.settled_until + interval 1 hour - to_minutes(rules.window_minutes) as data_from

    from rules
    left join settled on rules.rule_id = settled.rule_id

),

-- the first hour any window still to evaluate reads (all of them when a rule is
-- evaluated whole): a bound the scans below can apply before their joins
data_window as (

    select
        case
            when bool_or(data_from is null) then timestamp '-infinity' else min(data_from)
        end as data_from

    from rule_bounds

),

rule_hours as (

    {{ alert_rule_hours(
        'rule_bounds',
        '{hour} >= (select data_window.data_from from data_window)'
        ~ ' and (rules.data_from is null or {hour} >= rules.data_from)'
    ) }}

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

    from rule_bounds as rules
    inner join executions
        on
            rules.org_id = executions.org_id
            and (rules.workflow_id is null or rules.workflow_id = executions.workflow_id)
    where
        rules.metric = 'p95_duration_ms'
        and executions.duration_ms is not null
        and executions.started_at >= (select data_window.data_from from data_window)
        and (rules.data_from is null or executions.started_at >= rules.data_from)

    union all

    select
        rules.rule_id,
        windowed.window_end + {{ marker_offset }} as timeline_at,
        0 as duration_ms,
        true as is_window_end,
        {{ marker_offset }} + to_minutes(rules.window_minutes) as frame_start_reach,
        {{ marker_offset }} + interval 1 microsecond as frame_end_reach

    from windowed
    inner join rule_bounds as rules on windowed.rule_id = rules.rule_id
    where
        rules.metric = 'p95_duration_ms'
        and (rules.settled_until is null or windowed.window_end > rules.settled_until)

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
    inner join rule_bounds as rules on windowed.rule_id = rules.rule_id
    left join window_p95
        on
            windowed.rule_id = window_p95.rule_id
            and windowed.window_end = window_p95.window_end
    where rules.settled_until is null or windowed.window_end > rules.settled_until

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

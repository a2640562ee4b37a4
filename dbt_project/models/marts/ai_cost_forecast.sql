{#- AI cost forecast per organization and for the platform (issue 7): a least-squares
    line through the daily AI cost of the last var('cost_forecast_history_days') days
    ending on the reference day (int_reference_day; days without AI calls cost 0, days
    before the history starts are left out), extended over the next 7 and 30 days.
    A day's projection never goes below 0. Regenerated whole on every run. -#}

with

reference_day as (

    select * from {{ ref('int_reference_day') }}

),

history as (

    select
        cast(history_day.day as date) as day,
        row_number() over (order by history_day.day) - 1 as day_index

    from reference_day
    cross join unnest(generate_series(
        greatest(
            reference_day.first_day,
            reference_day.as_of_day - {{ var('cost_forecast_history_days') }} + 1
        ),
        reference_day.as_of_day,
        interval 1 day
    )) as history_day (day)

),

daily_costs as (

    select
        ai_usage.org_id,
        ai_usage.day,
        {{ is_platform_row('ai_usage.org_id') }} as is_platform,
        sum(ai_usage.cost_usd) as cost_usd

    from {{ ref('ai_usage_daily') }} as ai_usage
    inner join history on ai_usage.day = history.day
    group by grouping sets ((ai_usage.org_id, ai_usage.day), (ai_usage.day))

),

scopes as (

    select distinct
        org_id,
        is_platform

    from daily_costs

),

series as (

    select
        scopes.org_id,
        scopes.is_platform,
        history.day,
        history.day_index,
        coalesce(daily_costs.cost_usd, 0) as cost_usd

    from scopes
    cross join history
    left join daily_costs
        on
            scopes.org_id is not distinct from daily_costs.org_id
            and scopes.is_platform = daily_costs.is_platform
            and history.day = daily_costs.day

),

recent_series as (

    select
        *,
        day_index > max(day_index) over () - 7 as is_last_week

    from series

),

trends as (

    select
        org_id,
        is_platform,
        count(*) as history_days,
        max(day_index) as last_day_index,
        avg(cost_usd) filter (where is_last_week) as current_daily_avg_usd,
        avg(cost_usd) as history_daily_avg_usd,
        -- one day of history has no trend (its regression slope is NaN): flat
        case when count(*) > 1 then regr_slope(cost_usd, day_index) else 0 end
            as trend_usd_per_day,
        case when count(*) > 1 then regr_intercept(cost_usd, day_index) else avg(cost_usd) end
            as intercept_usd,
        regr_r2(cost_usd, day_index) as r_squared

    from recent_series
    group by org_id, is_platform

),

fit_errors as (

    select
        trends.org_id,
        trends.is_platform,
        sqrt(avg(power(
            series.cost_usd - (trends.intercept_usd + trends.trend_usd_per_day * series.day_index),
            2
        ))) as rmse_usd

    from trends
    inner join series
        on
            trends.org_id is not distinct from series.org_id
            and trends.is_platform = series.is_platform
    group by trends.org_id, trends.is_platform

),

horizon as (

    select unnest(generate_series(1, 30)) as days_ahead

),

daily_projections as (

    select
        trends.org_id,
        trends.is_platform,
        horizon.days_ahead,
        greatest(
            0,
            trends.intercept_usd
            + trends.trend_usd_per_day * (trends.last_day_index + horizon.days_ahead)
        ) as cost_usd

    from trends
    cross join horizon

),

projections as (

    select
        org_id,
        is_platform,
        sum(cost_usd) filter (where days_ahead <= 7) as projected_next_7d_usd,
        sum(cost_usd) as projected_next_30d_usd

    from daily_projections
    group by org_id, is_platform

),

final as (

    select
        trends.org_id,
        reference_day.as_of_day,
        trends.history_days,
        trends.current_daily_avg_usd,
        trends.history_daily_avg_usd,
        trends.trend_usd_per_day,
        projections.projected_next_7d_usd,
        projections.projected_next_30d_usd,
        trends.r_squared,
        {{ scope_name('trends.is_platform') }} as scope,
        greatest(0, 1 - fit_errors.rmse_usd / nullif(trends.history_daily_avg_usd, 0))
            as confidence

    from trends
    cross join reference_day
    inner join fit_errors
        on
            trends.org_id is not distinct from fit_errors.org_id
            and trends.is_platform = fit_errors.is_platform
    inner join projections
        on
            trends.org_id is not distinct from projections.org_id
            and trends.is_platform = projections.is_platform

)

select * from final

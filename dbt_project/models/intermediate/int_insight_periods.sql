{#- The periods insights compare (issue 7): for each N of var('insight_window_days'),
    the N days ending on the reference day ("current", int_reference_day) against the
    N days before ("previous"). A window length is compared only once the history
    covers both periods: half a previous period would read as growth. -#}

with

reference_day as (

    select * from {{ ref('int_reference_day') }}

),

window_lengths as (

    select cast(unnest({{ var('insight_window_days') }}) as integer) as window_days

),

periods as (

    select
        window_lengths.window_days,
        reference_day.first_day,
        reference_day.as_of_day,
        reference_day.as_of_day as current_end,
        reference_day.as_of_day - window_lengths.window_days + 1 as current_start,
        reference_day.as_of_day - 2 * window_lengths.window_days + 1 as previous_start,
        reference_day.as_of_day - window_lengths.window_days as previous_end

    from window_lengths
    cross join reference_day

),

final as (

    select
        window_days,
        as_of_day,
        current_start,
        current_end,
        previous_start,
        previous_end

    from periods
    where first_day <= previous_start

)

select * from final

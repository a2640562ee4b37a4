{#- The error signatures behind each scope's failed runs in the current period: the
    breakdown of failure_pattern insights (issue 7). A failed execution without a
    failing node (state 7 from an older engine) has no signature and is listed as
    `(no error signature)`, so the shares always add up to the failures listed. -#}

with

periods as (

    select * from {{ ref('int_insight_periods') }}

),

failed_executions as (

    select
        executions.org_id,
        periods.window_days,
        coalesce(executions.error_signature, '(no error signature)') as error_signature

    from {{ ref('fct_executions') }} as executions
    inner join periods
        on executions.day between periods.current_start and periods.current_end
    where executions.status = 'failed'

),

counted as (

    select
        window_days,
        org_id,
        error_signature,
        {{ is_platform_row('org_id') }} as is_platform,
        count(*) as failures

    from failed_executions
    group by grouping sets ((window_days, org_id, error_signature), (window_days, error_signature))

),

ranked as (

    select
        *,
        failures / sum(failures) over scope_failures as share,
        row_number()
            over (scope_failures order by failures desc, error_signature asc)
            as signature_rank

    from counted
    window scope_failures as (partition by window_days, is_platform, org_id)

),

final as (

    select
        window_days,
        org_id,
        cast(to_json(list(
            { 'error_signature': error_signature, 'failures': failures, 'share': round(share, 4) }
            order by signature_rank
        )) as varchar) as breakdown,
        {{ scope_name('is_platform') }} as scope,
        arg_min(error_signature, signature_rank) as top_error_signature,
        arg_min(share, signature_rank) as top_error_share

    from ranked
    where signature_rank <= {{ var('failure_pattern_top_signatures') }}
    group by window_days, is_platform, org_id

)

select * from final

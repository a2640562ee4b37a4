{#- A benchmarked metric's standing among its peers (workspace_benchmarks), written once
    for every metric: two window columns over the rows of `peers` (a partition list)
    that have a value for the metric.

    `<metric>_percentile_rank`: percent_rank() of the value among the peers' non-NULL
    values, 0 for the lowest, 1 for the highest, ties sharing the lower rank; 0 when
    only one peer has a value; NULL when the row's value is NULL.

    `<metric>_is_outlier`: the value lies strictly outside the Tukey fences
    [Q1 - k * IQR, Q3 + k * IQR] of the peers' values (continuous quartiles,
    k = var('benchmark_outlier_iqr_multiplier')); a value on a fence is not an outlier.
    Only flagged when at least var('benchmark_min_workspaces') peers have a value;
    false otherwise, and false for a NULL value. -#}
{% macro benchmark_columns(metric, peers) -%}
    {%- set window = 'over (partition by ' ~ peers ~ ')' -%}
    {%- set q1 = 'quantile_cont(' ~ metric ~ ', 0.25) ' ~ window -%}
    {%- set q3 = 'quantile_cont(' ~ metric ~ ', 0.75) ' ~ window -%}
    {%- set k = var('benchmark_outlier_iqr_multiplier') -%}
    case
        when {{ metric }} is not null
            then percent_rank() over (
                partition by {{ peers }}, {{ metric }} is null order by {{ metric }}
            )
    end as {{ metric }}_percentile_rank,
    coalesce(
        count({{ metric }}) {{ window }} >= {{ var('benchmark_min_workspaces') }}
        and (
            {{ metric }} < {{ q1 }} - {{ k }} * ({{ q3 }} - {{ q1 }})
            or {{ metric }} > {{ q3 }} + {{ k }} * ({{ q3 }} - {{ q1 }})
        ),
        false
    ) as {{ metric }}_is_outlier
{%- endmacro %}

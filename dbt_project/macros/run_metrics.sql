{#- The run counts, rates and duration statistics that every run mart publishes at its
    own grain (METRICS.md): percentiles come from the execution rows of that grain,
    never from a finer mart. Expects `status` and `duration_ms` (NULL unless terminal). -#}
{% macro run_metrics() -%}
    count(*) as runs,
    count(*) filter (where status = 'succeeded') as succeeded,
    count(*) filter (where status = 'failed') as failed,
    count(*) filter (where status = 'aborted') as aborted,
    count(*) filter (where status = 'running') as running,
    count(*) filter (where status = 'waiting') as waiting,
    {{ safe_ratio("count(*) filter (where status = 'succeeded')",
                  "count(*) filter (where status in ('succeeded', 'failed'))") }}
        as success_rate,
    {{ safe_ratio("count(*) filter (where status = 'failed')",
                  "count(*) filter (where status in ('succeeded', 'failed'))") }}
        as failure_rate,
    avg(duration_ms) as avg_duration_ms,
    coalesce(sum(duration_ms), 0) as total_duration_ms,
    quantile_cont(duration_ms, 0.50) as p50_duration_ms,
    quantile_cont(duration_ms, 0.95) as p95_duration_ms,
    quantile_cont(duration_ms, 0.99) as p99_duration_ms
{%- endmacro %}

{#- A rate: NULL when the denominator is 0 (METRICS.md, general rules). -#}
{% macro safe_ratio(numerator, denominator) -%}
    (cast({{ numerator }} as double) / nullif({{ denominator }}, 0))
{%- endmacro %}

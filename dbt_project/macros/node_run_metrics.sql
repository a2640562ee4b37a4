{#- Node reliability measures (METRICS.md, node_reliability_daily), shared by the node
    marts at their own grains; expects int_node_runs rows. Durations are over finished
    node runs (ended_at set); synthetic trigger runs have none. -#}
{% macro node_run_metrics() -%}
    cast(sum(attempts) as bigint) as attempts,
    count(*) as node_runs,
    count(*) filter (where status_cd = 8) as successes,
    count(*) filter (where status_cd = 7) as failures,
    count(*) filter (where status_cd = 6) as cancelled,
    count(*) filter (where status_cd = 5) as in_progress,
    count(*) filter (where error_details = 'TIMEOUT') as timeouts,
    cast(sum(attempts - 1) as bigint) as retries,
    {{ safe_ratio("count(*) filter (where status_cd = 7)",
                  "count(*) filter (where status_cd in (7, 8))") }}
        as failure_rate,
    avg(duration_ms) filter (where ended_at is not null) as avg_duration_ms,
    quantile_cont(duration_ms, 0.95) filter (where ended_at is not null) as p95_duration_ms
{%- endmacro %}

{#- The request counts, error rate, response-time statistics and distinct callers that
    api_usage_hourly and api_usage_daily publish, each at its own grain (METRICS.md):
    percentiles come from the requests of that grain, never from a finer mart.
    Expects stg_api_key_usage columns: status_code, response_time_ms and caller_hash
    (a hash of ip_address, NULL when the source had none; IP addresses never leave
    staging). -#}
{% macro api_usage_metrics() -%}
    count(*) as requests,
    count(*) filter (where status_code between 400 and 499) as client_errors,
    count(*) filter (where status_code >= 500) as server_errors,
    {{ safe_ratio("count(*) filter (where status_code >= 400)", "count(*)") }}
        as error_rate,
    avg(response_time_ms) as avg_response_ms,
    quantile_cont(response_time_ms, 0.50) as p50_response_ms,
    quantile_cont(response_time_ms, 0.95) as p95_response_ms,
    count(distinct caller_hash) as distinct_callers
{%- endmacro %}

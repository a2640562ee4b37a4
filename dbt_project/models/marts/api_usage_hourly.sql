{#- API requests per organization, key, endpoint and method per UTC hour of created_at
    (METRICS.md). The percentiles and distinct callers come from that hour's requests.
    Day-partitioned by the UTC day of created_at: an hour lies within one day, so
    rebuilding a day rebuilds its hours. No IP address reaches this model. -#}

{{ day_partitioned() }}

with

requests as (

    select * from {{ ref('stg_api_key_usage') }}
    where {{ in_dirty_partitions('day') }}

),

hourly as (

    select
        *,
        date_trunc('hour', created_at) as hour

    from requests

),

final as (

    select
        org_id,
        api_key_id,
        endpoint,
        method,
        hour,
        day,
        {{ api_usage_metrics() }}

    from hourly
    group by org_id, api_key_id, endpoint, method, hour, day

)

select * from final

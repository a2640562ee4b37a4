{#- API requests per organization, key, endpoint and method per UTC day of created_at
    (METRICS.md). Percentiles and distinct callers come from the day's requests, never
    from api_usage_hourly (a day's distinct callers are not a sum of hours'). -#}

{{ day_partitioned() }}

with

requests as (

    select * from {{ ref('stg_api_key_usage') }}
    where {{ in_dirty_partitions('day') }}

),

final as (

    select
        org_id,
        api_key_id,
        endpoint,
        method,
        day,
        {{ api_usage_metrics() }}

    from requests
    group by org_id, api_key_id, endpoint, method, day

)

select * from final

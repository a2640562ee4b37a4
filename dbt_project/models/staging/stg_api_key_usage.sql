{#- One row per API request. The caller's ip_address is personal data: it leaves raw
    only as caller_hash (sha256, NULL stays NULL), enough to count distinct callers;
    error_message (free text that may quote it) is not carried either. -#}

with

source as (

    {{ unquarantined('api_key_usage') }}

),

renamed as (

    select
        id as request_id,
        organization_id as org_id,
        api_key_id,
        {{ personal_data_masked('endpoint') }} as endpoint,
        method,
        status_code,
        response_time_ms,
        created_at,
        cast(created_at as date) as day,
        sha256(ip_address) as caller_hash

    from source

)

select * from renamed

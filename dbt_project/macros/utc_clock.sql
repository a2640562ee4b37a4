{#- The build's clock in UTC, whatever the DuckDB session's time zone: `current_timestamp`
    cast to TIMESTAMP would give the machine's local time. -#}
{% macro utc_now() -%}
    timezone('UTC', current_timestamp)
{%- endmacro %}

{% macro utc_today() -%}
    cast({{ utc_now() }} as date)
{%- endmacro %}

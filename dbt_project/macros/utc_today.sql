{#- Today's date in UTC, whatever the session's time zone. -#}
{% macro utc_today() -%}
    cast(timezone('UTC', current_timestamp) as date)
{%- endmacro %}

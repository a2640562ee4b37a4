{#- The rows of a raw table that broke no rule of their contract. Extraction keeps the
    others in raw history with their reasons (orchestration/quarantine.py); no model
    reads them, so no mart counts them. -#}

{% macro unquarantined(table_name) -%}
    select * exclude (_quarantine_reason, _source_values)
    from {{ source('raw', table_name) }}
    where _quarantine_reason is null
{%- endmacro %}

-- noqa: disable=LT02,LT12
{#- The rows of every raw table that extraction quarantined, in quarantined_rows' shape:
    table_name, row_key (the primary key as JSON), reasons, source_values, extracted_at. -#}
{% macro rejected_at_extraction() -%}
    {%- for table_name, keys in raw_table_keys().items() %}
    select
        '{{ table_name }}' as table_name,
        cast(to_json(struct_pack(
            {%- for key in keys %}{{ key }} := {{ key }}{{ ", " if not loop.last }}{% endfor -%}
        )) as varchar) as row_key,
        _quarantine_reason as reasons,
        _source_values as source_values,
        _extracted_at as extracted_at
    from {{ source('raw', table_name) }}
    where _quarantine_reason is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

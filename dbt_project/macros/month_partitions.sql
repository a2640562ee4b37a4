{#- Month-partitioned incremental models: a month cannot be rebuilt from one day, so
    a model keyed by month rebuilds every month that contains a dirty day (the months
    of meta.dirty_days): the pre-hook deletes those months whole, and the model
    recomputes them from its day-partitioned inputs, whose other days are unchanged.
    `also_delete` is an extra SQL condition on the model's rows (it may use
    {{ this }} and refs, rendered when the hook runs) for rows made stale by a
    dimension change that marks no day; the model must rebuild them too.
    Without an existing table (first build, --full-refresh) every month is built. -#}

{% macro month_partitioned(month_column='month', also_delete=none) -%}
    {%- set condition = month_column ~ ' in {{ dirty_months() }}' -%}
    {%- if also_delete -%}
        {%- set condition = condition ~ ' or (' ~ also_delete ~ ')' -%}
    {%- endif -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook='{% if is_incremental() %}delete from {{ this }} where '
            ~ condition ~ '{% endif %}',
    ) }}
{%- endmacro %}
{#- The first day of the month of a date or timestamp, as a DATE. -#}
{% macro month_of(expression) -%}
    cast(date_trunc('month', {{ expression }}) as date)
{%- endmacro %}

{#- The filter an incremental month-partitioned model puts on its driving rows
    (given their day column). -#}
{% macro in_dirty_months(day_column) -%}
    {%- if is_incremental() -%}
        {{ month_of(day_column) }} in {{ dirty_months() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro dirty_months() -%}
    (select distinct {{ month_of('day') }} from {{ source('meta', 'dirty_days') }})
{%- endmacro %}

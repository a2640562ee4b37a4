{#- Day-partitioned incremental models (orchestration/partitions.py decides which days
    are dirty). A partition is rebuilt whole: its rows are deleted by the pre-hook, then
    recomputed, so rows that moved to another day or vanished leave nothing stale.
    Without an existing table (first build, --full-refresh) every day is built. -#}

{% macro day_partitioned(day_column='day') -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_dirty_partitions('" ~ day_column ~ "') }}",
    ) }}
{%- endmacro %}

{% macro delete_dirty_partitions(day_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ day_column }} in {{ dirty_days() }}
    {%- endif -%}
{%- endmacro %}

{#- The filter an incremental model puts on its driving rows. -#}
{% macro in_dirty_partitions(day_column) -%}
    {%- if is_incremental() -%}
        {{ day_column }} in {{ dirty_days() }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro dirty_days() -%}
    (select day from {{ source('meta', 'dirty_days') }})
{%- endmacro %}

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
        meta={'day_partition_column': day_column},
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

{#- The first day partition this build rebuilds, as a TIMESTAMP; NULL when none is. -#}
{% macro first_dirty_day() -%}
    (select cast(min(day) as timestamp) from {{ dirty_days() }} as dirty)
{%- endmacro %}

{#- dbt's data tests read their model through this macro (dbt's own, overridden): on a
    day-partitioned model, a test reads the partitions this build rebuilt, as the mart
    suites do (orchestration/quality.py); the other days were tested when they were
    built and have not changed since. A row lives in exactly one day partition, and a
    row that moves dirties both days, so no duplicate can hide between a tested and an
    untested day. On a first build every day with data is dirty. Other models, and a
    test's other relations (the `to` of a relationships test), are read whole. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- set day_column = tested.config.meta.get('day_partition_column') if tested else none -%}
    {%- if day_column and relation.identifier == tested.alias -%}
        {%- set where = (where ~ ' and ' if where else '') ~ day_column ~ ' in ' ~ dirty_days() -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- incidents is settled before T, the first day partition rebuilt since the last
    publication (models/marts/incidents.sql says why). Without such a day nothing
    changed in fct_executions: T is then the end of time, and only the incidents still
    unresolved are rebuilt, unchanged. A first build settles nothing. -#}
{% macro incidents_settled_before() -%}
    {%- if is_incremental() -%}
        coalesce(
            {{ first_dirty_day() }},
            timestamp 'infinity'
        )
    {%- else -%}
        timestamp 'infinity'
    {%- endif -%}
{%- endmacro %}

{#- incidents' pre-hook: the incidents not resolved before T are rebuilt. -#}
{% macro delete_unsettled_incidents() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where resolved_at is null or resolved_at >= {{ incidents_settled_before() }}
    {%- endif -%}
{%- endmacro %}

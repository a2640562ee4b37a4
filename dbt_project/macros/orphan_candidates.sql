-- noqa: disable=LT02,LT12
{#- The rows of `rows` (an execution's children: node runs, reviews) whose orphan verdict
    can differ from the one quarantined_rows holds, so a refresh checks only those, not
    every row of history (an anti-join of 10M node runs took 2-6 s a refresh).

    A row is an orphan when no unquarantined execution has its process_instance_id. That
    verdict changes only when the row changes (a new version: extracted since the last
    publication), when it was an orphan (its execution may have arrived), or when its
    execution was quarantined since then (extraction's new version breaks a rule). Raw
    history never loses a row. Rows extracted since the last publication are a superset
    of those extracted since the build quarantined_rows holds (publication follows it).

    Everything is checked when there is nothing to build on: no table yet, nothing
    published yet, or a project changed since its publication (the rule may be new). -#}
{% macro orphan_candidates(rows, table_name) -%}
    {%- set published_through = last_publication_time() -%}
    {%- set previous = load_relation(this) if published_through is not none else none -%}
    {%- if previous is none or not project_is_published() -%}
    select * from {{ rows }}
    {%- else -%}
    {%- set since = "timestamp '" ~ published_through ~ "'" -%}
    select * from {{ rows }}
    where _extracted_at > {{ since }}
    union all
    select * from {{ rows }}
    where
        _extracted_at <= {{ since }}
        and id in (
            select json_extract_string(row_key, '$.id') from {{ previous }}
            where table_name = '{{ table_name }}' and reasons = 'orphan(process_instance_id)'
        )
    union all
    select * from {{ rows }}
    where
        _extracted_at <= {{ since }}
        and process_instance_id in (
            select id from {{ source('raw', 'process_instance') }}
            where _extracted_at > {{ since }} and _quarantine_reason is not null
        )
    {%- endif -%}
{%- endmacro %}

{#- When the last publication happened (UTC), or none: every row extracted later was
    extracted after it. A constant in the compiled SQL, so DuckDB's zone maps on
    _extracted_at skip the row groups of older extractions. -#}
{% macro last_publication_time() -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set sql = "select cast(max(published_at) as varchar) from "
        ~ source('meta', 'publications') -%}
    {%- set result = run_query(sql) -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}

{#- Whether the project being built is the one last published (meta.build_inputs). -#}
{% macro project_is_published() -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set sql = "select count(*) from " ~ source('meta', 'build_inputs')
        ~ " where input = 'project' and built = published" -%}
    {%- set result = run_query(sql) -%}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}

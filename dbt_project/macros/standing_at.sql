{#- The versions of a workflow or credential that stood at `as_of` (usage_monthly).

    In the warehouse's history (snapshots), the version in force at as_of counts when
    it was not deleted and `counted` holds (is_active for workflows). Before a row's
    history starts (as_of at or before its first captured version), only created_at and
    deleted_at are known: the row counts if it existed then. A change stamped exactly at
    as_of is after the end of the month, so every bound is "< as_of" / ">= as_of".
    `versions` carries valid_from, valid_to, history_starts_at, created_at, deleted_at;
    `month_ends` carries month and as_of. -#}

{% macro standing_at(versions, month_ends, counted='true') -%}
    select
        {{ month_ends }}.month,
        {{ versions }}.*

    from {{ versions }}
    inner join {{ month_ends }}
        on (
            {{ versions }}.valid_from < {{ month_ends }}.as_of
            and coalesce({{ versions }}.valid_to >= {{ month_ends }}.as_of, true)
            and {{ counted }}
        )
        or (
            {{ versions }}.valid_from = {{ versions }}.history_starts_at
            and {{ month_ends }}.as_of <= {{ versions }}.history_starts_at
        )

    where
        {{ versions }}.created_at < {{ month_ends }}.as_of
        and coalesce({{ versions }}.deleted_at >= {{ month_ends }}.as_of, true)
{%- endmacro %}

{#- A snapshot version's validity, renamed, and when the row's known history starts. -#}
{% macro version_validity(key='id') -%}
    dbt_valid_from as valid_from,
    dbt_valid_to as valid_to,
    min(dbt_valid_from) over (partition by {{ key }}) as history_starts_at
{%- endmacro %}

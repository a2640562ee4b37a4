{#- Insights and the AI cost forecast report each organization (scope `org`) and the
    whole platform (scope `platform`, org_id NULL), both from one GROUP BY GROUPING SETS
    pass: `is_platform_row` marks the platform's rows, `scope_name` names them. -#}

{% macro is_platform_row(org_column='org_id') -%}
    grouping({{ org_column }}) = 1
{%- endmacro %}

{% macro scope_name(is_platform) -%}
    case when {{ is_platform }} then 'platform' else 'org' end
{%- endmacro %}

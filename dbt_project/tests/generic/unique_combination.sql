{#- The grain of a mart: no two rows share these columns (dbt_utils is not reachable
    offline, so flowmart carries its own). -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as rows_at_grain
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

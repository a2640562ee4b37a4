{#- Several columns that must never be NULL, checked in one pass: dbt spends ~40 ms of
    its own on every test node, whatever the query costs, so a model's not-null columns
    are one test rather than one test each. Returns each row with a NULL in any. -#}
{% test not_null_columns(model, columns) %}
    select *
    from {{ model }}
    where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}

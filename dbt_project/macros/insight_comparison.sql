{#- How an insight compares a period with the one before (insights, issue 7). The
    change is in percent of the previous value (+50 = half as much again), NULL when
    there is no previous value to compare with; the direction is stable inside
    +/- var('insight_stable_change_pct'), so noise does not read as a trend. -#}

{% macro change_pct(previous, current) -%}
    (100.0 * ({{ current }} - {{ previous }}) / nullif({{ previous }}, 0))
{%- endmacro %}

{% macro change_direction(previous, current) -%}
    case
        when {{ previous }} is null or {{ current }} is null then null
        when {{ previous }} = 0 and {{ current }} = 0 then 'stable'
        when {{ previous }} = 0 then 'up'
        when abs({{ change_pct(previous, current) }}) < {{ var('insight_stable_change_pct') }}
            then 'stable'
        when {{ current }} > {{ previous }} then 'up'
        else 'down'
    end
{%- endmacro %}

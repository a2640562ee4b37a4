{#- Milliseconds between two timestamps, microseconds kept (a DOUBLE). -#}
{% macro duration_ms(started_at, ended_at) -%}
    ((epoch_us({{ ended_at }}) - epoch_us({{ started_at }})) / 1000.0)
{%- endmacro %}

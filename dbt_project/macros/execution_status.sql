{#- Execution status per METRICS.md: the engine's state code, except that a completed
    execution with an unhandled node error failed. Unknown codes give NULL, which the
    not_null / accepted_values tests on fct_executions.status turn into a failed gate. -#}
{% macro execution_status(state_cd, has_unhandled_node_error) -%}
    case {{ state_cd }}
        when 1 then 'running'
        when 2 then 'waiting'
        when 3 then 'aborted'
        when 7 then 'failed'
        when 4 then
            case when {{ has_unhandled_node_error }} then 'failed' else 'succeeded' end
    end
{%- endmacro %}

{% macro is_terminal(status) -%}
    ({{ status }} in ('succeeded', 'failed'))
{%- endmacro %}

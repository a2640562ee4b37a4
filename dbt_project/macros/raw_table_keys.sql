{#- Generated from models/ by `python -m models.dbt_sources`: edit the contracts, not this.
    Every raw table and its primary key. -#}

{% macro raw_table_keys() -%}
    {{ return({
        "plan": ["tier"],
        "organization": ["id"],
        "workflow": ["id"],
        "credential": ["id"],
        "process_instance": ["id"],
        "node_instance": ["id"],
        "review_task": ["id"],
        "api_key_usage": ["id"],
        "ai_execution_history": ["id"],
        "execution_log": ["id"],
        "usage_record": ["billing_owner_id", "period_start"],
        "alert_rule": ["id"],
        "alert_acknowledgement": ["alert_id"],
    }) }}
{%- endmacro %}

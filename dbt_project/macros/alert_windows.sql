-- noqa: disable=LT02,LT12
{#- alert_events is incremental per rule (models/marts/alert_events.sql says why this
    is exact): the windows of a rule that ended at or before its settled hour keep the
    verdict of the last build; the later ones are evaluated again. A rule's settled
    hour is the last hour with data in its scope before T, the first rebuilt day (when
    no day is rebuilt, nothing changed: T is then the hour after the last data hour).
    Everything before T is unchanged, and the last build evaluated every window up to
    that hour (it never evaluates beyond a scope's last data hour + 1 h). A rule whose
    scope has no data in the seven days before T is evaluated whole (a workflow
    that ran again after a long pause: rare, and cheap for a rule with little data).

    Nothing is settled on a first build, when the project changed since its last
    publication (a rule of evaluation may be new), or when alert rules changed (the
    current definition of a rule applies to its whole history). -#}

{% macro alerts_settle_nothing() -%}
    {{ return(not is_incremental() or not project_is_published() or alert_rules_changed()) }}
{%- endmacro %}

{#- Whether raw alert rules changed since the last publication (meta.changed_inputs). -#}
{% macro alert_rules_changed() -%}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {%- set sql = "select count(*) from " ~ source('meta', 'changed_inputs')
        ~ " where input = 'raw.alert_rule'" -%}
    {{ return(run_query(sql).columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- (rule_id, settled_until): each rule's settled hour, none when nothing is settled. -#}
{% macro alert_settled_hours(rules) -%}
    {%- if alerts_settle_nothing() -%}
    select cast(null as varchar) as rule_id, cast(null as timestamp) as settled_until
    where false
    {%- else -%}
    {%- set first_changed_hour -%}
        coalesce(
            {{ first_dirty_day() }},
            greatest(
                (select max(hour) from {{ ref('workflow_runs_hourly') }}),
                (select max(hour) from {{ ref('api_usage_hourly') }}),
                (select max(hour) from {{ ref('int_alert_ai_cost_hourly') }})
            ) + interval 1 hour
        )
    {%- endset -%}
    select rule_id, max(hour) as settled_until
    from ({{ alert_rule_hours(rules,
        "{hour} >= " ~ first_changed_hour ~ " - interval 7 day and {hour} < " ~ first_changed_hour
    ) }})
    group by rule_id
    {%- endif -%}
{%- endmacro %}

{#- alert_events' pre-hook: every window past its rule's settled hour is evaluated again,
    every other alert stays. -#}
{% macro delete_unsettled_alerts() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as alerts
        where not exists (
            select 1
            from ({{ alert_settled_hours(
                "(select * from " ~ ref('stg_alert_rule') ~ " where is_enabled)"
            ) }}) as settled
            where settled.rule_id = alerts.rule_id and alerts.window_end <= settled.settled_until
        )
    {%- endif -%}
{%- endmacro %}

{#- alert_events' post-hook: an acknowledgement can arrive for any past alert, settled
    ones included. -#}
{% macro refresh_alert_acknowledgements() -%}
    {%- if is_incremental() -%}
        update {{ this }} as alerts
        set acknowledged_at = changed.acknowledged_at, acknowledged_by = changed.acknowledged_by
        from (
            select alerts.alert_id, acks.acknowledged_at, acks.acknowledged_by
            from {{ this }} as alerts
            left join {{ ref('stg_alert_acknowledgement') }} as acks
                on alerts.alert_id = acks.alert_id
            where
                alerts.acknowledged_at is distinct from acks.acknowledged_at
                or alerts.acknowledged_by is distinct from acks.acknowledged_by
        ) as changed
        where alerts.alert_id = changed.alert_id
    {%- endif -%}
{%- endmacro %}

{#- One row per rule (of the relation `rules`) and hour with data in its scope: `measure`
    (the numerator of a rate, the count, the duration total or the cost) and `runs`
    (terminal runs, requests or AI calls). `hours` is a condition on the hour, written
    with {hour}; it may read the rule's columns (`rules.`). -#}
{% macro alert_rule_hours(rules, hours='true') -%}
    -- the rule's workflow's runs, or every workflow's of its organization
    select
        rules.rule_id,
        runs_hourly.hour,
        cast(case rules.metric
            when 'runs' then sum(runs_hourly.runs)
            when 'failed_runs' then sum(runs_hourly.failed)
            when 'failure_rate' then sum(runs_hourly.failed)
            when 'success_rate' then sum(runs_hourly.succeeded)
            when 'avg_duration_ms' then sum(runs_hourly.total_duration_ms)
        end as double) as measure,
        sum(runs_hourly.succeeded + runs_hourly.failed) as runs

    from {{ rules }} as rules
    inner join {{ ref('workflow_runs_hourly') }} as runs_hourly
        on
            rules.org_id = runs_hourly.org_id
            and (rules.workflow_id is null or rules.workflow_id = runs_hourly.workflow_id)
    where
        rules.metric in (
            'runs', 'failed_runs', 'failure_rate', 'success_rate',
            'avg_duration_ms', 'p95_duration_ms'
        )
        and {{ hours | replace('{hour}', 'runs_hourly.hour') }}
    group by rules.rule_id, rules.metric, runs_hourly.hour

    union all

    -- API requests have no workflow: a workflow-scoped rule sees its organization's
    select
        rules.rule_id,
        api_hourly.hour,
        cast(sum(api_hourly.client_errors + api_hourly.server_errors) as double) as measure,
        sum(api_hourly.requests) as runs

    from {{ rules }} as rules
    inner join {{ ref('api_usage_hourly') }} as api_hourly on rules.org_id = api_hourly.org_id
    where
        rules.metric = 'api_error_rate'
        and {{ hours | replace('{hour}', 'api_hourly.hour') }}
    group by rules.rule_id, api_hourly.hour

    union all

    select
        rules.rule_id,
        ai_cost_hourly.hour,
        cast(sum(ai_cost_hourly.cost_units) as double) as measure,
        sum(ai_cost_hourly.ai_calls) as runs

    from {{ rules }} as rules
    inner join {{ ref('int_alert_ai_cost_hourly') }} as ai_cost_hourly
        on
            rules.org_id = ai_cost_hourly.org_id
            and (rules.workflow_id is null or rules.workflow_id = ai_cost_hourly.workflow_id)
    where
        rules.metric = 'ai_cost_usd'
        and {{ hours | replace('{hour}', 'ai_cost_hourly.hour') }}
    group by rules.rule_id, ai_cost_hourly.hour
{%- endmacro %}

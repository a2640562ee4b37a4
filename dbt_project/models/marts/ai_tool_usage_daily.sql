{#- AI calls per organization and tool per UTC day of created_at (METRICS.md). calls =
    the number of AI calls whose tools_used JSON array names the tool: a tool listed
    twice in one call counts once. Calls with NULL or '[]' tools_used, and JSON null
    elements, contribute nothing. -#}

{{ day_partitioned() }}

with

ai_calls as (

    select * from {{ ref('stg_ai_execution_history') }}
    where {{ in_dirty_partitions('day') }}

),

call_tools as (

    select
        ai_call_id,
        org_id,
        day,
        unnest(json_extract_string(tools_used, '$[*]')) as tool

    from ai_calls
    where tools_used is not null

),

final as (

    select
        org_id,
        tool,
        day,
        count(distinct ai_call_id) as calls

    from call_tools
    where tool is not null
    group by org_id, tool, day

)

select * from final

{#-
  dbt's relationships test, with the parent side windowed too when the test asks for it
  (`config: meta: {parent_in_child_window: true}`) and a partition run tests its window: the
  parent's rows are read over the days of the child's window (its window_column range with its
  look-back), on the parent's own window_column. For keys whose parent rows always lie on those
  days (a session's first event is on its start date), a daily run's test then costs its days,
  not all events. Without a window both sides are whole tables, as in dbt.
-#}
{% macro default__test_relationships(model, column_name, to, field) %}
{%- set parent_filter = relationships_parent_window(to) -%}

with child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
),

parent as (
    select {{ field }} as to_field
    from {{ to }}
    {%- if parent_filter %}
    where {{ parent_filter }}
    {%- endif %}
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null

{% endmacro %}

{% macro relationships_parent_window(to) -%}
    {%- if partition_window() is none or not ((config.get('meta') or {}).get('parent_in_child_window')) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set nodes = graph.get('nodes') or {} -%}
    {%- set child = nodes.get(model.get('attached_node')) if model.get('attached_node') else none -%}
    {%- set parents = [] -%}
    {%- for node in nodes.values() if node.resource_type == 'model'
            and (node.get('alias') or node.name) | lower == (to.identifier or '') | lower -%}
        {%- do parents.append(node) -%}
    {%- endfor -%}
    {%- set parent = parents[0] if parents else none -%}
    {%- if child is none or parent is none or not child.config.get('window_column') or not parent.config.get('window_column') -%}
        {{ exceptions.raise_compiler_error("relationships with parent_in_child_window: both models need a window_column") }}
    {%- endif -%}
    {{ return(in_partition_window(parent.config.window_column, lookback_days=child.config.get('window_lookback_days', 0) | int)) }}
{%- endmacro %}

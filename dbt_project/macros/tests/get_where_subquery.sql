{#-
  The tests of a partitioned model test what the run wrote. In a partition run (a window is
  set), a generic test reads only its model's window: the `window_column` range the model
  replaced, widened by its `window_lookback_days`. A daily run's tests then cost a day, not
  the whole history, and Dagster records their results on the run's partitions. Without a
  window (a full refresh, a plain `dbt build`) they read the whole table. A test's own `where`
  config applies in both cases. Overrides dbt's get_where_subquery.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set tested = tested_partitioned_model(relation) -%}
    {%- if tested is not none and partition_window() is not none -%}
        {%- do conditions.append(in_partition_window(
            tested.config.window_column, lookback_days=tested.config.get('window_lookback_days', 0) | int)) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- The model the current test is attached to, when `relation` is that model and it is windowed.
    Not for tests of the table's schema (is_timestamp asks the relation for its columns). -#}
{% macro tested_partitioned_model(relation) -%}
    {%- if model is not mapping or (model.get('test_metadata') or {}).get('name') in ['is_timestamp'] -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set attached = model.get('attached_node') -%}
    {%- set node = (graph.get('nodes') or {}).get(attached) if attached else none -%}
    {%- if node is none or not node.get('config', {}).get('window_column') -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- if (relation.identifier or '') | lower != (node.get('alias') or node.get('name')) | lower -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- do return(node) -%}
{%- endmacro %}

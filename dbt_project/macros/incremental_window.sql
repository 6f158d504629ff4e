{#-
  Incremental strategy of the event-grained models (set for every model in dbt_project.yml):
  replace exactly the partition window. BigQuery uses its native insert_overwrite with literal
  partitions (partition_window_literals); DuckDB has no insert_overwrite, so `replace_window`
  deletes the window's rows and inserts the new ones in the same transaction. Rows of a window
  whose source rows vanished are removed too, which delete+insert on a unique key would leave
  behind.
-#}

{% macro get_incremental_replace_window_sql(arg_dict) %}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target_relation }}
    where {{ in_partition_window(config.require('window_column'), lookback_days=config.get('window_lookback_days', 0)) }};

    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}

{#- BigQuery day partitioning on a date column; DuckDB has no table partitions (its own
    `partition_by` means DuckLake file layout), so the config is left unset there. -#}
{% macro bigquery_day_partition(field) -%}
    {{ return({'field': field, 'data_type': 'date', 'granularity': 'day'} if target.type == 'bigquery' else none) }}
{%- endmacro %}

{#-
  dbt-bigquery's insert_overwrite, given the window's partitions as literals at execution time
  (a `partitions` config would be frozen at parse time). Without a window it stays dynamic.
-#}
{% macro bq_generate_incremental_build_sql(strategy, tmp_relation, target_relation, sql, unique_key, partition_by, partitions, dest_columns, tmp_relation_exists, copy_partitions, incremental_predicates) %}
    {%- if strategy == 'insert_overwrite' and config.get('window_column') and partitions is none -%}
        {%- set partitions = partition_window_literals(config.get('window_lookback_days', 0) | int) -%}
    {%- endif -%}
    {{ return(dbt.bq_generate_incremental_build_sql(strategy, tmp_relation, target_relation, sql, unique_key, partition_by, partitions, dest_columns, tmp_relation_exists, copy_partitions, incremental_predicates)) }}
{% endmacro %}

{#-
  The per-visitor state models (user_map, users_incremental, users) replace the rows of the
  visitors a partition run touched: merge on the visitor on BigQuery (user_map: on visitor and
  user, its key there, as a MERGE source row may match one target row only), delete+insert of
  every row of those visitors on DuckDB.
-#}
{% macro visitor_state_strategy() -%}
    {{ return('merge' if target.type == 'bigquery' else 'delete+insert') }}
{%- endmacro %}

{% macro visitor_state_key(extra_columns=[]) -%}
    {{ return(['visitor_key'] + extra_columns if target.type == 'bigquery' else 'visitor_key') }}
{%- endmacro %}

{#-
  The filter of a per-visitor state model's inputs to the visitors its run touched (the model's
  `touched_visitors` CTE). A full build touches every visitor: `true`, and the CTE is never read
  (a semi-join on the key of every visitor cost a full build memory and time for nothing).
-#}
{% macro is_touched_visitor(column='visitor_key') -%}
    {%- if partition_window() is none -%}
        true
    {%- else -%}
        {{ column }} in (select visitor_key from touched_visitors)
    {%- endif -%}
{%- endmacro %}

{#- The visitors whose sessions a session_aggregates run rewrote: a session started in the run's
    days or their look-back (a select of visitor_key, for a touched_visitors CTE). -#}
{% macro visitors_of_rewritten_sessions() -%}
    select visitor_key
    from {{ ref('session_aggregates') }}
    where {{ in_partition_window('session_date', lookback_days=var('session_lookback_days')) }}
{%- endmacro %}

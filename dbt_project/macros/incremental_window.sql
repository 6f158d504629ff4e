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
  Its merge is the per-visitor state's replacement below.
-#}
{% macro bq_generate_incremental_build_sql(strategy, tmp_relation, target_relation, sql, unique_key, partition_by, partitions, dest_columns, tmp_relation_exists, copy_partitions, incremental_predicates) %}
    {%- if strategy == 'merge' -%}
        {{ return(visitor_state_merge_sql(tmp_relation, target_relation, sql, unique_key, dest_columns, tmp_relation_exists)) }}
    {%- endif -%}
    {%- if strategy == 'insert_overwrite' and config.get('window_column') and partitions is none -%}
        {%- set partitions = partition_window_literals(config.get('window_lookback_days', 0) | int) -%}
    {%- endif -%}
    {{ return(dbt.bq_generate_incremental_build_sql(strategy, tmp_relation, target_relation, sql, unique_key, partition_by, partitions, dest_columns, tmp_relation_exists, copy_partitions, incremental_predicates)) }}
{% endmacro %}

{#-
  The per-visitor state models (user_map, users_incremental, users, sessions,
  experiment_visitors) replace every row of the visitors a partition run recomputed: on DuckDB
  `visitor_state`, dbt's delete+insert on visitor_key plus the tail below; on BigQuery (whose
  dbt adapter has no delete+insert) a MERGE that does the same in one statement. dbt's own
  merge would update the rows it matches on a key and insert the others, but never delete a row
  the run no longer produces (a session whose start moved when late events arrived keeps its
  old row), so both engines would disagree.

  A model with `visitor_state_tail_column` (core.sessions) recomputes a visitor's rows from
  the tail on (that column on or after the window's start less window_lookback_days), and its
  whole history only where an earlier row can change: a recomputed visitor's rows are replaced
  from the tail on, or all of them when the run wrote one before the tail.
-#}
{% macro visitor_state_strategy() -%}
    {{ return('merge' if target.type == 'bigquery' else 'visitor_state') }}
{%- endmacro %}

{#- The first day a partition run of a per-visitor state with a tail rewrites; none without a window. -#}
{% macro visitor_state_tail() -%}
    {%- set window = partition_window(lookback_days=config.get('window_lookback_days', 0)) -%}
    {{ return(none if window is none else window.start) }}
{%- endmacro %}

{#- `and (...)`: the rows of a recomputed visitor that the run replaces, when the model has a tail
    (dest: the target's alias, or '' for its bare columns); nothing otherwise: all of them. -#}
{% macro visitor_state_replaced_rows(dest, source, unique_key) -%}
    {%- set column = config.get('visitor_state_tail_column') -%}
    {%- set tail = visitor_state_tail() if column else none -%}
    {%- if tail is not none -%}
        and (
            {{ dest }}{{ column }} >= {{ date_literal(tail) }}
            or {{ dest }}{{ unique_key }} in (select {{ unique_key }} from {{ source }} where {{ column }} < {{ date_literal(tail) }})
        )
    {%- endif -%}
{%- endmacro %}

{% macro get_incremental_visitor_state_sql(arg_dict) %}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- if unique_key is not string -%}
        {{ exceptions.raise_compiler_error("a per-visitor state's unique_key is its visitor column, one name: got " ~ unique_key) }}
    {%- endif -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }}
    where
        {{ unique_key }} in (select {{ unique_key }} from {{ source }})
        {{ visitor_state_replaced_rows('', source, unique_key) }};

    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ source }}
{% endmacro %}

{% macro visitor_state_merge_sql(tmp_relation, target_relation, sql, unique_key, dest_columns, tmp_relation_exists) -%}
    {%- if unique_key is not string -%}
        {{ exceptions.raise_compiler_error("a per-visitor state's unique_key is its visitor column, one name: got " ~ unique_key) }}
    {%- endif -%}
    {#- on_schema_change: fail (dbt_project.yml) always builds the run's rows into tmp_relation first -#}
    {%- set source = tmp_relation if tmp_relation_exists else '(' ~ sql ~ ')' -%}
    {%- set columns = get_quoted_csv(dest_columns | map(attribute='name')) -%}
    merge into {{ target_relation }} as DBT_INTERNAL_DEST
    using {{ source }} as DBT_INTERNAL_SOURCE
    on false
    when not matched by source
        and DBT_INTERNAL_DEST.{{ unique_key }} in (select {{ unique_key }} from {{ source }})
        {{ visitor_state_replaced_rows('DBT_INTERNAL_DEST.', source, unique_key) }}
        then delete
    when not matched then insert ({{ columns }}) values ({{ columns }})
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

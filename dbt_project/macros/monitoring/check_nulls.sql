{#-
  NULL counts per column of a model (the specification's troubleshooting operation):
    dbt run-operation check_nulls --args '{table_name: events_sessionated}'
-#}
{% macro check_nulls(table_name) %}
    {%- set matches = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') | selectattr('name', 'equalto', table_name) | list -%}
    {%- if matches | length != 1 -%}
        {{ exceptions.raise_compiler_error("check_nulls: no model named " ~ (table_name | tojson)) }}
    {%- endif -%}
    {%- set node = matches[0] -%}
    {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error("check_nulls: " ~ node.schema ~ "." ~ node.alias ~ " is not built yet") }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) -%}
    {%- set counts = [] -%}
    {%- for column in columns -%}
        {%- do counts.append("count(*) - count(" ~ adapter.quote(column.name) ~ ") as " ~ adapter.quote(column.name)) -%}
    {%- endfor -%}
    {%- set result = run_query("select count(*) as total_rows, " ~ counts | join(", ") ~ " from " ~ relation) -%}
    {%- set row = result.rows[0] -%}
    {{ log(relation ~ ": " ~ row[0] ~ " rows", info=True) }}
    {%- for column in columns -%}
        {{ log("  " ~ column.name ~ ": " ~ row[loop.index] ~ " NULL", info=True) }}
    {%- endfor -%}
    {{ return(row) }}
{% endmacro %}

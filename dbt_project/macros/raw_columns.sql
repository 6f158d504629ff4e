{#-
  The collector's columns (var raw_events_schema, dbt_project.yml: the schema of
  bq_table_schema.json, in its order): the one list every model and test derives its raw column
  lists from.
-#}
{% macro raw_event_columns() -%}
    {{ return(var('raw_events_schema')) }}
{%- endmacro %}

{#- A raw column as SQL reads it (`hash` is a reserved word on BigQuery). -#}
{% macro raw_column_sql(name) -%}
    {{ return(adapter.quote(name) if name == 'hash' else name) }}
{%- endmacro %}

{#- The raw columns by name, in the schema's order: the quarantine keeps the rows whole. -#}
{% macro raw_column_names() -%}
    {%- set names = [] -%}
    {%- for column in raw_event_columns() -%}
        {%- do names.append(raw_column_sql(column.name)) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#- Every STRING a raw row holds outside repeated records: top-level columns and the fields of
    single records (`device.type`); the repeated record's fields are raw_repeated_record_fields'. -#}
{% macro raw_text_columns() -%}
    {%- set names = [] -%}
    {%- for column in raw_event_columns() -%}
        {%- if column.type == 'STRING' -%}
            {%- do names.append(raw_column_sql(column.name)) -%}
        {%- elif column.type == 'RECORD' and column.get('mode') != 'REPEATED' -%}
            {%- for field, type in column.fields.items() if type == 'STRING' -%}
                {%- do names.append(column.name ~ '.' ~ field) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#- {repeated record column: its STRING fields} (ab_test: name, variant, def). -#}
{% macro raw_repeated_record_fields() -%}
    {%- set records = {} -%}
    {%- for column in raw_event_columns() if column.type == 'RECORD' and column.get('mode') == 'REPEATED' -%}
        {%- set strings = [] -%}
        {%- for field, type in column.fields.items() if type == 'STRING' -%}
            {%- do strings.append(field) -%}
        {%- endfor -%}
        {%- do records.update({column.name: strings}) -%}
    {%- endfor -%}
    {{ return(records) }}
{%- endmacro %}

{#- The fields that make an event an event (events_cleaned's event_id, macros/event_identity.sql):
    every value of the row, in the schema's order; a timestamp as epoch microseconds, a record's
    fields one by one, a repeated record as JSON. -#}
{% macro raw_fingerprint_fields() -%}
    {%- set fields = [] -%}
    {%- for column in raw_event_columns() -%}
        {%- if column.type == 'TIMESTAMP' -%}
            {%- do fields.append(epoch_micros(raw_column_sql(column.name))) -%}
        {%- elif column.type == 'RECORD' and column.get('mode') == 'REPEATED' -%}
            {%- do fields.append(to_json_string(column.name)) -%}
        {%- elif column.type == 'RECORD' -%}
            {%- for field in column.fields -%}
                {%- do fields.append(column.name ~ '.' ~ field) -%}
            {%- endfor -%}
        {%- else -%}
            {%- do fields.append(raw_column_sql(column.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(fields) }}
{%- endmacro %}

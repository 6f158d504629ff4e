{#-
  The specification's dbt_run_results: every invocation appends one row per executed node
  (run start and end, status, rows affected) to monitoring.dbt_run_results_log, from the
  on-run-end hook; the model monitoring.dbt_run_results reads it.

  Cost attribution: the Dagster run (MEASURE_DAGSTER_RUN_ID) and, from dbt-bigquery's
  adapter_response, bytes_processed, bytes_billed and slot_ms of the node's query job. DuckDB
  reports no such figures: NULL there, with the same columns on both engines. A log created
  before these columns existed gets them added (add_run_results_log_columns, on-run-start).
-#}

{% macro _run_results_cost_columns() %}
    {{ return([
        ('dagster_run_id', dbt.type_string()),
        ('bytes_processed', dbt.type_bigint()),
        ('bytes_billed', dbt.type_bigint()),
        ('slot_ms', dbt.type_bigint()),
    ]) }}
{% endmacro %}

{% macro run_results_log_relation() %}
    {{ return(api.Relation.create(database=target.database, schema=generate_schema_name('monitoring', none) | trim, identifier='dbt_run_results_log')) }}
{% endmacro %}

{% macro create_run_results_log() %}
    {%- set log_relation = run_results_log_relation() -%}
    {#- not under `dbt compile --no-introspect` (offline: no connection) -#}
    {%- if flags.INTROSPECT -%}{%- do adapter.create_schema(log_relation) -%}{%- endif -%}
    create table if not exists {{ log_relation }} (
        invocation_id {{ dbt.type_string() }},
        unique_id {{ dbt.type_string() }},
        model_name {{ dbt.type_string() }},
        resource_type {{ dbt.type_string() }},
        status {{ dbt.type_string() }},
        run_started_at {{ dbt.type_timestamp() }},
        run_completed_at {{ dbt.type_timestamp() }},
        execution_seconds {{ dbt.type_float() }},
        rows_affected {{ dbt.type_bigint() }},
        message {{ dbt.type_string() }}
        {%- for name, type in _run_results_cost_columns() %},
        {{ name }} {{ type }}
        {%- endfor %}
    )
{% endmacro %}

{% macro add_run_results_log_columns() %}
    {#- the hook's SQL: the columns a log created before them lacks, added -#}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set log_relation = run_results_log_relation() -%}
    {%- set statements = [] -%}
    {%- for name, type in run_results_log_missing_columns(log_relation) -%}
        {%- do statements.append('alter table ' ~ log_relation ~ ' add column if not exists ' ~ name ~ ' ' ~ type) -%}
    {%- endfor -%}
    {{- return(statements | join(';\n')) -}}
{% endmacro %}

{% macro run_results_log_missing_columns(log_relation) %}
    {{ return(adapter.dispatch('run_results_log_missing_columns')(log_relation)) }}
{% endmacro %}

{#- DuckDB: every column, ADD COLUMN IF NOT EXISTS is free there (a look-up first would leave
    a transaction open that hooks never commit, and the ALTERs would be rolled back) -#}
{% macro default__run_results_log_missing_columns(log_relation) %}
    {{ return(_run_results_cost_columns()) }}
{% endmacro %}

{#- BigQuery: only the missing ones, so no invocation spends one of the table's few metadata
    updates per 10 s on a no-op; offline (compile --no-introspect) there is no connection -#}
{% macro bigquery__run_results_log_missing_columns(log_relation) %}
    {%- if not flags.INTROSPECT -%}{{ return([]) }}{%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(log_relation) | map(attribute='name') | map('lower') | list -%}
    {{ return(_run_results_cost_columns() | rejectattr(0, 'in', existing) | list) }}
{% endmacro %}

{% macro _bigint_or_null(value) -%}
    cast({{ value if value is number else 'null' }} as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro _timestamp_literal(value) -%}
    {%- if value -%}cast({{ string_literal(value.strftime('%Y-%m-%d %H:%M:%S.%f')) }} as {{ dbt.type_timestamp() }}){%- else -%}cast(null as {{ dbt.type_timestamp() }}){%- endif -%}
{%- endmacro %}

{% macro log_run_results(results) %}
    {%- if not execute or not results -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rows = [] -%}
    {%- set run_id = env_var('MEASURE_DAGSTER_RUN_ID', '') -%}
    {%- for result in results -%}
        {%- set timing = namespace(started=none, completed=none) -%}
        {%- for step in result.timing -%}
            {%- if step.name == 'execute' -%}
                {%- set timing.started = step.started_at -%}
                {%- set timing.completed = step.completed_at -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set response = result.adapter_response or {} -%}
        {%- do rows.append(
            "select " ~ string_literal(invocation_id) ~ " as invocation_id, "
            ~ string_literal(result.node.unique_id) ~ " as unique_id, "
            ~ string_literal(result.node.name) ~ " as model_name, "
            ~ string_literal(result.node.resource_type) ~ " as resource_type, "
            ~ string_literal(result.status) ~ " as status, "
            ~ _timestamp_literal(timing.started) ~ " as run_started_at, "
            ~ _timestamp_literal(timing.completed) ~ " as run_completed_at, "
            ~ "cast(" ~ (result.execution_time or 0) ~ " as " ~ dbt.type_float() ~ ") as execution_seconds, "
            ~ _bigint_or_null(response.get('rows_affected')) ~ " as rows_affected, "
            ~ string_literal((result.message or '')[:1000]) ~ " as message, "
            ~ string_literal(run_id) ~ " as dagster_run_id, "
            ~ _bigint_or_null(response.get('bytes_processed')) ~ " as bytes_processed, "
            ~ _bigint_or_null(response.get('bytes_billed')) ~ " as bytes_billed, "
            ~ _bigint_or_null(response.get('slot_ms')) ~ " as slot_ms"
        ) -%}
    {%- endfor -%}
    insert into {{ run_results_log_relation() }}
    {{ rows | join('\nunion all\n') }}
{% endmacro %}

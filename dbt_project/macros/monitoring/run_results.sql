{#-
  The specification's dbt_run_results: every invocation appends one row per executed node
  (run start and end, status, rows affected) to monitoring.dbt_run_results_log, from the
  on-run-end hook; the model monitoring.dbt_run_results reads it.
-#}

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
    )
{% endmacro %}

{% macro _timestamp_literal(value) -%}
    {%- if value -%}cast({{ string_literal(value.strftime('%Y-%m-%d %H:%M:%S.%f')) }} as {{ dbt.type_timestamp() }}){%- else -%}cast(null as {{ dbt.type_timestamp() }}){%- endif -%}
{%- endmacro %}

{% macro log_run_results(results) %}
    {%- if not execute or not results -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rows = [] -%}
    {%- for result in results -%}
        {%- set timing = namespace(started=none, completed=none) -%}
        {%- for step in result.timing -%}
            {%- if step.name == 'execute' -%}
                {%- set timing.started = step.started_at -%}
                {%- set timing.completed = step.completed_at -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set rows_affected = (result.adapter_response or {}).get('rows_affected') -%}
        {%- do rows.append(
            "select " ~ string_literal(invocation_id) ~ " as invocation_id, "
            ~ string_literal(result.node.unique_id) ~ " as unique_id, "
            ~ string_literal(result.node.name) ~ " as model_name, "
            ~ string_literal(result.node.resource_type) ~ " as resource_type, "
            ~ string_literal(result.status) ~ " as status, "
            ~ _timestamp_literal(timing.started) ~ " as run_started_at, "
            ~ _timestamp_literal(timing.completed) ~ " as run_completed_at, "
            ~ "cast(" ~ (result.execution_time or 0) ~ " as " ~ dbt.type_float() ~ ") as execution_seconds, "
            ~ "cast(" ~ (rows_affected if rows_affected is number else 'null') ~ " as " ~ dbt.type_bigint() ~ ") as rows_affected, "
            ~ string_literal((result.message or '')[:1000]) ~ " as message"
        ) -%}
    {%- endfor -%}
    insert into {{ run_results_log_relation() }}
    {{ rows | join('\nunion all\n') }}
{% endmacro %}

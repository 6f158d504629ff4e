{#-
  Schemas are named by layer (staging, core, mart), without dbt's default `<target schema>_`
  prefix, on `prod` only: every other target keeps the prefix (`dev`: analytics_dev_staging, a
  new `ci` target: <its dataset>_staging, ...), so no target but prod can write production
  datasets. The exceptions are the two that cannot reach a production warehouse at all: `local`
  (the embedded DuckDB file) and `emulator` (the tests' offline BigQuery).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set unprefixed_targets = ['prod', 'local', 'emulator'] -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.name in unprefixed_targets -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

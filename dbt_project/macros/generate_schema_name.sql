{#-
  Schemas are named by layer (staging, core, mart), without dbt's default `<target schema>_`
  prefix. On the BigQuery `dev` target they keep the prefix so developers do not write into
  production datasets.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.name == 'dev' -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

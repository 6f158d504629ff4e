{#-
  Date windows of the analyses (analyses/), which hold the specification's "last N days" queries
  over the full-history marts. The window is the N whole UTC days before the report date, which
  is today, or var report_date (YYYY-MM-DD) to reproduce an earlier report:
  dbt compile --select analyses --vars '{report_date: 2026-10-06}'. Today itself is left out:
  its partition is loaded only once the day is over.
-#}
{% macro report_date() -%}
    {%- set value = var('report_date', '') | string | trim -%}
    {%- if not value -%}
        current_date
    {%- elif modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
        date '{{ value }}'
    {%- else -%}
        {{ exceptions.raise_compiler_error("var report_date must be a date YYYY-MM-DD, got " ~ (value | tojson)) }}
    {%- endif -%}
{%- endmacro %}

{% macro in_report_window(column, days) -%}
    {{ column }} >= cast({{ dbt.dateadd('day', -(days | int), report_date()) }} as date) and {{ column }} < {{ report_date() }}
{%- endmacro %}

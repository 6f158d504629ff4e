{#-
  The comment dbt puts on every query, as JSON. On BigQuery (`job-label: true` in
  dbt_project.yml) each key becomes a label of the query job, so INFORMATION_SCHEMA.JOBS and the
  billing export attribute bytes and slots to a model and a Dagster run:
    dbt_model        the node's name (hooks and tests: their own name; none outside a node)
    dbt_resource     model, test, seed, snapshot, operation
    dagster_run_id   the Dagster run that started dbt (MEASURE_DAGSTER_RUN_ID, set by the dbt
                     resource; none for a dbt run outside Dagster)
  dbt adds dbt_invocation_id itself. Label values are lower-cased and reduced to [a-z0-9_-].
-#}
{% macro measure_query_comment(node) -%}
    {%- set comment = {
        'app': 'measure_dagster',
        'dbt_model': node.name if node is not none else 'none',
        'dbt_resource': node.resource_type if node is not none else 'none',
        'dagster_run_id': env_var('MEASURE_DAGSTER_RUN_ID', 'none'),
    } -%}
    {{- return(tojson(comment)) -}}
{%- endmacro %}

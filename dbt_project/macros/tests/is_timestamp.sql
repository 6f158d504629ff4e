{#- The column's data type is a timestamp (the specification used dbt_utils.is_timestamp,
    which dbt_utils does not have, and no packages can be installed here). Fails with one row
    naming the actual type. -#}
{% test is_timestamp(model, column_name) %}
    {%- set found = namespace(data_type='column not found') -%}
    {#- `dbt compile --no-introspect` (offline) has no connection to ask: it renders the query
        as at parse time. -#}
    {%- if execute and flags.INTROSPECT -%}
        {%- for column in adapter.get_columns_in_relation(model) -%}
            {%- if column.name | lower == column_name | lower -%}
                {%- set found.data_type = column.dtype -%}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {%- set found.data_type = 'timestamp' -%}
    {%- endif -%}
    select *
    from (select {{ string_literal(column_name) }} as column_name, {{ string_literal(found.data_type) }} as data_type) as checked
    where {{ 'false' if (found.data_type | lower).startswith('timestamp') else 'true' }}
{% endtest %}

{#- Engine differences of the ecommerce and experiment models (macros/ecommerce.sql,
    macros/statistics.sql); the rest of their SQL is shared. -#}

{#- The scalar at top-level `key` of a JSON object held in a string, as a string: numbers as
    their text, strings unquoted; NULL when the key is absent, null, an object or an array, or
    the text is not JSON. BigQuery's JSON_VALUE already answers so; DuckDB's json_extract_string
    returns objects and arrays as JSON text, hence the json_type guard. -#}
{% macro json_scalar(json_text, key) -%}
    {%- if not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', key | string) -%}
        {{ exceptions.raise_compiler_error("JSON key " ~ (key | tojson) ~ " must be letters, digits and _") }}
    {%- endif -%}
    {{ return(adapter.dispatch('json_scalar', 'measure_js')(json_text, key)) }}
{%- endmacro %}
{#- on the JSON type: a string that is not JSON gives NULL instead of an error; large numbers round -#}
{% macro default__json_scalar(json_text, key) -%}
    json_value(safe.parse_json({{ json_text }}, wide_number_mode => 'round'), '$.{{ key }}')
{%- endmacro %}
{% macro duckdb__json_scalar(json_text, key) -%}
    case
        when json_type(try_cast({{ json_text }} as json), '$.{{ key }}') not in ('OBJECT', 'ARRAY')
            then json_extract_string(try_cast({{ json_text }} as json), '$.{{ key }}')
    end
{%- endmacro %}

{#- Money: an exact decimal with 9 digits after the point on both engines (BigQuery's NUMERIC),
    so sums do not depend on the order rows are added in. DuckDB's own `numeric` has 3 digits. -#}
{% macro type_money() -%}{{ return(adapter.dispatch('type_money', 'measure_js')()) }}{%- endmacro %}
{% macro default__type_money() -%}numeric{%- endmacro %}
{% macro duckdb__type_money() -%}decimal(38, 9){%- endmacro %}

{#- A cast giving NULL instead of an error. -#}
{% macro try_cast_as(value, type) -%}{{ return(adapter.dispatch('try_cast_as', 'measure_js')(value, type)) }}{%- endmacro %}
{% macro default__try_cast_as(value, type) -%}safe_cast({{ value }} as {{ type }}){%- endmacro %}
{% macro duckdb__try_cast_as(value, type) -%}try_cast({{ value }} as {{ type }}){%- endmacro %}

{#- A FROM-clause item joining each row to the elements of its repeated record `array`, each
    element named `alias` (rows with an empty array drop out, as with a cross join). -#}
{% macro cross_join_unnest(array, alias) -%}{{ return(adapter.dispatch('cross_join_unnest', 'measure_js')(array, alias)) }}{%- endmacro %}
{% macro default__cross_join_unnest(array, alias) -%}cross join unnest({{ array }}) as {{ alias }}{%- endmacro %}
{% macro duckdb__cross_join_unnest(array, alias) -%}cross join unnest({{ array }}) as {{ alias }}_unnested({{ alias }}){%- endmacro %}

{#- A var that must be true or false (--vars may pass the strings 'true' / 'false'): anything else
    is a compilation error, never SQL. -#}
{% macro boolean_var(name) -%}
    {%- set value = var(name) -%}
    {%- if value is sameas true or value is sameas false -%}
        {{ return(value) }}
    {%- endif -%}
    {%- set text = value | string | trim | lower -%}
    {%- if text not in ('true', 'false') -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be true or false, got " ~ (value | tojson)) }}
    {%- endif -%}
    {{ return(text == 'true') }}
{%- endmacro %}

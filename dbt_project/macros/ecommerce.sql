{#-
  Ecommerce fields of an event's `parameters` JSON (GA4's names: value, currency, transaction_id),
  read by staging.purchases. Each field is the first of its keys in var ecommerce_parameter_keys
  that holds a scalar, so trackers that say `revenue` / `order_id` are read too.

  A purchase's revenue is usable when its value and currency are; otherwise `revenue_issue` says
  why, the first rule that applies:
    missing value          no key holds a scalar (absent, null, an object or an array)
    unparseable value      not a decimal number (a JSON number, or a string of one: "49.90")
    negative value         below 0 (refunds are not purchases)
    value out of range     1e15 or more: no real order, and beyond exact decimal arithmetic
    missing currency       no currency key holds a scalar
    invalid currency       not three letters (ISO 4217; case and spaces are ignored)
    currency without rate  the currency is not in var currency_rates
  Such a purchase still counts as a purchase (the event happened) but adds no revenue; the marts
  count these per row (transactions_without_revenue) and the test purchases_without_revenue warns.
-#}

{% macro ecommerce_field(json_text, field) -%}
    {%- set keys = (var('ecommerce_parameter_keys') or {}).get(field) or [] -%}
    {%- if keys is string or keys | length == 0 -%}
        {{ exceptions.raise_compiler_error("var ecommerce_parameter_keys." ~ field ~ " must be a list of JSON keys") }}
    {%- endif -%}
    {%- if keys | length == 1 -%}
        nullif(trim({{ json_scalar(json_text, keys[0]) }}), '')
    {%- else -%}
        coalesce({% for key in keys %}nullif(trim({{ json_scalar(json_text, key) }}), ''){{ ', ' if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- var currency_rates, validated: {ISO code: rate as a decimal string}. A rate is what one unit
    of the currency is worth in var reporting_currency, whose own rate must be 1. -#}
{% macro currency_rates() -%}
    {%- set rates = var('currency_rates') or {} -%}
    {%- set reporting = var('reporting_currency') | string -%}
    {%- set checked = {} -%}
    {%- for code, rate in rates.items() -%}
        {%- set text = rate | string | trim -%}
        {%- if not modules.re.fullmatch('[A-Z]{3}', code | string) or not modules.re.fullmatch('[0-9]{1,12}(\\.[0-9]{1,9})?', text) or text | float <= 0 -%}
            {{ exceptions.raise_compiler_error("var currency_rates: " ~ (code | tojson) ~ ": " ~ (text | tojson) ~ " is not a three-letter code with a positive decimal rate") }}
        {%- endif -%}
        {%- do checked.update({code: text}) -%}
    {%- endfor -%}
    {%- if checked.get(reporting) is none or checked[reporting] | float != 1 -%}
        {{ exceptions.raise_compiler_error("var currency_rates must give the reporting currency " ~ (reporting | tojson) ~ " the rate 1") }}
    {%- endif -%}
    {{ return(checked) }}
{%- endmacro %}

{#- The rate of a currency column to the reporting currency, as money; NULL for a currency without a rate. -#}
{% macro currency_rate(currency) -%}
    case {{ currency }}
        {%- for code, rate in currency_rates().items() %}
        when '{{ code }}' then cast('{{ rate }}' as {{ type_money() }})
        {%- endfor %}
    end
{%- endmacro %}

{% macro is_decimal_number(text) -%}
    {{ regex_contains(text, string_literal('^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$')) }}
{%- endmacro %}

{#- The reason a purchase has no usable revenue (rules above), or NULL. `currency` is already upper-cased. -#}
{% macro revenue_issue(value_text, currency) -%}
    case
        when {{ value_text }} is null then 'missing value'
        when not {{ is_decimal_number(value_text) }} then 'unparseable value'
        when {{ try_cast_as(value_text, type_double()) }} < 0 then 'negative value'
        when {{ try_cast_as(value_text, type_double()) }} >= 1e15 then 'value out of range'
        when {{ currency }} is null then 'missing currency'
        when not {{ regex_contains(currency, "'^[A-Z]{3}$'") }} then 'invalid currency'
        when ({{ currency_rate(currency) }}) is null then 'currency without rate'
    end
{%- endmacro %}

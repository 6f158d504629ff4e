{#-
  Distribution functions in plain SQL (exp, sqrt, power, abs: the same on DuckDB and BigQuery;
  neither engine has a normal or chi-square CDF built in). Arguments are SQL expressions of
  FLOAT64 / DOUBLE, repeated in the output: pass column names.

  erfc: the complementary error function (x >= 0), Numerical Recipes' Chebyshev fit `erfcc` (Press et al.,
  Numerical Recipes in C, 2nd ed., section 6.2), fractional error below 1.2e-7 for every x >= 0:
  relative, so small p-values keep their digits (a p-value of 1e-6 is exact to ~1e-13). Below
  exp's underflow (the result < 1e-300) it returns 0.
-#}
{#- erfc in three steps, each a column of its own CTE: the expression nested in one would be
    too deep for GoogleSQL's analyzer (the SQL gate), and it reads better. For x >= 0:
      t = erfc_t(x);  tail = erfc_tail(t);  erfc = erfc_from(x, t, tail) -#}
{% macro erfc_t(x) -%}
    1.0 / (1.0 + 0.5 * {{ x }})
{%- endmacro %}

{% macro erfc_tail(t) -%}
    (-1.13520398 + {{ t }} * (1.48851587 + {{ t }} * (-0.82215223 + {{ t }} * 0.17087277)))
{%- endmacro %}

{% macro erfc_from(x, t, tail) -%}
    case
        when {{ x }} > 26 then 0.0
        else {{ t }} * exp(-{{ x }} * {{ x }} + (-1.26551223 + {{ t }} * (1.00002368 + {{ t }} * (0.37409196
            + {{ t }} * (0.09678418 + {{ t }} * (-0.18628806 + {{ t }} * (0.27886807 + {{ t }} * {{ tail }})))))))
    end
{%- endmacro %}

{#- Two-sided p-value of a standard normal statistic z, P(|Z| >= |z|) = erfc(|z| / sqrt 2): its
    erfc argument. -#}
{% macro normal_two_sided_erfc_argument(z) -%}
    abs({{ z }}) / 1.4142135623730951
{%- endmacro %}

{#- P(X >= x) for X chi-square with `df` degrees of freedom (an integer expression, 1 to
    max_df), given `erfc_of_root` = erfc(sqrt(x / 2)) (a column from the steps above), exactly from the closed forms of the regularized upper incomplete gamma function
    at half-integer shape: even df = 2k: exp(-x/2) * sum_{i<k} (x/2)^i / i!; odd df = 2k+1:
    erfc(sqrt(x/2)) + exp(-x/2) * sum_{1<=i<=k} (x/2)^(i-1/2) / Gamma(i+1/2). Accurate to
    erfc's 1.2e-7 (odd df) or to rounding (even df). NULL beyond max_df. -#}
{% macro chi_square_p_value(x, df, erfc_of_root, max_df=19) -%}
    (case
        when {{ x }} is null or {{ df }} is null or {{ df }} < 1 then null
        when {{ x }} <= 0 then 1.0
        when {{ x }} >= 1400 then 0.0
        {%- for degrees in range(1, max_df + 1) %}
        when {{ df }} = {{ degrees }} then
            {%- if degrees % 2 == 0 %}
            exp(-{{ x }} / 2) * (1.0
                {%- set ns = namespace(factorial=1.0) -%}
                {%- for i in range(1, degrees // 2) -%}
                {%- set ns.factorial = ns.factorial * i %} + power({{ x }} / 2, {{ i }}) * {{ 1.0 / ns.factorial }}
                {%- endfor %})
            {%- else %}
            {{ erfc_of_root }}
                {%- set ns = namespace(gamma=0.88622692545275801) -%}
                {%- for i in range(1, (degrees - 1) // 2 + 1) -%}
                {%- if i > 1 %}{% set ns.gamma = ns.gamma * (i - 0.5) %}{% endif %}
                + exp(-{{ x }} / 2) * power({{ x }} / 2, {{ i - 0.5 }}) * {{ 1.0 / ns.gamma }}
                {%- endfor %}
            {%- endif %}
        {%- endfor %}
    end)
{%- endmacro %}

{#- The two-sided standard normal quantile z(1 - alpha/2) of var experiment_confidence_level,
    from a table (neither engine has an inverse normal CDF): one of 0.8, 0.9, 0.95, 0.98, 0.99, 0.999. -#}
{% macro confidence_z() -%}
    {%- set quantiles = {'0.8': 1.2815515655446004, '0.9': 1.6448536269514722, '0.95': 1.959963984540054,
                         '0.98': 2.3263478740408408, '0.99': 2.5758293035489004, '0.999': 3.2905267314919255} -%}
    {%- set level = var('experiment_confidence_level') | string | trim -%}
    {%- if level not in quantiles -%}
        {{ exceptions.raise_compiler_error("var experiment_confidence_level must be one of " ~ (quantiles.keys() | list | join(', ')) ~ ", got " ~ (level | tojson)) }}
    {%- endif -%}
    {{ return(quantiles[level]) }}
{%- endmacro %}

{{ config(materialized='table') }}

{#-
  One row per A/B test and variant, over all history (core.experiment_visitors): the variant's
  exposed visitors (visitors shown two or more variants of the test excluded, and counted per test
  in visitors_in_several_variants), what they did from their first exposure on, and the test of
  the variant against the test's control. Formulas and limits: README, "Experiments".
  - control_variant: var experiment_control_variants[test], default the first variant alphabetically
  - conversion_rate = converting_visitors / visitors; revenue_per_visitor = revenue / visitors
  - against the control (NULL on the control's own row): conversion_rate_difference (absolute)
    and conversion_rate_uplift (relative, difference / control rate), revenue_per_visitor_uplift;
    two-proportion z-test with the pooled rate: z_statistic, two-sided p_value; Wald interval of
    the difference at var experiment_confidence_level (difference_ci_lower / _upper)
  - sample ratio, per test (the same on each of its rows): expected_share of the variant (var
    experiment_expected_splits[test], default equal), chi-square of the visitors against it with
    variants - 1 degrees of freedom, srm_p_value; the test experiments_sample_ratio_mismatch warns
    below var experiment_srm_p_value. A variant with an expected share of 0 that has visitors
    gives srm_p_value 0 (srm_chi_square NULL: infinite).
-#}
{%- set controls = var('experiment_control_variants') or {} -%}
{%- set splits = var('experiment_expected_splits') or {} -%}
{%- set double = type_double() -%}
{%- for test, split in splits.items() -%}
    {%- if split is not mapping or not split or split.values() | map('float') | select('<', 0) | list or split.values() | map('float') | sum <= 0 -%}
        {{ exceptions.raise_compiler_error("var experiment_expected_splits: " ~ (test | tojson) ~ " must map variants to weights >= 0 with a positive sum") }}
    {%- endif -%}
{%- endfor -%}

with visitors as (

    select *
    from {{ ref('experiment_visitors') }}

),

tests as (

    select
        test_name,
        count(case when is_in_several_variants then 1 end) as visitors_in_several_variants
    from visitors
    group by 1

),

variants as (

    select
        test_name,
        variant,
        count(*) as visitors,
        cast(sum(sessions_after_exposure) as {{ dbt.type_bigint() }}) as sessions_after_exposure,
        count(case when is_converted then 1 end) as converting_visitors,
        cast(sum(transactions) as {{ dbt.type_bigint() }}) as transactions,
        cast(sum(transactions_without_revenue) as {{ dbt.type_bigint() }}) as transactions_without_revenue,
        cast(sum(revenue) as {{ type_money() }}) as revenue
    from visitors
    where not is_in_several_variants
    group by 1, 2

),

-- the expected share of each variant: configured weights over their sum (0 for a variant not
-- configured), else 1 / the variants seen
shares as (

    select
        *,
        {%- if splits %}
        cast(case
            {%- for test, split in splits.items() %}
            {%- set total = split.values() | map('float') | sum %}
            when test_name = {{ string_literal(test) }} then case variant
                {%- for variant, weight in split.items() %} when {{ string_literal(variant) }} then {{ (weight | float) / total }}{% endfor %}
                else 0.0 end
            {%- endfor %}
            else 1.0 / count(*) over (partition by test_name)
        end as {{ double }}) as expected_share,
        case
            {%- for test, split in splits.items() %}
            when test_name = {{ string_literal(test) }} then {{ split | length }}
            {%- endfor %}
        end as configured_variants,
        {%- else %}
        cast(1.0 / count(*) over (partition by test_name) as {{ double }}) as expected_share,
        cast(null as {{ dbt.type_int() }}) as configured_variants,
        {%- endif %}
        sum(visitors) over (partition by test_name) as test_visitors,
    {%- if controls %}
        coalesce(
            case
                {%- for test, control in controls.items() %}
                when test_name = {{ string_literal(test) }} then {{ string_literal(control) }}
                {%- endfor %}
            end,
            min(variant) over (partition by test_name)
        ) as control_variant
        {%- else %}
    min(variant) over (partition by test_name) as control_variant
    {%- endif %}
    from variants

),

sample_ratios as (

    select
        test_name,
        count(case when expected_share = 0 then 1 end) as unexpected_variants,
        -- observed variants, plus configured ones nobody saw (each adds its whole expected count)
        count(*) + coalesce(max(configured_variants) - count(case when expected_share > 0 then 1 end), 0) - 1 as srm_degrees_of_freedom,
        sum(power(visitors - expected_share * test_visitors, 2) / nullif(expected_share * test_visitors, 0))
        + case
            when max(configured_variants) is not null
                then greatest(0.0, max(test_visitors) * (1.0 - sum(expected_share)))
            else 0.0
        end as chi_square
    from shares
    group by 1

),

-- the p-values' erfc in steps (macros/statistics.sql): of sqrt(chi-square / 2) and of |z| / sqrt 2
srm_erfc_inputs as (

    select
        *,
        sqrt(chi_square / 2) as erfc_x,
        {{ erfc_t('sqrt(chi_square / 2)') }} as erfc_t
    from sample_ratios

),

srm_erfc_tails as (

    select
        *,
        {{ erfc_tail('erfc_t') }} as erfc_tail
    from srm_erfc_inputs

),

srm_tests as (

    select
        test_name,
        srm_degrees_of_freedom,
        case when unexpected_variants = 0 then chi_square end as srm_chi_square,
        case
            when unexpected_variants > 0 then 0.0
            else {{ chi_square_p_value('chi_square', 'srm_degrees_of_freedom', 'erfc_of_root') }}
        end as srm_p_value
    from (select
        *,
        {{ erfc_from('erfc_x', 'erfc_t', 'erfc_tail') }} as erfc_of_root
    from srm_erfc_tails) as with_erfc

),

compared as (

    select
        shares.*,
        shares.variant = shares.control_variant as is_control,
        {{ safe_ratio('shares.converting_visitors', 'shares.visitors') }} as conversion_rate,
        {{ safe_ratio('shares.revenue', 'shares.visitors') }} as revenue_per_visitor,
        control.visitors as control_visitors,
        {{ safe_ratio('control.converting_visitors', 'control.visitors') }} as control_conversion_rate,
        {{ safe_ratio('control.revenue', 'control.visitors') }} as control_revenue_per_visitor,
        {{ safe_ratio('shares.converting_visitors + control.converting_visitors', 'shares.visitors + control.visitors') }} as pooled_rate
    from shares
    left join variants as control
        on
            shares.test_name = control.test_name
            and shares.control_variant = control.variant
            and shares.variant <> shares.control_variant

),

tested as (

    select
        *,
        conversion_rate - control_conversion_rate as conversion_rate_difference,
        sqrt(pooled_rate * (1 - pooled_rate) * (1.0 / visitors + 1.0 / control_visitors)) as pooled_standard_error,
        sqrt(
            conversion_rate * (1 - conversion_rate) / visitors
            + control_conversion_rate * (1 - control_conversion_rate) / control_visitors
        ) as standard_error
    from compared

),

scored as (

    select
        *,
        cast(conversion_rate_difference as {{ double }}) / nullif(pooled_standard_error, 0) as z_statistic
    from tested

),

z_erfc_inputs as (

    select
        *,
        {{ normal_two_sided_erfc_argument('z_statistic') }} as erfc_x,
        {{ erfc_t(normal_two_sided_erfc_argument('z_statistic')) }} as erfc_t
    from scored

),

z_erfc_tails as (

    select
        *,
        {{ erfc_tail('erfc_t') }} as erfc_tail
    from z_erfc_inputs

)

select
    scored.test_name,
    scored.variant,
    scored.control_variant,
    scored.is_control,
    scored.visitors,
    tests.visitors_in_several_variants,
    scored.sessions_after_exposure,
    scored.converting_visitors,
    scored.conversion_rate,
    scored.transactions,
    scored.transactions_without_revenue,
    scored.revenue,
    {{ string_literal(var('reporting_currency')) }} as currency,
    scored.revenue_per_visitor,
    scored.conversion_rate_difference,
    cast(scored.conversion_rate_difference as {{ double }}) / nullif(scored.control_conversion_rate, 0) as conversion_rate_uplift,
    (scored.revenue_per_visitor - scored.control_revenue_per_visitor) / nullif(scored.control_revenue_per_visitor, 0) as revenue_per_visitor_uplift,
    scored.z_statistic,
    -- two-sided: P(|Z| >= |z|) = erfc(|z| / sqrt 2)
    {{ erfc_from('scored.erfc_x', 'scored.erfc_t', 'scored.erfc_tail') }} as p_value,
    cast({{ var('experiment_confidence_level') }} as {{ double }}) as confidence_level,
    scored.conversion_rate_difference - {{ confidence_z() }} * scored.standard_error as difference_ci_lower,
    scored.conversion_rate_difference + {{ confidence_z() }} * scored.standard_error as difference_ci_upper,
    scored.expected_share,
    scored.expected_share * scored.test_visitors as expected_visitors,
    srm_tests.srm_chi_square,
    srm_tests.srm_degrees_of_freedom,
    srm_tests.srm_p_value
from z_erfc_tails as scored
inner join tests on scored.test_name = tests.test_name
inner join srm_tests on scored.test_name = srm_tests.test_name

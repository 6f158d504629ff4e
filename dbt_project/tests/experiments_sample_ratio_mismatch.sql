{#- Sample ratio mismatch: the tests whose exposed visitors differ from the expected split
    (mart.experiments: chi-square, var experiment_expected_splits, default equal) with a p-value
    below var experiment_srm_p_value (0.001). A mismatch means the assignment or the tracking is
    broken, and the test's figures cannot be trusted: a warning, one row per test. -#}
{{ config(severity='warn') }}

select
    test_name,
    max(test_visitors_total) as visitors,
    max(srm_chi_square) as srm_chi_square,
    max(srm_degrees_of_freedom) as srm_degrees_of_freedom,
    max(srm_p_value) as srm_p_value
from (
    select
        test_name,
        sum(visitors) over (partition by test_name) as test_visitors_total,
        srm_chi_square,
        srm_degrees_of_freedom,
        srm_p_value
    from {{ ref('experiments') }}
) as per_variant
where srm_p_value < {{ var('experiment_srm_p_value') | float }}
group by 1

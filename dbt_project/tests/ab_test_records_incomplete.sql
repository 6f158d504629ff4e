{#- ab_test records of the run's window without a test name or a variant: no experiment can
    use them (core.experiment_visitors leaves them out). A warning, never a block. -#}
{{ config(severity='warn') }}

select
    event_date,
    visitor_key,
    test_name,
    variant,
    exposure_events
from {{ ref('ab_test_exposures') }}
where
    {{ in_partition_window('event_date') }}
    and (test_name is null or variant is null)

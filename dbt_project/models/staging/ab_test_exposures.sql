{{
    config(
        window_column='event_date',
        partition_by=bigquery_day_partition('event_date'),
        cluster_by=['test_name', 'visitor_key'],
        tags=['partitioned'],
    )
}}

{#-
  A/B test exposures from the repeated record `ab_test` (name, variant, def) every event
  carries: one row per UTC day, visitor, test and variant, with the first and last event of
  that day showing it. Small (a row per visitor and test a day), so core.experiment_visitors
  can read all of history every day. Records without a name or a variant are kept, with NULL
  there, and left out by the experiment models (counted by the test ab_test_records_incomplete).
-#}

with window_events as (

    -- the window's days first: a filter under the unnest is one BigQuery prunes partitions by
    select
        event_date,
        visitor_key,
        is_bot,
        timestamp,
        ab_test
    from {{ ref('events_cleaned') }}
    where {{ in_partition_window('event_date') }}

),

records as (

    select
        events.event_date,
        events.visitor_key,
        events.is_bot,
        events.timestamp,
        nullif(trim(record.name), '') as test_name,
        nullif(trim(record.variant), '') as variant,
        nullif(record.{{ adapter.quote('def') }}, '') as test_definition
    from window_events as events
    {{ cross_join_unnest('events.ab_test', 'record') }}

)

select
    event_date,
    visitor_key,
    test_name,
    variant,
    is_bot,
    min(timestamp) as first_exposed_at,
    max(timestamp) as last_exposed_at,
    count(*) as exposure_events,
    max(test_definition) as test_definition
from records
group by 1, 2, 3, 4, 5

{{ config(materialized='table') }}

-- How far behind the data is: hours between now and the newest raw event / daily_performance
-- date (the specification's TIMESTAMP_DIFF on a DATE is not valid BigQuery; both are
-- compared as timestamps here). dbt.dateadd returns a DATETIME on BigQuery, so its result is
-- cast back to TIMESTAMP: a UNION ALL of TIMESTAMP and DATETIME, or unix_micros of a DATETIME,
-- fails there (the GoogleSQL gate of the tests rejects both).
-- The raw table is only read back to `checked_since` (var freshness_lookback_days): on BigQuery a
-- max(timestamp) over the whole table would bill its timestamp column for every day of history
-- on every run. No event since then: latest_record and hours_behind are NULL.
{%- set lookback_days = integer_var('freshness_lookback_days') %}

with latest as (

    select
        'events' as table_name,
        max(timestamp) as latest_record,
        {{ utc_days_before_today_start(lookback_days) }} as checked_since
    from {{ source('raw', 'events') }}
    where timestamp >= {{ utc_days_before_today_start(lookback_days) }}

    union all

    select
        'daily_performance' as table_name,
        -- a date's data is complete at the end of the day
        cast({{ dbt.dateadd('day', 1, 'max(date)') }} as {{ dbt.type_timestamp() }}) as latest_record,
        -- a small table, one row per day: read whole
        cast(null as {{ dbt.type_timestamp() }}) as checked_since
    from {{ ref('daily_performance') }}

)

select
    table_name,
    latest_record,
    ({{ epoch_micros(dbt.current_timestamp()) }} - {{ epoch_micros('latest_record') }}) / 3600000000.0 as hours_behind,
    checked_since
from latest

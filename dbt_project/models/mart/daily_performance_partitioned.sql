{{
    config(
        window_column='date',
        window_lookback_days=var('session_lookback_days'),
        partition_by=bigquery_day_partition('date'),
        upstream_partition_offsets={'daily_performance': [-(var('session_lookback_days') | int), 0]},
        tags=['partitioned'],
    )
}}

-- daily_performance in a date-partitioned table (the specification's table materialization
-- rebuilt every day; here the same dates daily_performance rewrote are replaced).
select *
from {{ ref('daily_performance') }}
where {{ in_partition_window('date', lookback_days=var('session_lookback_days') | int) }}

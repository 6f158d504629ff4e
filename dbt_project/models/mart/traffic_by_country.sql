{{
    config(
        window_column='date',
        partition_by=bigquery_day_partition('date'),
        tags=['partitioned'],
    )
}}

{#-
  The specification's "Traffic by Country" per UTC date and country, for every date (the
  analysis traffic_by_country_last_30_days.sql has the window). Human events only; events
  without a known country are kept, with country NULL, so that the days add up to
  daily_performance (the analysis leaves them out, as the specification did). unique_visitors
  counts visitor_key (the specification's client_id misses visitors without consent); sessions
  counts the sessions with an event that day in that country.
-#}
select
    event_date as date,
    country,
    country_code,
    count(*) as events,
    count(distinct visitor_key) as unique_visitors,
    count(distinct session_id) as sessions
from {{ ref('events_sessionated') }}
where
    not is_bot
    and {{ in_partition_window('event_date') }}
group by 1, 2, 3

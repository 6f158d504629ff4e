{{
    config(
        window_column='event_date',
        partition_by=bigquery_day_partition('event_date'),
        cluster_by=['visitor_key'],
        tags=['partitioned'],
    )
}}

{#-
  user_map's partials: one row per (visitor, user_id, UTC day) of logged-in human events. A
  partition run replaces its days like every event-grained model, so the rows of a day depend
  on that day's events alone, whichever order partitions run in; staging.user_map merges the
  partials of the visitors a run touched (min, max and sums over days are exact in any order).
-#}
with logged_in_events as (

    select
        visitor_key,
        client_id,
        user_id,
        timestamp,
        event_date
    from {{ ref('events_cleaned') }}
    where
        {{ in_partition_window('event_date') }}
        and user_id is not null
        and not is_bot

)

select
    visitor_key,
    user_id,
    event_date,
    max(client_id) as client_id,
    min(timestamp) as first_seen,
    max(timestamp) as last_seen,
    count(*) as events
from logged_in_events
group by 1, 2, 3

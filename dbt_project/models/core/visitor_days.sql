{{
    config(
        window_column='event_date',
        partition_by=bigquery_day_partition('event_date'),
        cluster_by=['visitor_key'],
        tags=['partitioned'],
    )
}}

{#-
  The per-visitor state's partials: one row per visitor and UTC day with human events. A
  partition run replaces its days like every event-grained model, so a day's rows depend on
  that day's events alone; users_incremental and users merge the partials of the visitors a run
  touched (first seen = min, last seen = max, days active = rows, events = sum: exact in any
  partition order), instead of re-reading their events.
-#}
with human_events as (

    select
        visitor_key,
        client_id,
        timestamp,
        event_date
    from {{ ref('events_sessionated') }}
    where
        {{ in_partition_window('event_date') }}
        and not is_bot

)

select
    visitor_key,
    event_date,
    max(client_id) as client_id,
    min(timestamp) as first_seen,
    max(timestamp) as last_seen,
    count(*) as events
from human_events
group by 1, 2

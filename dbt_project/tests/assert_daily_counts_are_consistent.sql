-- A day's pageviews are some of its events, and the sessions that started on it are some of
-- the sessions with an event on it (their first one), in the run's window.
with days as (

    select
        date,
        pageviews,
        total_events,
        sessions_started,
        total_sessions
    from {{ ref('daily_performance') }}
    where {{ in_partition_window('date') }}

)

select *
from days
where
    pageviews > total_events
    or sessions_started > total_sessions

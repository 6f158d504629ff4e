{{
    config(
        materialized='incremental',
        incremental_strategy=window_incremental_strategy(),
        window_column='date',
        window_lookback_days=var('session_lookback_days'),
        partition_by=bigquery_day_partition('date'),
        upstream_partition_offsets={'events_sessionated': [-(var('session_lookback_days') | int), var('session_lookback_days') | int]},
        tags=['partitioned'],
    )
}}

{#-
  One row per UTC date. avg_session_duration is the mean duration of the sessions that started
  that day, each counted once. A session can end after its start day, so a partition run
  rewrites the `session_lookback_days` dates before it too, and reads sessions' later events up
  to `session_lookback_days` after it: whichever partition runs last, every date ends up as in a
  full refresh.
-#}
{%- set lookback_days = var('session_lookback_days') | int -%}

with events as (

    select *
    from {{ ref('events_sessionated') }}
    where
        {{ in_partition_window('event_date', lookback_days=lookback_days) }}
        and not is_bot

),

daily_events as (

    select
        event_date as date,
        count(distinct visitor_key) as daily_active_users,
        count(distinct user_id) as daily_active_registered_users,
        count(distinct session_id) as total_sessions,
        count(*) as total_events,
        count(case when event_name = 'pageview' then 1 end) as pageviews
    from events
    group by 1

),

session_spans as (

    select
        session_id,
        min(session_start) as session_start,
        max(timestamp) as session_end
    from {{ ref('events_sessionated') }}
    where
        {{ in_partition_window('event_date', lookback_days=lookback_days, lookahead_days=lookback_days) }}
        and {{ in_partition_window('session_start', lookback_days=lookback_days, column_type='timestamp') }}
        and not is_bot
    group by 1

),

daily_sessions as (

    select
        cast(session_start as date) as date,
        count(*) as sessions_started,
        {{ avg_seconds_between('session_start', 'session_end') }} as avg_session_duration
    from session_spans
    group by 1

)

select
    daily_events.date,
    daily_events.daily_active_users,
    daily_events.daily_active_registered_users,
    daily_events.total_sessions,
    daily_events.total_events,
    daily_events.pageviews,
    coalesce(daily_sessions.sessions_started, 0) as sessions_started,
    daily_sessions.avg_session_duration
from daily_events
left join daily_sessions on daily_events.date = daily_sessions.date

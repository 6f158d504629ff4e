{{
    config(
        window_column='date',
        window_lookback_days=var('session_lookback_days'),
        partition_by=bigquery_day_partition('date'),
        upstream_partition_offsets={
            'events_sessionated': [-(var('session_lookback_days') | int), var('session_lookback_days') | int],
            'session_aggregates': [-(var('session_lookback_days') | int), 0],
        },
        tags=['partitioned'],
    )
}}

{#-
  One row per UTC date. The event counts come from events_sessionated; sessions_started and
  avg_session_duration from core.session_aggregates (each session once, by the date it started,
  as the sessions of core: with var require_pageview, those with a pageview). A session can end
  after its start day, so a partition run rewrites the `session_lookback_days` dates before it
  too, the dates core.session_aggregates rewrote in the same run: whichever partition runs last,
  every date ends up as in a full refresh. (It reads events_sessionated [-lookback, 0] only; the
  offsets say [-lookback, +lookback] because Dagster's dbt multi-asset takes one partition mapping
  per upstream asset, and session_aggregates' is that.)
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

daily_sessions as (

    select
        session_date as date,
        count(*) as sessions_started,
        {{ avg_seconds_between('session_start', 'session_end') }} as avg_session_duration
    from {{ ref('session_aggregates') }}
    where {{ in_partition_window('session_date', lookback_days=lookback_days) }}
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

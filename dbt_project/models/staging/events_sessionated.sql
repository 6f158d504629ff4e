{{
    config(
        materialized='incremental',
        incremental_strategy=window_incremental_strategy(),
        window_column='event_date',
        partition_by=bigquery_day_partition('event_date'),
        cluster_by=['visitor_key', 'session_id'],
        on_schema_change='fail',
        upstream_partition_offsets={'events': [-(var('session_lookback_days') | int), 0]},
        tags=['partitioned'],
    )
}}

{#-
  Sessions: per visitor, a gap of more than session_timeout_seconds between consecutive events
  starts a new session; sessions are not split at midnight. A partition only holds its own days,
  so the visitor's events of the `session_lookback_days` before it are read from the raw source
  (not from events_cleaned, whose earlier partitions may not be built yet): the result of a
  partition depends on raw data alone, never on the order in which partitions ran.
-#}
{%- set timeout_micros = (var('session_timeout_seconds') | int) * 1000000 -%}
{%- set lookback_days = var('session_lookback_days') | int -%}

with window_events as (

    select *
    from {{ ref('events_cleaned') }}
    where {{ in_partition_window('event_date') }}

),

window_visitors as (

    select distinct visitor_key
    from window_events

),

-- Earlier events of the same visitors, only to find where their sessions began. Their visitor
-- key is computed exactly as events_cleaned does (consent stitching included) from whole UTC
-- days of the raw source, so a session that began before the window keeps its start.
lookback_source as (

    select timestamp, client_id, {{ adapter.quote('hash') }}
    from {{ source('raw', 'events') }}
    where timestamp is not null
      and {{ before_partition_window('timestamp', lookback_days, column_type='timestamp') }}
      -- the rows events_cleaned keeps (macros/quarantine.sql)
      and {{ raw_event_is_usable() }}

),

lookback_stitches as (

    {{ visitor_key_stitches('lookback_source') }}

),

lookback_events as (

    select
        {{ visitor_key('lookback_source', 'lookback_stitches') }} as visitor_key,
        lookback_source.timestamp
    from lookback_source
    left join lookback_stitches on {{ visitor_key_stitch_join('lookback_source', 'lookback_stitches') }}

),

timeline as (

    select lookback_events.visitor_key, lookback_events.timestamp, cast(null as {{ dbt.type_string() }}) as event_id
    from lookback_events
    -- a NULL visitor_key joins nothing: the events events_cleaned drops
    inner join window_visitors on lookback_events.visitor_key = window_visitors.visitor_key

    union all

    select visitor_key, timestamp, event_id
    from window_events

),

-- Events of one visitor at the same instant are ordered by event_id in both windows below: with
-- the timestamp alone the two windows could order them differently, and the running max would
-- then split or join sessions differently from one run to the next.
gaps as (

    select
        *,
        {{ epoch_micros('timestamp') }}
            - lag({{ epoch_micros('timestamp') }}) over (partition by visitor_key order by timestamp, event_id) as gap_micros
    from timeline

),

-- The session's start is the latest event so far that began a session: a running max in the same
-- window as the order of events (one sort), no session number and no second partitioning.
session_starts as (

    select
        event_id,
        gap_micros,
        max(case when gap_micros is null or gap_micros > {{ timeout_micros }} then timestamp end)
            over (partition by visitor_key order by timestamp, event_id rows between unbounded preceding and current row)
            as session_start
    from gaps

)

select
    window_events.*,
    {{ dbt.hash("concat(window_events.visitor_key, '|', cast(" ~ epoch_micros('session_starts.session_start') ~ " as " ~ dbt.type_string() ~ "))") }}
        as session_id,
    session_starts.session_start,
    session_starts.gap_micros is null or session_starts.gap_micros > {{ timeout_micros }} as is_new_session,
    -- within the session only: a longer gap reaches back past the look-back a partition reads
    case
        when session_starts.gap_micros <= {{ timeout_micros }} then session_starts.gap_micros / 1000000.0
    end as seconds_since_previous_event
from window_events
inner join session_starts on window_events.event_id = session_starts.event_id

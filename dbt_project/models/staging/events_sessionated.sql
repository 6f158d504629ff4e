{{
    config(
        window_column='event_date',
        partition_by=bigquery_day_partition('event_date'),
        cluster_by=['visitor_key', 'session_id'],
        upstream_partition_offsets={'events_screened': [-(var('session_lookback_days') | int), 0]},
        tags=['partitioned'],
    )
}}

{#-
  Sessions: per visitor, a gap of more than session_timeout_seconds between consecutive events
  starts a new session; sessions are not split at midnight. A partition only holds its own days,
  so the visitor's events of the `session_lookback_days` before it are read from events_screened
  (not from events_cleaned, whose earlier partitions may not be built yet; the run screens the
  days it lacks): the result of a partition depends on raw data alone, never on the order in
  which partitions ran.

  With var split_session_on_new_source (Measure.js's rule, off by default), such a visit is
  split further: a pageview bringing a source the visit has not seen yet (utm_* tags, a click id
  or an external referrer; macros/traffic_source.sql) starts a new session at its timestamp, and
  the events before the visit's first pageview belong to its first session. Whether a pageview
  brings a new source depends only on the visit's earlier events, which the look-back reads too
  (url, referrer, event name), and on timestamps alone (events at one instant decide together),
  so partitions stay exact.
-#}
{%- set timeout_micros = (var('session_timeout_seconds') | int) * 1000000 -%}
{%- set lookback_days = var('session_lookback_days') | int -%}
{%- set split_on_new_source = boolean_var('split_session_on_new_source') -%}

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
-- days of the screened raw rows, so a session that began before the window keeps its start.
lookback_source as (

    select
        timestamp,
        client_id,
        {{ adapter.quote('hash') }}
    {%- if split_on_new_source %}, event_name, url, referrer{% endif %}
    from {{ ref('events_screened') }}
    where
        {{ before_partition_window('event_date', lookback_days) }}
        -- the rows events_cleaned keeps (macros/quarantine.sql)
        and quarantine_reason is null

),

lookback_stitches as (

    {{ visitor_key_stitches('lookback_source') }}

),

lookback_events as (

    select
        {{ visitor_key('lookback_source', 'lookback_stitches') }} as visitor_key,
        lookback_source.timestamp
    {%- if split_on_new_source %},
        -- as events_cleaned cleans them
        nullif(lookback_source.event_name, '') as event_name,
        nullif(lookback_source.url, '') as url,
        nullif(lookback_source.referrer, '') as referrer
        {%- endif %}
    from lookback_source
    left join lookback_stitches on {{ visitor_key_stitch_join('lookback_source', 'lookback_stitches') }}

),

timeline as (

    select
        lookback_events.visitor_key,
        lookback_events.timestamp,
        cast(null as {{ dbt.type_string() }}) as event_id
    {%- if split_on_new_source %}, lookback_events.event_name, lookback_events.url, lookback_events.referrer{% endif %}
    from lookback_events
    -- a NULL visitor_key joins nothing: the events events_cleaned drops
    inner join window_visitors on lookback_events.visitor_key = window_visitors.visitor_key

    union all

    select
        visitor_key,
        timestamp,
        event_id
    {%- if split_on_new_source %}, event_name, url, referrer{% endif %}
    from window_events

),

-- Events of one visitor at the same instant are ordered by event_id in both windows below: with
-- the timestamp alone the two windows could order them differently, and the running sum would
-- then split or join sessions differently from one run to the next.
gaps as (

    select
        *,
        {{ epoch_micros('timestamp') }}
        - lag({{ epoch_micros('timestamp') }}) over (partition by visitor_key order by timestamp, event_id) as gap_micros
    from timeline

),

session_numbers as (

    select
        *,
        sum(case when gap_micros is null or gap_micros > {{ timeout_micros }} then 1 else 0 end)
            over (partition by visitor_key order by timestamp, event_id rows between unbounded preceding and current row)
            as visitor_session_number
    from gaps

),

{%- if not split_on_new_source %}

session_starts as (

    select
        event_id,
        gap_micros,
        min(timestamp) over (partition by visitor_key, visitor_session_number) as session_start,
        gap_micros is null or gap_micros > {{ timeout_micros }} as is_new_session
    from session_numbers

)

{%- else %}

-- a visit (visitor_session_number) is split at its source pageviews: its first pageview, and
-- every pageview with a source signal that is the visit's first with that signal
pageview_signals as (

    select
        *,
        case when event_name = 'pageview' then {{ has_source_signal('url', 'referrer') }} end as has_signal,
        case when event_name = 'pageview' then {{ source_signal('url', 'referrer') }} end as signal
    from session_numbers

),

source_candidates as (

    select
        *,
        event_name = 'pageview'
            and (has_signal or timestamp = min(case when event_name = 'pageview' then timestamp end)
                                           over (partition by visitor_key, visitor_session_number))
            as is_candidate
    from pageview_signals

),

source_events as (

    select
        *,
        coalesce(is_candidate and timestamp = min(case when is_candidate then timestamp end)
                                                  over (partition by visitor_key, visitor_session_number, signal), false)
            as is_source_event
    from source_candidates

),

-- each event belongs to the latest source pageview at or before its instant (the default
-- window frame holds the events of the same instant); those before the first one to the first
latest_sources as (

    select
        *,
        min(timestamp) over (partition by visitor_key, visitor_session_number) as visit_start,
        min(case when is_source_event then timestamp end) over (partition by visitor_key, visitor_session_number) as first_source_at,
        max(case when is_source_event then timestamp end) over (partition by visitor_key, visitor_session_number order by timestamp) as source_at
    from source_events

),

split_sessions as (

    select
        *,
        case when source_at is null or source_at = first_source_at then visit_start else source_at end as session_start
    from latest_sources

),

session_starts as (

    select
        event_id,
        gap_micros,
        session_start,
        coalesce(
            lag(session_start) over (partition by visitor_key order by timestamp, event_id) != session_start,
            true
        ) as is_new_session
    from split_sessions

)

{%- endif %}

select
    window_events.*,
    {{ dbt.hash("concat(window_events.visitor_key, '|', cast(" ~ epoch_micros('session_starts.session_start') ~ " as " ~ dbt.type_string() ~ "))") }}
        as session_id,
    session_starts.session_start,
    session_starts.is_new_session,
    -- within the session only: a longer gap reaches back past the look-back a partition reads
    case
        when not session_starts.is_new_session then session_starts.gap_micros / 1000000.0
    end as seconds_since_previous_event
from window_events
inner join session_starts on window_events.event_id = session_starts.event_id

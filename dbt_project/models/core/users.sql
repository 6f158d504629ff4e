-- One row per visitor (client_id, or the daily hash without consent) with its engagement.
with events as (

    select *
    from {{ ref('events_sessionated') }}
    where not is_bot

),

visitor_events as (

    select
        visitor_key,
        max(client_id) as client_id,
        min(timestamp) as first_seen,
        max(timestamp) as last_seen,
        count(distinct event_date) as days_active,
        count(*) as total_events,
        count(distinct session_id) as total_sessions
    from events
    group by 1

),

-- each session counts once, whatever its number of events (the specification averaged over events)
visitor_sessions as (

    select visitor_key, {{ avg_seconds_between('session_start', 'session_end') }} as avg_session_duration
    from {{ ref('sessions') }}
    group by 1

)

select
    visitor_events.visitor_key,
    visitor_events.client_id,
    visitor_users.user_id,
    visitor_events.first_seen,
    visitor_events.last_seen,
    visitor_events.days_active,
    visitor_events.total_events,
    visitor_events.total_sessions,
    visitor_sessions.avg_session_duration
from visitor_events
left join {{ ref('user_map') }} as visitor_users
    on visitor_users.is_current_user and visitor_events.visitor_key = visitor_users.visitor_key
left join visitor_sessions on visitor_events.visitor_key = visitor_sessions.visitor_key

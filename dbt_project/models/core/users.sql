{#-
  One row per visitor (client_id, or the daily hash without consent) with its engagement.
  The visitor's history (first/last seen, days active) is core.users_incremental's, which each
  partition run keeps exact for the visitors it touched; sessions add the counts and durations.
-#}
with visitor_history as (

    select visitor_key, client_id, first_seen, last_seen, days_active
    from {{ ref('users_incremental') }}

),

-- each session counts once, whatever its number of events (the specification averaged over events)
visitor_sessions as (

    select
        visitor_key,
        cast(sum(events) as {{ dbt.type_bigint() }}) as total_events,
        count(*) as total_sessions,
        {{ avg_seconds_between('session_start', 'session_end') }} as avg_session_duration
    from {{ ref('sessions') }}
    group by 1

)

select
    visitor_history.visitor_key,
    visitor_history.client_id,
    visitor_users.user_id,
    visitor_history.first_seen,
    visitor_history.last_seen,
    visitor_history.days_active,
    visitor_sessions.total_events,
    visitor_sessions.total_sessions,
    visitor_sessions.avg_session_duration
from visitor_history
inner join visitor_sessions on visitor_history.visitor_key = visitor_sessions.visitor_key
left join {{ ref('user_map') }} as visitor_users
    on visitor_users.is_current_user and visitor_history.visitor_key = visitor_users.visitor_key

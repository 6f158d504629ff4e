{{
    config(
        incremental_strategy=visitor_state_strategy(),
        unique_key='visitor_key',
        cluster_by=['visitor_key'],
        tags=['partitioned'],
    )
}}

{#-
  One row per visitor (client_id, or the daily hash without consent) with its engagement.
  A per-visitor state: a partition run recomputes the visitors whose inputs it rewrote (events
  of its days, sessions started in its days and their look-back) and replaces their rows. Their
  history (first/last seen, days active, current user) is core.users_incremental's; sessions add
  the counts and durations, from the few columns of core.session_aggregates it needs.
-#}
-- read by is_touched_visitor() in partition runs only: a full build touches every visitor
with touched_visitors as (  -- noqa: ST03

    select visitor_key
    from {{ ref('visitor_days') }}
    where {{ in_partition_window('event_date') }}

    union all

    -- a session_aggregates run rewrites the sessions started in its look-back days too
    {{ visitors_of_rewritten_sessions() }}

),

visitor_history as (

    select
        visitor_key,
        client_id,
        user_id,
        first_seen,
        last_seen,
        days_active
    from {{ ref('users_incremental') }}
    where {{ is_touched_visitor() }}

),

-- each session counts once, whatever its number of events (the specification averaged over events)
visitor_sessions as (

    select
        visitor_key,
        cast(sum(events) as {{ dbt.type_bigint() }}) as total_events,
        count(*) as total_sessions,
        {{ avg_seconds_between('session_start', 'session_end') }} as avg_session_duration
    from {{ ref('session_aggregates') }}
    where {{ is_touched_visitor() }}
    group by 1

)

select
    visitor_history.visitor_key,
    visitor_history.client_id,
    visitor_history.user_id,
    visitor_history.first_seen,
    visitor_history.last_seen,
    visitor_history.days_active,
    visitor_sessions.total_events,
    visitor_sessions.total_sessions,
    visitor_sessions.avg_session_duration
from visitor_history
inner join visitor_sessions on visitor_history.visitor_key = visitor_sessions.visitor_key

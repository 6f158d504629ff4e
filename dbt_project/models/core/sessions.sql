-- One row per human session. Bot events stay in staging and are left out here.
with events as (

    select *
    from {{ ref('events_sessionated') }}
    where not is_bot

),

ordered_events as (

    select
        *,
        row_number() over (partition by session_id order by timestamp, event_id) as position_in_session,
        row_number() over (partition by session_id order by timestamp desc, event_id desc) as position_from_end
    from events

),

event_names as (

    select distinct session_id, event_name
    from events
    where event_name is not null

),

session_event_names as (

    select
        session_id,
        {{ dbt.listagg('event_name', "', '", 'order by event_name') }} as event_names
    from event_names
    group by 1

),

aggregated as (

    select
        session_id,
        visitor_key,
        max(client_id) as client_id,
        min(session_start) as session_start,
        max(timestamp) as session_end,
        count(*) as events,
        count(case when event_name = 'pageview' then 1 end) as pageviews,
        count(distinct url) as unique_pages,
        max(case when position_in_session = 1 then url end) as landing_page,
        max(case when position_from_end = 1 then url end) as exit_page,
        max(case when position_in_session = 1 then referrer end) as referrer,
        max(case when position_in_session = 1 then country end) as country,
        max(case when position_in_session = 1 then device_type end) as device_type,
        max(user_id) as session_user_id
    from ordered_events
    group by 1, 2

)

select
    aggregated.session_id,
    aggregated.visitor_key,
    aggregated.client_id,
    -- a user_id seen on the visitor applies to all of its sessions, also those before the login
    coalesce(aggregated.session_user_id, visitor_users.user_id) as user_id,
    aggregated.session_start,
    aggregated.session_end,
    cast(aggregated.session_start as date) as session_date,
    {{ seconds_between('aggregated.session_start', 'aggregated.session_end') }} as session_duration,
    aggregated.events,
    aggregated.pageviews,
    aggregated.unique_pages,
    aggregated.landing_page,
    aggregated.exit_page,
    aggregated.referrer,
    aggregated.country,
    aggregated.device_type,
    session_event_names.event_names
from aggregated
left join {{ ref('user_map') }} as visitor_users
    on visitor_users.is_current_user and aggregated.visitor_key = visitor_users.visitor_key
left join session_event_names on aggregated.session_id = session_event_names.session_id

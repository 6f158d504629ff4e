-- Which logged-in user a visitor is: every (visitor, user_id) pair seen on a human event.
-- is_current_user marks the user_id the visitor was last logged in as: core.users' user.
-- (core.sessions stitches anonymous sessions to the nearest login instead, README.)
with logged_in_events as (

    select visitor_key, client_id, user_id, timestamp
    from {{ ref('events_cleaned') }}
    where user_id is not null
      and not is_bot

),

pairs as (

    select
        visitor_key,
        user_id,
        max(client_id) as client_id,
        min(timestamp) as first_seen,
        max(timestamp) as last_seen,
        count(*) as events
    from logged_in_events
    group by 1, 2

)

select
    *,
    row_number() over (partition by visitor_key order by last_seen desc, user_id desc) = 1 as is_current_user
from pairs

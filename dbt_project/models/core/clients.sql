-- Anonymous visitors: those never seen logged in.
select
    visitor_key,
    client_id,
    first_seen,
    last_seen,
    days_active,
    total_events,
    total_sessions
from {{ ref('users') }}
where user_id is null

{{ config(materialized='view') }}

{#-
  Anonymous visitors: those never seen logged in. A view of core.users (the per-visitor state):
  as a table it was rewritten whole every day, a cost growing with the visitors of all history;
  its rows follow users' (erasure and retention included), so it holds no rows of its own.
-#}
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

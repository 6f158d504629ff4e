{{
    config(
        incremental_strategy=visitor_state_strategy(),
        unique_key='visitor_key',
        cluster_by=['visitor_key'],
        tags=['partitioned'],
    )
}}

{#-
  Which logged-in user a visitor is: every (visitor, user_id) pair seen on a human event.
  is_current_user marks the user_id the visitor was last logged in as: core.users' user.
  (core.sessions stitches anonymous sessions to the nearest login instead, README.)
  A per-visitor state: a partition run merges, for the visitors logged in on its days, their
  partials of every day (staging.user_map_days) and replaces their rows; no event is re-read.
-#}
-- read by is_touched_visitor() in partition runs only: a full build touches every visitor
with touched_visitors as (  -- noqa: ST03

    select distinct visitor_key
    from {{ ref('user_map_days') }}
    where {{ in_partition_window('event_date') }}

),

pairs as (

    select
        visitor_key,
        user_id,
        max(client_id) as client_id,
        min(first_seen) as first_seen,
        max(last_seen) as last_seen,
        cast(sum(events) as {{ dbt.type_bigint() }}) as events
    from {{ ref('user_map_days') }}
    where {{ is_touched_visitor() }}
    group by 1, 2

)

select
    *,
    row_number() over (partition by visitor_key order by last_seen desc, user_id desc) = 1 as is_current_user
from pairs

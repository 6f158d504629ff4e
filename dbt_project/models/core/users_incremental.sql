{{
    config(
        incremental_strategy=visitor_state_strategy(),
        unique_key='visitor_key',
        cluster_by=['visitor_key'],
        tags=['partitioned'],
    )
}}

{#-
  The specification's version appended aggregates of new events only, so a visitor seen again
  got a second row and days_active restarted. Here a partition run recomputes exactly the
  visitors active in the partition and replaces their rows, from their partials of every day
  (core.visitor_days: one row per visitor and day) and their current user (staging.user_map):
  no event of an earlier day is re-read, and the result is the same in any partition order.
-#}
-- read by is_touched_visitor() in partition runs only: a full build touches every visitor
with touched_visitors as (  -- noqa: ST03

    select distinct visitor_key
    from {{ ref('visitor_days') }}
    where {{ in_partition_window('event_date') }}

),

history as (

    select
        visitor_key,
        max(client_id) as client_id,
        min(first_seen) as first_seen,
        max(last_seen) as last_seen,
        count(*) as days_active
    from {{ ref('visitor_days') }}
    where {{ is_touched_visitor() }}
    group by 1

),

current_users as (

    select
        visitor_key,
        user_id
    from {{ ref('user_map') }}
    where
        is_current_user
        and {{ is_touched_visitor() }}

)

select
    history.visitor_key,
    history.client_id,
    current_users.user_id,
    history.first_seen,
    history.last_seen,
    history.days_active
from history
left join current_users on history.visitor_key = current_users.visitor_key

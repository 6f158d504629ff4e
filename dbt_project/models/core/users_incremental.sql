{{
    config(
        materialized='incremental',
        incremental_strategy=('merge' if target.type == 'bigquery' else 'delete+insert'),
        unique_key='visitor_key',
        cluster_by=['visitor_key'],
        on_schema_change='fail',
        tags=['partitioned'],
    )
}}

{#-
  The specification's version appended aggregates of new events only, so a visitor seen again
  got a second row and days_active restarted. Here a partition run recomputes, from the whole
  history, exactly the visitors active in the partition and replaces their rows.
-#}
with touched_visitors as (

    select distinct visitor_key
    from {{ ref('events_sessionated') }}
    where {{ in_partition_window('event_date') }}
      and not is_bot

),

history as (

    select events.*
    from {{ ref('events_sessionated') }} as events
    inner join touched_visitors on events.visitor_key = touched_visitors.visitor_key
    where not events.is_bot

),

latest_user as (

    select visitor_key, user_id
    from (
        select
            visitor_key,
            user_id,
            row_number() over (partition by visitor_key order by timestamp desc, user_id desc) as recency_rank
        from history
        where user_id is not null
    ) as ranked
    where recency_rank = 1

)

select
    history.visitor_key,
    max(history.client_id) as client_id,
    max(latest_user.user_id) as user_id,
    min(history.timestamp) as first_seen,
    max(history.timestamp) as last_seen,
    count(distinct history.event_date) as days_active
from history
left join latest_user on history.visitor_key = latest_user.visitor_key
group by 1

{{ config(materialized='table') }}

{#-
  The specification's "Daily Active Users" for every date (no CURRENT_DATE window: the table is
  the same whenever it is built; analyses/daily_active_users_last_30_days.sql has the window).
  prev_day_users is the previous calendar day's count: NULL for the first date, 0 after a day
  without human events (daily_performance has no row for it). growth_pct is a float and NULL
  when the previous day had no users (the specification divided by zero there).
-#}
with daily as (

    select
        date,
        daily_active_users,
        lag(date) over (order by date) as previous_active_date,
        lag(daily_active_users) over (order by date) as previous_active_users
    from {{ ref('daily_performance') }}

),

with_previous_day as (

    select
        date,
        daily_active_users,
        case
            when previous_active_date is null then null
            when {{ dbt.datediff('previous_active_date', 'date', 'day') }} = 1 then previous_active_users
            else 0
        end as prev_day_users
    from daily

)

select
    date,
    daily_active_users,
    prev_day_users,
    {{ safe_ratio('(daily_active_users - prev_day_users) * 100', 'prev_day_users') }} as growth_pct
from with_previous_day

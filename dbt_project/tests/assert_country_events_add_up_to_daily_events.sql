{#- Every date's events by country (NULL country included) add up to daily_performance's
    total_events, in the run's window (whole tables without one). -#}
{{ config(meta={'dagster': {'ref': {'name': 'daily_performance'}}}) }}

with country_days as (

    select
        date,
        sum(events) as events
    from {{ ref('traffic_by_country') }}
    where {{ in_partition_window('date') }}
    group by 1

),

performance_days as (

    select
        date,
        total_events
    from {{ ref('daily_performance') }}
    where {{ in_partition_window('date') }}

)

select
    coalesce(performance_days.date, country_days.date) as date,
    performance_days.total_events,
    country_days.events as country_events
from performance_days
full outer join country_days on performance_days.date = country_days.date
where
    performance_days.total_events is null
    or country_days.events is null
    or performance_days.total_events <> country_days.events

{{
    config(
        window_column='date',
        partition_by=bigquery_day_partition('date'),
        tags=['partitioned'],
    )
}}

{#-
  One row per UTC date: what a broken tracker changes (the anomaly checks of
  measure_dagster/anomaly_checks.py compare a day with the same weekday of the weeks before).
  Read from the day's rows of the models that already count them, so it costs a few rows per
  day and a partition equals a full refresh. The hours of a day stay in staging.event_blocks.
-#}
with human_traffic as (

    select
        date,
        total_events as events,
        daily_active_users as visitors,
        pageviews
    from {{ ref('daily_performance') }}
    where {{ in_partition_window('date') }}

),

all_traffic as (

    select
        date,
        sum(event_count) as all_events,
        sum(bot_event_count) as bot_events,
        count(*) as hours_with_events
    from {{ ref('event_blocks') }}
    where {{ in_partition_window('date') }}
    group by 1

),

quarantined as (

    select
        event_date as date,
        count(*) as quarantined_rows
    from {{ ref('events_quarantine') }}
    where {{ in_partition_window('event_date') }}
    group by 1

),

ranked_pages as (

    select
        date,
        page,
        pageviews,
        -- ties go to the first page by name, so the engines agree
        row_number() over (partition by date order by pageviews desc, page asc) as page_rank
    from {{ ref('top_pages') }}
    where {{ in_partition_window('date') }}

),

country_traffic as (

    select
        date,
        -- events without a known country count as one "country": a lookup that broke is a fault too
        coalesce(country_code, '(unknown)') as country_code,
        sum(events) as events
    from {{ ref('traffic_by_country') }}
    where {{ in_partition_window('date') }}
    group by 1, 2

),

ranked_countries as (

    select
        date,
        country_code,
        events,
        row_number() over (partition by date order by events desc, country_code asc) as country_rank
    from country_traffic

),

dates as (

    select distinct date
    from (
        select date from all_traffic
        union all
        select date from quarantined
    ) as days_with_rows

)

select
    dates.date,
    coalesce(human_traffic.events, 0) as events,
    coalesce(human_traffic.visitors, 0) as visitors,
    coalesce(human_traffic.pageviews, 0) as pageviews,
    coalesce(all_traffic.all_events, 0) as all_events,
    coalesce(all_traffic.bot_events, 0) as bot_events,
    coalesce(all_traffic.hours_with_events, 0) as hours_with_events,
    coalesce(quarantined.quarantined_rows, 0) as quarantined_rows,
    {{ safe_ratio('all_traffic.bot_events', 'all_traffic.all_events') }} as bot_share,
    {{ safe_ratio('coalesce(quarantined.quarantined_rows, 0)', 'coalesce(quarantined.quarantined_rows, 0) + coalesce(all_traffic.all_events, 0)') }} as quarantined_share,
    ranked_pages.page as top_page,
    coalesce(ranked_pages.pageviews, 0) as top_page_pageviews,
    {{ safe_ratio('ranked_pages.pageviews', 'human_traffic.pageviews') }} as top_page_share,
    ranked_countries.country_code as top_country,
    coalesce(ranked_countries.events, 0) as top_country_events,
    {{ safe_ratio('ranked_countries.events', 'human_traffic.events') }} as top_country_share
from dates
left join human_traffic on dates.date = human_traffic.date
left join all_traffic on dates.date = all_traffic.date
left join quarantined on dates.date = quarantined.date
left join ranked_pages on dates.date = ranked_pages.date and ranked_pages.page_rank = 1
left join ranked_countries on dates.date = ranked_countries.date and ranked_countries.country_rank = 1

{{
    config(
        window_column='date',
        partition_by=bigquery_day_partition('date'),
        tags=['partitioned'],
    )
}}

{#-
  The specification's "Top Pages by Views" per UTC date and page, for every date (the analysis
  top_pages_last_7_days.sql has the window and the top 20). A page is the URL without tracking
  parameters (utm_*, click ids: macros/traffic_source.sql), so one page tagged by several
  campaigns counts once. Human pageviews only; unique_visitors counts visitor_key (the
  specification's client_id misses visitors without consent); views_per_visitor is a float
  (the specification's integer division truncated it).
-#}
with pageviews as (

    select
        event_date as date,
        {{ strip_tracking_parameters('url') }} as page,
        visitor_key
    from {{ ref('events_sessionated') }}
    where
        event_name = 'pageview'
        and url is not null
        and not is_bot
        and {{ in_partition_window('event_date') }}

)

select
    date,
    page,
    count(*) as pageviews,
    count(distinct visitor_key) as unique_visitors,
    {{ safe_ratio('count(*)', 'count(distinct visitor_key)') }} as views_per_visitor
from pageviews
group by 1, 2

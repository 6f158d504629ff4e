-- The specification's "Traffic by Country" over the 30 days before the report date, countries
-- known only. unique_visitors counts a visitor once per day (see top_pages_last_7_days.sql);
-- sessions adds up the days' sessions, so a session across midnight counts on both days.
select
    country,
    country_code,
    sum(events) as events,
    sum(unique_visitors) as unique_visitors,
    sum(sessions) as sessions
from {{ ref('traffic_by_country') }}
where
    {{ in_report_window('date', 30) }}
    and country is not null
group by 1, 2
order by events desc, country asc

-- The specification's "Top Pages by Views": the 20 pages with most pageviews in the 7 days
-- before the report date. unique_visitors adds up the days' unique visitors, so a visitor counts
-- once per day: the key of a visitor without consent is a daily-salted hash, so no count over
-- several days can recognise them, and counting consented visitors the same way keeps both
-- kinds comparable. avg_views_per_visitor is a float (the specification divided integers).
select
    page,
    sum(pageviews) as pageviews,
    sum(unique_visitors) as unique_visitors,
    {{ safe_ratio('sum(pageviews)', 'sum(unique_visitors)') }} as avg_views_per_visitor
from {{ ref('top_pages') }}
where {{ in_report_window('date', 7) }}
group by 1
order by pageviews desc, page asc
limit 20

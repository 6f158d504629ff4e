-- A session's pageviews and distinct pages are at most its events (sessions started in the
-- run's days and their look-back; all without a window).
with sessions as (

    select
        session_id,
        events,
        pageviews,
        unique_pages
    from {{ ref('sessions') }}
    where {{ in_partition_window('session_date', lookback_days=var('session_lookback_days')) }}

)

select *
from sessions
where
    pageviews > events
    or unique_pages > events

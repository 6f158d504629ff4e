-- A session's pageviews and distinct pages are at most its events.
with sessions as (

    select session_id, events, pageviews, unique_pages
    from {{ ref('sessions') }}

)

select *
from sessions
where pageviews > events
   or unique_pages > events

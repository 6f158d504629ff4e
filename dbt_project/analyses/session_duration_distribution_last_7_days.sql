-- The specification's "Session Duration Distribution": sessions that started in the 7 days
-- before the report date, per duration bucket, with each bucket's share of them.
with window_counts as (

    select
        bucket_order,
        duration_bucket,
        sum(session_count) as session_count
    from {{ ref('session_duration_distribution') }}
    where {{ in_report_window('session_date', 7) }}
    group by 1, 2

)

select
    duration_bucket,
    session_count,
    {{ safe_ratio('session_count * 100', 'sum(session_count) over ()') }} as percentage
from window_counts
order by session_count desc, bucket_order asc

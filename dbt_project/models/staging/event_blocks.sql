{{
    config(
        window_column='date',
        partition_by=bigquery_day_partition('date'),
        tags=['partitioned'],
    )
}}

-- Events per UTC hour (the specification's HOUR() is not BigQuery: extract(hour from ...) is both).
with events as (

    select *
    from {{ ref('events_cleaned') }}
    where {{ in_partition_window('event_date') }}

)

select
    event_date as date,
    extract(hour from timestamp) as hour,
    {{ dbt.date_trunc('hour', 'timestamp') }} as hour_block,
    count(*) as event_count,
    count(case when is_bot then 1 end) as bot_event_count,
    count(distinct visitor_key) as visitors
from events
group by 1, 2, 3

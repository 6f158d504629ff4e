{{
    config(
        materialized='incremental',
        incremental_strategy=window_incremental_strategy(),
        window_column='event_date',
        partition_by=bigquery_day_partition('event_date'),
        tags=['partitioned'],
    )
}}

{#-
  Raw events that cannot be used, whole, with the reason (macros/quarantine.sql: the same rule
  events_cleaned excludes them by). One UTC day partition, like events_cleaned; streamed duplicates
  of a bad row are all kept (this is a copy of the raw rows, not of events).
-#}

with source_events as (

    select
        *,
        {{ raw_event_quarantine_reason() }} as reason
    from {{ source('raw', 'events') }}
    where
        timestamp is not null
        and {{ in_partition_window('timestamp', column_type='timestamp') }}
        and {{ raw_event_is_due() }}

)

select
    cast(timestamp as date) as event_date,
    reason,
    -- the raw row whole, in the collector's order (macros/raw_columns.sql)
    {{ raw_column_names() | join(',\n    ') }}
from source_events
where reason is not null

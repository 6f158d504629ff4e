{{
    config(
        window_column='event_date',
        partition_by=bigquery_day_partition('event_date'),
        tags=['partitioned'],
    )
}}

{#-
  Raw events that cannot be used, whole, with the reason: the rows of events_screened (which
  applies macros/quarantine.sql's rule, the one events_cleaned excludes them by) that have one.
  One UTC day partition, like events_cleaned; streamed duplicates of a bad row are all kept
  (this is a copy of the raw rows, not of events).
-#}

select
    event_date,
    quarantine_reason as reason,
    -- the raw row whole, in the collector's order (macros/raw_columns.sql)
    {{ raw_column_names() | join(',\n    ') }}
from {{ ref('events_screened') }}
where
    {{ in_partition_window('event_date') }}
    and quarantine_reason is not null

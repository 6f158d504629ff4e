{{
    config(
        window_column='event_date',
        partition_by=bigquery_day_partition('event_date'),
        cluster_by=['quarantine_reason'],
        tags=['partitioned'],
    )
}}

{#-
  The only model that reads whole raw rows (data_freshness and the rows-accounted-for test read the
  source's timestamps alone): each raw row of a UTC day, whole, with the reason it
  is quarantined (NULL when usable; macros/quarantine.sql). events_cleaned and events_quarantine
  split the window by that reason, and the look-backs of events_sessionated and purchases read
  the narrow columns they need of the days before it from here, so a daily run reads the raw
  day once (BigQuery bills whole rows: the rule reads every string column). Clustered by the
  reason, so the quarantine's read skips the usable rows' blocks.

  Those look-backs must not depend on which partitions ran before: a partition run also screens
  the look-back days this table does not hold yet (macros/partition_window.sql; in a daily run,
  none). A day depends on the raw rows of that day alone, whichever run screened it.
-#}
{%- set lookback_days = var('session_lookback_days') | int -%}
{%- set missing_days = missing_days_before_window(this, 'event_date', lookback_days) -%}

with source_events as (

    select *
    from {{ source('raw', 'events') }}
    where
        timestamp is not null
        and {{ raw_event_is_due() }}
        and (
            {{ in_partition_window('timestamp', column_type='timestamp') }}
            {%- if missing_days %}
            -- look-back days not screened yet
            or {{ on_days('timestamp', missing_days, column_type='timestamp') }}
            {%- endif %}
        )

)

select
    cast(timestamp as date) as event_date,
    {{ raw_event_quarantine_reason() }} as quarantine_reason,
    -- the raw row whole, in the collector's order (macros/raw_columns.sql)
    {{ raw_column_names() | join(',\n    ') }}
from source_events

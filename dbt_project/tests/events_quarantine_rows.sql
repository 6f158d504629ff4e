{#- The quarantined rows of the run's window (staging.events_quarantine). A warning, never a
    block: with any quarantined row (more than var quarantine_warn_rows, default 0) the check
    warns and its `dagster_dbt/failed_row_count` is the count. -#}
{{ config(severity='warn', warn_if='>' ~ integer_var('quarantine_warn_rows')) }}

select event_date, reason, timestamp, client_id, {{ adapter.quote('hash') }}
from {{ ref('events_quarantine') }}
where {{ in_partition_window('event_date') }}

{#- The quarantined rows of the run's window: the count is the check's `dagster_dbt/failed_row_count`
    on every run; it warns (never blocks) above var quarantine_warn_rows. -#}
{{ config(severity='warn', warn_if='>' ~ var('quarantine_warn_rows')) }}

select event_date, reason, timestamp, client_id, {{ adapter.quote('hash') }}
from {{ ref('events_quarantine') }}
where {{ in_partition_window('event_date') }}

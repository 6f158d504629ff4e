{{ config(materialized="view") }}

-- One row per dbt node run by any invocation: when, how long, how it went, rows affected,
-- the Dagster run, and on BigQuery the job's bytes processed / billed and slot milliseconds.
-- A view, so it shows the log as the hook left it, including the invocation that built it last.
select
    invocation_id,
    unique_id,
    model_name,
    resource_type,
    status,
    run_started_at,
    run_completed_at,
    execution_seconds,
    rows_affected,
    message,
    dagster_run_id,
    bytes_processed,
    bytes_billed,
    slot_ms
from {{ run_results_log_relation() }}

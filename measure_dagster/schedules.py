"""The daily schedule: at 02:00 UTC (the specification's `0 2 * * *`), yesterday's partition of
raw events and every model downstream of it, then the full-history aggregates."""

import dagster as dg

from measure_dagster.jobs import measure_daily_job, measure_whole_table_tests

daily_schedule = dg.build_schedule_from_partitioned_job(
    measure_daily_job,
    hour_of_day=2,
    minute_of_hour=0,
    name="measure_daily_at_0200_utc",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

# Sundays at 04:00 UTC, after that day's 02:00 run: every dbt test over whole tables.
weekly_whole_table_tests_schedule = dg.ScheduleDefinition(
    name="measure_whole_table_tests_weekly",
    job=measure_whole_table_tests,
    cron_schedule="0 4 * * 0",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

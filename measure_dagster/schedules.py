"""The daily schedule: at 02:00 UTC (the specification's `0 2 * * *`), yesterday's partition of
raw events and every model downstream of it, then the full-history aggregates."""

import dagster as dg

from measure_dagster.jobs import measure_daily_job

daily_schedule = dg.build_schedule_from_partitioned_job(
    measure_daily_job,
    hour_of_day=2,
    minute_of_hour=0,
    name="measure_daily_at_0200_utc",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

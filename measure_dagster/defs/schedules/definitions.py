"""Jobs and the schedules that launch them: the daily run, the weekly whole-table tests, the
hourly observation of raw/events (BigQuery), the instance's run retention."""

import dagster as dg

from measure_dagster.defs.schedules.jobs import measure_daily_job, measure_whole_table_tests
from measure_dagster.defs.schedules.retention import dagster_instance_retention, dagster_instance_retention_daily
from measure_dagster.defs.schedules.schedules import schedules
from measure_dagster.settings import active_settings


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        jobs=[measure_daily_job, measure_whole_table_tests, dagster_instance_retention],
        schedules=[*schedules(active_settings()), dagster_instance_retention_daily],
    )

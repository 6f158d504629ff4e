"""The code location: assembles what the other modules define."""

import dagster as dg

from measure_dagster import settings
from measure_dagster.anomaly_checks import anomaly_check_resources, anomaly_checks
from measure_dagster.assets import raw_events_asset
from measure_dagster.assets.dbt_models import (
    dbt_full_history_models,
    dbt_partitioned_models,
)
from measure_dagster.automation import automation_sensor
from measure_dagster.checks import raw_event_checks
from measure_dagster.jobs import measure_daily_job, measure_whole_table_tests
from measure_dagster.resources import build_resources
from measure_dagster.retention import (
    dagster_instance_retention,
    dagster_instance_retention_daily,
)
from measure_dagster.schedules import schedules
from measure_dagster.sensors import late_event_exports_sensor

resources = build_resources()
# The anomaly checks' BigQuery reader has not run on the emulator yet: on DuckDB only, for now.
local_anomaly_checks = anomaly_checks if settings.target() == settings.LOCAL_TARGET else []
defs = dg.Definitions(
    assets=[raw_events_asset(), dbt_partitioned_models, dbt_full_history_models],
    asset_checks=[*raw_event_checks, *local_anomaly_checks],
    jobs=[measure_daily_job, measure_whole_table_tests, dagster_instance_retention],
    schedules=[*schedules(), dagster_instance_retention_daily],
    sensors=[late_event_exports_sensor, automation_sensor],
    resources={**resources, **(anomaly_check_resources(resources) if local_anomaly_checks else {})},
)

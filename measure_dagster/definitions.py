"""The code location: assembles what the other modules define."""

import dagster as dg

from measure_dagster.assets.dbt_models import dbt_full_history_models, dbt_partitioned_models
from measure_dagster.assets.raw_events import raw_events
from measure_dagster.jobs import measure_daily_job
from measure_dagster.resources import build_resources

defs = dg.Definitions(
    assets=[raw_events, dbt_partitioned_models, dbt_full_history_models],
    jobs=[measure_daily_job],
    resources=build_resources(),
)

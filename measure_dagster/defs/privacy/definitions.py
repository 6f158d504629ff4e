"""Privacy operations on the local DuckDB warehouse: erasure of a person, retention by tier
(BigQuery: docs/privacy.md). Built per settings: module-level definitions would load on every target."""

import dagster as dg

from measure_dagster.defs.privacy.erasure import build_erase_visitor_job, build_erasure_asset, build_erasure_check
from measure_dagster.defs.privacy.retention import build_retention_asset, build_retention_job_and_schedule
from measure_dagster.settings import active_settings


@dg.definitions
def defs() -> dg.Definitions:
    settings = active_settings()
    if not settings.is_local:
        return dg.Definitions()
    retention_job, retention_schedule = build_retention_job_and_schedule()
    return dg.Definitions(
        assets=[build_erasure_asset(settings), build_retention_asset(settings)],
        asset_checks=[build_erasure_check()],
        jobs=[build_erase_visitor_job(), retention_job],
        schedules=[retention_schedule],
    )

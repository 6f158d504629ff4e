"""Privacy operations on the local DuckDB warehouse: erasure of a person, retention by tier
(BigQuery: docs/privacy.md)."""

import dagster as dg

from measure_dagster.defs.privacy.erasure import build_erasure_asset, erase_visitor_job, erased_visitors_absent
from measure_dagster.defs.privacy.retention import apply_retention_daily, apply_retention_job, build_retention_asset
from measure_dagster.settings import active_settings


@dg.definitions
def defs() -> dg.Definitions:
    settings = active_settings()
    if not settings.is_local:
        return dg.Definitions()
    return dg.Definitions(
        assets=[build_erasure_asset(settings), build_retention_asset(settings)],
        asset_checks=[erased_visitors_absent],
        jobs=[erase_visitor_job, apply_retention_job],
        schedules=[apply_retention_daily],
    )

"""Privacy operations: erasure of a person, retention by tier (docs/privacy.md), on either
target. Built per settings: module-level definitions would load on every target."""

import dagster as dg

from measure_dagster.defs.privacy.erasure import (
    build_erase_visitor_job,
    build_erasure_asset,
    build_erasure_check,
    build_pending_erasures_schedule,
)
from measure_dagster.defs.privacy.retention import build_retention_asset, build_retention_job_and_schedule
from measure_dagster.settings import active_settings


@dg.definitions
def defs() -> dg.Definitions:
    settings = active_settings()
    retention_job, retention_schedule = build_retention_job_and_schedule()
    erase_job = build_erase_visitor_job()
    schedules = [retention_schedule]
    if not settings.is_local:
        # rows left in the collector's streaming buffer: deleted by the next day's run
        schedules.append(build_pending_erasures_schedule(erase_job))
    return dg.Definitions(
        assets=[build_erasure_asset(settings), build_retention_asset(settings)],
        asset_checks=[build_erasure_check(settings)],
        jobs=[erase_job, retention_job],
        schedules=schedules,
    )

"""Late data: new or changed BigQuery export files in MEASURE_EVENTS_PATH for days that were
already materialized re-run those days (raw events and the models of that day). The models of
the following days that look back into the changed day follow through declarative automation
(conditions.py)."""

from __future__ import annotations

import json
import os

import dagster as dg

from measure_dagster import settings
from measure_dagster.defs.schedules.jobs import measure_daily_job
from measure_dagster.keys import RAW_EVENTS_KEY
from measure_dagster.raw import files


def _file_stamps(paths: list[str]) -> dict[str, str]:
    stamps = {}
    for path in paths:
        stat = os.stat(path)
        stamps[path] = f"{stat.st_mtime_ns}:{stat.st_size}"
    return stamps


@dg.sensor(
    name="late_event_exports",
    job=measure_daily_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-materializes already-built days whose export files in MEASURE_EVENTS_PATH changed.",
)
def late_event_exports_sensor(context: dg.SensorEvaluationContext):
    path = settings.events_path()
    if not settings.is_local() or not path:
        return dg.SkipReason("MEASURE_EVENTS_PATH is not set on the local target: nothing to watch")
    try:
        stamps = _file_stamps(files.resolve_event_files(path))
    except files.EventFilesError as error:
        return dg.SkipReason(str(error))

    previous = json.loads(context.cursor) if context.cursor else None
    context.update_cursor(json.dumps(stamps, sort_keys=True))
    if previous is None:
        return dg.SkipReason(f"first look at {len(stamps)} export files: remembered, nothing requested")
    changed = sorted(p for p, stamp in stamps.items() if previous.get(p) != stamp)
    if not changed:
        return dg.SkipReason("no new or changed export files")

    built = context.instance.get_materialized_partitions(RAW_EVENTS_KEY)
    days = sorted(d.isoformat() for d in files.event_days_in_files(changed))
    late_days = [day for day in days if day in built]
    context.log.info(f"changed files {changed}: days {days}, already built {late_days}")
    if not late_days:
        return dg.SkipReason(f"changed files hold only days not built yet ({', '.join(days) or 'none'}): left to backfills")
    return [
        dg.RunRequest(
            partition_key=day,
            run_key=f"late-events-{day}-{stamps[changed[0]]}-{len(changed)}",
            tags={"measure/trigger": "late_event_exports"},
        )
        for day in late_days
    ]

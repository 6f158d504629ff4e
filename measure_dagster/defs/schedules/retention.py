"""Run retention: Dagster OSS keeps every run and its event log; this job deletes old ones.

Ticks expire by dagster.yaml's `retention:` (the daemon). Runs do not: the job
`dagster_instance_retention` (daily at 04:00 UTC, schedule `dagster_instance_retention_schedule`)
deletes finished runs older than MEASURE_DAGSTER_RUN_RETENTION_DAYS (default 90; 0 keeps every
run), with their event logs, except runs holding the latest materialization or observation of
some asset partition: deleting those would make Dagster see the partition as never built
(and declarative automation would rebuild it).
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from measure_dagster import settings

DEFAULT_RETENTION_DAYS = settings.DEFAULT_RUN_RETENTION_DAYS
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


def retention_days() -> int:
    return settings.run_retention_days()


def runs_holding_latest_asset_events(instance: dg.DagsterInstance) -> set[str]:
    """Run ids of the latest materialization/observation of every asset (partition)."""
    keep: set[str] = set()
    for key in instance.get_asset_keys():
        for event_type in (dg.DagsterEventType.ASSET_MATERIALIZATION, dg.DagsterEventType.ASSET_OBSERVATION):
            storage_ids = list(instance.event_log_storage.get_latest_storage_id_by_partition(key, event_type).values())
            materialized = event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
            fetch = instance.fetch_materializations if materialized else instance.fetch_observations
            for start in range(0, len(storage_ids), 500):
                batch = dg.AssetRecordsFilter(asset_key=key, storage_ids=storage_ids[start:start + 500])
                records = fetch(batch, limit=500).records
                keep.update(record.run_id for record in records)
            # unpartitioned assets: the latest event overall
            latest = fetch(key, limit=1).records
            keep.update(record.run_id for record in latest)
    return keep


def purge_old_runs(instance: dg.DagsterInstance, days: int, now: datetime | None = None) -> list[str]:
    """Delete the finished runs created before now - days that hold no latest asset event."""
    if days <= 0:
        return []
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    old = instance.get_run_records(dg.RunsFilter(statuses=FINISHED, created_before=cutoff))
    if not old:
        return []
    keep = runs_holding_latest_asset_events(instance)
    deleted = []
    for record in old:
        if record.dagster_run.run_id not in keep:
            instance.delete_run(record.dagster_run.run_id)
            deleted.append(record.dagster_run.run_id)
    return deleted


@dg.op(description="Delete finished runs older than MEASURE_DAGSTER_RUN_RETENTION_DAYS (default 90) "
       "that hold no latest asset event.")
def purge_dagster_runs(context: dg.OpExecutionContext) -> dg.Output:
    days = retention_days()
    deleted = purge_old_runs(context.instance, days)
    context.log.info(f"deleted {len(deleted)} runs older than {days} days")
    return dg.Output(len(deleted), metadata={"runs_deleted": len(deleted), "retention_days": days})


@dg.job(description="Delete old Dagster runs and their event logs (runs and events have no retention in dagster.yaml).")
def dagster_instance_retention():
    purge_dagster_runs()


dagster_instance_retention_daily = dg.ScheduleDefinition(
    job=dagster_instance_retention, cron_schedule="0 4 * * *", execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

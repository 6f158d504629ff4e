"""Retention as a Dagster asset: `monitoring/retention_log`, the job `apply_retention` and its
daily schedule (03:00 UTC, after the 02:00 daily run; the `duckdb` pool queues it behind a run
still going). Tiers and cuts: measure_dagster/privacy/retention.py, docs/privacy.md."""

from datetime import UTC, date, datetime

import dagster as dg
from dagster_dbt import DbtCliResource
from pydantic import Field

from measure_dagster import settings as env_settings
from measure_dagster.defs.privacy.rebuild import rebuild_days, session_lookback_days
from measure_dagster.defs.resources.warehouse import DUCKDB_POOL, DuckDBWarehouse
from measure_dagster.keys import PRIVACY_TAG, RETENTION_LOG_KEY
from measure_dagster.partitions import daily_partitions
from measure_dagster.privacy import erasure, retention
from measure_dagster.project import dbt_project
from measure_dagster.settings import MeasureSettings


def _months(tier: str):
    return lambda: env_settings.retention_months(tier)


class RetentionConfig(dg.Config):
    """Months each tier is kept (0: forever); defaults MEASURE_RETENTION_<TIER>_MONTHS."""

    events_months: int = Field(default_factory=_months("events"), ge=0,
                               description="raw, rejected, quarantined and event-level rows (default 14)")
    visitors_months: int = Field(default_factory=_months("visitors"), ge=0,
                                 description="sessions by their date; visitors' state once not seen for this long (default 14)")
    aggregates_months: int = Field(default_factory=_months("aggregates"), ge=0,
                                   description="the marts, which hold no identifier (default 0: forever)")
    today: str = Field(default="", description="YYYY-MM-DD the cuts count back from (default: today, UTC)")


def build_retention_asset(settings: MeasureSettings) -> dg.AssetsDefinition:
    partitions = daily_partitions(settings.partitions_start)

    @dg.asset(
        key=RETENTION_LOG_KEY,
        tags={PRIVACY_TAG: ""},
        group_name="privacy",
        pool=DUCKDB_POOL,
        kinds={"duckdb"},
        description="Delete what is older than each tier's retention (docs/privacy.md), rebuild the days "
        "after the event cut; one log row per tier and run.",
    )
    def retention_log(context: dg.AssetExecutionContext, config: RetentionConfig,
                      warehouse: DuckDBWarehouse, dbt: DbtCliResource) -> dg.MaterializeResult:
        today = date.fromisoformat(config.today) if config.today else datetime.now(UTC).date()
        tier_cuts = retention.cuts(today, {"events": config.events_months, "visitors": config.visitors_months,
                                           "aggregates": config.aggregates_months})
        rules = retention.rules(dbt_project(settings).manifest_path)
        with warehouse.connect() as con:
            retention.restore_aggregates(con, rules)  # of a run killed mid-rebuild
            removed = retention.apply(con, rules, tier_cuts, context.run_id, datetime.now(UTC).replace(tzinfo=None))
            built = erasure.last_built_day(con)
        metadata: dict[str, object] = {f"cut_{tier}": cut.isoformat() for tier, cut in tier_cuts.items()}
        metadata |= {"rows_removed": dg.MetadataValue.json(removed), "rows_removed_total": sum(removed.values())}
        # a session cut in two, and the days whose look-back read the deleted days: rebuilt as a full
        # refresh over the retained events would build them
        event_cut = tier_cuts.get("events")
        if removed and event_cut is not None and built is not None and built >= event_cut:
            last_partition = date.fromisoformat(partitions.get_last_partition_key() or settings.partitions_start)
            first = max(event_cut, date.fromisoformat(settings.partitions_start))
            last = min(date.fromordinal(event_cut.toordinal() + session_lookback_days()), built, last_partition)
            with warehouse.connect() as con:
                retention.keep_aggregates(con, rules, date.fromordinal(first.toordinal() - session_lookback_days()), first)
            rebuilt = rebuild_days(context, dbt, settings, first, last, reason="rebuilt_by_retention")
            with warehouse.connect() as con:
                retention.restore_aggregates(con, rules)
            metadata |= {"rebuilt_from": first.isoformat(), "rebuilt_to": last.isoformat(), "models_rebuilt": len(rebuilt)}
        return dg.MaterializeResult(metadata=metadata)

    return retention_log


APPLY_RETENTION_JOB = "apply_retention"


def build_retention_job_and_schedule():
    job = dg.define_asset_job(
        APPLY_RETENTION_JOB,
        selection=dg.AssetSelection.assets(RETENTION_LOG_KEY),
        description="Delete rows older than each tier's retention and rebuild the days after the cut (docs/privacy.md).",
    )
    schedule = dg.ScheduleDefinition(job=job, cron_schedule="0 3 * * *", execution_timezone="UTC",
                                     default_status=dg.DefaultScheduleStatus.RUNNING)
    return job, schedule

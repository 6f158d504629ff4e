"""Retention as a Dagster asset: `monitoring/retention_log`, the job `apply_retention` and its
daily schedule (03:00 UTC, after the 02:00 daily run; the `duckdb` pool queues it behind a run
still going). Tiers and cuts: measure_dagster/privacy/retention.py, docs/privacy.md."""

from datetime import UTC, date, datetime
from typing import Protocol

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_gcp import BigQueryResource
from pydantic import Field

from measure_dagster import settings as env_settings
from measure_dagster.defs.privacy.erasure import bigquery_privacy_tables
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


RETENTION_SPEC = dict(
    key=RETENTION_LOG_KEY,
    tags={PRIVACY_TAG: ""},
    group_name="privacy",
    description="Delete what is older than each tier's retention (docs/privacy.md), rebuild the days "
    "after the event cut; one log row per tier and run.",
)


def _cuts(config: RetentionConfig) -> dict[str, date]:
    today = date.fromisoformat(config.today) if config.today else datetime.now(UTC).date()
    return retention.cuts(today, {"events": config.events_months, "visitors": config.visitors_months,
                                  "aggregates": config.aggregates_months})


def _rebuild_span(settings: MeasureSettings, event_cut: date, built: date) -> tuple[date, date]:
    """The days a full refresh over the retained events would build differently: from the cut
    (a session cut in two) to the last day whose look-back reads a deleted day."""
    last_partition = date.fromisoformat(daily_partitions(settings.partitions_start).get_last_partition_key()
                                        or settings.partitions_start)
    first = max(event_cut, date.fromisoformat(settings.partitions_start))
    last = min(date.fromordinal(event_cut.toordinal() + session_lookback_days()), built, last_partition)
    return first, last


class RetentionStore(Protocol):
    """What the asset needs of a warehouse (DuckDB: privacy/retention.py, BigQuery: privacy/bigquery.py)."""

    def restore_aggregates(self, rules: list[retention.Rule]) -> list[str]: ...
    def apply(self, rules: list[retention.Rule], tier_cuts: dict[str, date], run_id: str, now: datetime) -> dict[str, int]: ...
    def last_built_day(self) -> date | None: ...
    def keep_aggregates(self, rules: list[retention.Rule], first: date, cut: date) -> None: ...


def _apply_retention(context: dg.AssetExecutionContext, config: RetentionConfig, dbt: DbtCliResource,
                     settings: MeasureSettings, store: RetentionStore) -> dg.MaterializeResult:
    tier_cuts = _cuts(config)
    rules = retention.rules(dbt_project(settings).manifest_path)
    store.restore_aggregates(rules)  # of a run killed mid-rebuild
    removed = store.apply(rules, tier_cuts, context.run_id, datetime.now(UTC).replace(tzinfo=None))
    built = store.last_built_day()
    metadata: dict[str, object] = {f"cut_{tier}": cut.isoformat() for tier, cut in tier_cuts.items()}
    metadata |= {"rows_removed": dg.MetadataValue.json(removed), "rows_removed_total": sum(removed.values())}
    # a session cut in two, and the days whose look-back read the deleted days: rebuilt as a full
    # refresh over the retained events would build them; the aggregates before the cut kept as they were
    event_cut = tier_cuts.get("events")
    if removed and event_cut is not None and built is not None and built >= event_cut:
        first, last = _rebuild_span(settings, event_cut, built)
        store.keep_aggregates(rules, date.fromordinal(first.toordinal() - session_lookback_days()), first)
        rebuilt = rebuild_days(context, dbt, settings, first, last, reason="rebuilt_by_retention")
        store.restore_aggregates(rules)
        metadata |= {"rebuilt_from": first.isoformat(), "rebuilt_to": last.isoformat(), "models_rebuilt": len(rebuilt)}
    return dg.MaterializeResult(metadata=metadata)


class _DuckDBRetention:
    """retention.py's functions, each on a connection of its own (dbt writes the file in between)."""

    def __init__(self, warehouse: DuckDBWarehouse):
        self.warehouse = warehouse

    def restore_aggregates(self, rules):
        with self.warehouse.connect() as con:
            return retention.restore_aggregates(con, rules)

    def apply(self, rules, tier_cuts, run_id, now):
        with self.warehouse.connect() as con:
            return retention.apply(con, rules, tier_cuts, run_id, now)

    def last_built_day(self):
        with self.warehouse.connect() as con:
            return erasure.last_built_day(con)

    def keep_aggregates(self, rules, first, cut):
        with self.warehouse.connect() as con:
            retention.keep_aggregates(con, rules, first, cut)


def build_retention_asset(settings: MeasureSettings) -> dg.AssetsDefinition:
    if not settings.is_local:
        @dg.asset(kinds={"bigquery"}, **RETENTION_SPEC)
        def retention_log_bigquery(context: dg.AssetExecutionContext, config: RetentionConfig,
                                   bigquery: BigQueryResource, dbt: DbtCliResource) -> dg.MaterializeResult:
            with bigquery.get_client() as client:
                return _apply_retention(context, config, dbt, settings, bigquery_privacy_tables(client, settings))

        return retention_log_bigquery

    @dg.asset(pool=DUCKDB_POOL, kinds={"duckdb"}, **RETENTION_SPEC)
    def retention_log(context: dg.AssetExecutionContext, config: RetentionConfig,
                      warehouse: DuckDBWarehouse, dbt: DbtCliResource) -> dg.MaterializeResult:
        return _apply_retention(context, config, dbt, settings, _DuckDBRetention(warehouse))

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

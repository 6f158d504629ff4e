"""Erasure as a Dagster asset: `monitoring/erasure_log`, its check, and the job `erase_visitor`.

Materializing the log is carrying out an erasure (config: one identifier) and then finishing
every erasure still pending: the person's rows go from every table (DuckDB: in one transaction,
measure_dagster/privacy/erasure.py; BigQuery: by DML over the keys' recorded hashes, which a
re-run repeats, privacy/bigquery.py), then one dbt invocation rebuilds the partitioned models
over the affected days and one the full-history models, as the daily job would; the
partitions rebuilt are recorded as materializations of their assets. A run killed or failed
after the deletion leaves the erasure `rows_deleted`; the next erasure run (any identifier, or
none) rebuilds its days. The check `erased_visitors_absent` (blocking) then looks at every table
for a value whose salted hash is in the log.
"""

from datetime import date

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_gcp import BigQueryResource
from pydantic import Field

from measure_dagster import settings as env_settings
from measure_dagster.defs.privacy.rebuild import rebuild_days, session_lookback_days
from measure_dagster.defs.resources.warehouse import DUCKDB_POOL, DuckDBWarehouse
from measure_dagster.keys import ERASURE_LOG_KEY, PRIVACY_TAG
from measure_dagster.partitions import daily_partitions
from measure_dagster.privacy import bigquery as privacy_bigquery
from measure_dagster.privacy import erasure
from measure_dagster.project import dbt_project
from measure_dagster.settings import MeasureSettings

ASSET_SPEC = dict(
    tags={PRIVACY_TAG: ""},
    group_name="privacy",
    description="Erase a person from every table (docs/privacy.md): materialize with one identifier "
    "(client_id, user_id or hash); the log keeps salted hashes only.",
)


class EraseVisitorConfig(dg.Config):
    """One identifier of the person to erase; none: only finish the erasures still pending."""

    client_id: str = Field(default="", description="the consent cookie's client_id")
    user_id: str = Field(default="", description="a login's user_id: erases every visitor key linked to it")
    hash: str = Field(default="", description="the daily fingerprint of a visitor without consent")


def _rebuild(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: MeasureSettings,
             first: date, last: date) -> list[str]:
    return rebuild_days(context, dbt, settings, first, last, reason="rebuilt_by_erasure")


def _request(config: EraseVisitorConfig) -> erasure.ErasureRequest | None:
    try:
        return erasure.ErasureRequest.of(config.client_id, config.user_id, config.hash)
    except erasure.ErasureRequestError as error:
        raise dg.Failure(str(error)) from None


def _rebuild_after(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: MeasureSettings,
                   built: date | None, todo: list[erasure.PendingErasure]) -> dict[str, object]:
    """Rebuild the days the erasures touched (and their look-back), as the daily job would."""
    last_partition = date.fromisoformat(daily_partitions(settings.partitions_start).get_last_partition_key()
                                        or settings.partitions_start)
    window = erasure.rebuild_window(built, todo, session_lookback_days(), last_partition)
    if window is None:
        return {}
    first, last = window
    context.log.info(f"rebuilding the partitions {first} .. {last} and the full-history models")
    rebuilt = _rebuild(context, dbt, settings, first, last)
    return {"rebuilt_from": first.isoformat(), "rebuilt_to": last.isoformat(), "models_rebuilt": len(rebuilt)}


def _result_metadata(result: erasure.ErasureResult | None) -> dict[str, object]:
    if result is None:
        return {}
    return {"erasure_id": result.erasure_id, "rows_removed": dg.MetadataValue.json(result.rows_removed),
            "rows_removed_total": result.total_rows}


def build_erasure_asset(settings: MeasureSettings) -> dg.AssetsDefinition:
    return _duckdb_erasure_asset(settings) if settings.is_local else _bigquery_erasure_asset(settings)


def _duckdb_erasure_asset(settings: MeasureSettings) -> dg.AssetsDefinition:
    @dg.asset(key=ERASURE_LOG_KEY, pool=DUCKDB_POOL, kinds={"duckdb"}, **ASSET_SPEC)
    def erasure_log(context: dg.AssetExecutionContext, config: EraseVisitorConfig,
                    warehouse: DuckDBWarehouse, dbt: DbtCliResource) -> dg.MaterializeResult:
        request = _request(config)
        salt = erasure.erasure_salt(warehouse.database_path())
        with warehouse.connect() as con:
            result = erasure.erase_rows(con, request, salt, context.run_id) if request is not None else None
            todo = erasure.pending(con)
            built = erasure.last_built_day(con)
        if result is not None:
            context.log.info(f"erasure {result.erasure_id}: {result.total_rows} rows deleted")
        metadata = _result_metadata(result) | _rebuild_after(context, dbt, settings, built, todo)
        with warehouse.connect() as con:
            erasure.mark_complete(con, [e.erasure_id for e in todo])
            erasures = con.execute(f"select count(*) from {erasure.LOG_TABLE}").fetchall()[0][0]
        return dg.MaterializeResult(metadata={**metadata, "erasures_completed": len(todo), "dagster/row_count": erasures})

    return erasure_log


def bigquery_privacy_tables(client, settings: MeasureSettings) -> privacy_bigquery.PrivacyTables:
    salt = env_settings.erasure_salt()
    if salt is None:
        raise dg.Failure("MEASURE_ERASURE_SALT must be set on a BigQuery target: the secret salt of the erasure log's "
                         "hashes (keep it stable; docs/privacy.md)")
    return privacy_bigquery.PrivacyTables.of(client, dbt_project(settings).manifest_path, settings.raw_events_table_ref, salt)


def _bigquery_erasure_asset(settings: MeasureSettings) -> dg.AssetsDefinition:
    @dg.asset(key=ERASURE_LOG_KEY, kinds={"bigquery"}, **ASSET_SPEC)
    def erasure_log(context: dg.AssetExecutionContext, config: EraseVisitorConfig,
                    bigquery: BigQueryResource, dbt: DbtCliResource) -> dg.MaterializeResult:
        request = _request(config)
        with bigquery.get_client() as client:
            tables = bigquery_privacy_tables(client, settings)
            result, todo, left = privacy_bigquery.erase(tables, request, context.run_id)
            if result is not None:
                context.log.info(f"erasure {result.erasure_id}: {result.total_rows} rows deleted")
            metadata = _result_metadata(result) | _rebuild_after(context, dbt, settings, tables.last_built_day(), todo)
            privacy_bigquery.finish(tables, todo, left)
            erasures = tables.erasure_count()
        in_buffer = sum(left.values())
        if in_buffer:
            context.log.warning(f"{in_buffer} rows are still in the streaming buffer of {settings.raw_events_table_ref}: "
                                "the next run of erase_visitor (daily schedule) deletes them")
        completed = sum(1 for e in todo if not left.get(e.erasure_id))
        return dg.MaterializeResult(metadata={**metadata, "erasures_completed": completed,
                                              "rows_in_streaming_buffer": in_buffer, "dagster/row_count": erasures})

    return erasure_log


CHECK_DESCRIPTION = "No table holds a value whose salted hash an erasure logged (by the rule that deleted it)."


def build_erasure_check(settings: MeasureSettings) -> dg.AssetChecksDefinition:
    if not settings.is_local:
        @dg.asset_check(asset=ERASURE_LOG_KEY, blocking=True, description=CHECK_DESCRIPTION, name="erased_visitors_absent")
        def erased_visitors_absent_bigquery(bigquery: BigQueryResource) -> dg.AssetCheckResult:
            with bigquery.get_client() as client:
                tables = bigquery_privacy_tables(client, settings)
                remaining = tables.remaining_references()
                checked = len(tables.identifier_tables())
                waiting = tables.waiting_for_streaming_buffer()
                erasures = tables.erasure_count()
            # what only the collector's streaming buffer still holds is known, logged and deleted tomorrow
            buffered = bool(waiting) and set(remaining) == {privacy_bigquery.RAW_KEY}
            severity = dg.AssetCheckSeverity.WARN if buffered else dg.AssetCheckSeverity.ERROR
            return _check_result(remaining, checked, erasures, severity)

        return erased_visitors_absent_bigquery

    @dg.asset_check(asset=ERASURE_LOG_KEY, blocking=True, description=CHECK_DESCRIPTION)
    def erased_visitors_absent(warehouse: DuckDBWarehouse) -> dg.AssetCheckResult:
        salt = erasure.erasure_salt(warehouse.database_path())
        with warehouse.connect() as con:
            remaining = erasure.remaining_references(con, salt)
            tables = len(erasure.identifier_tables(con))
            erasures = con.execute(f"select count(*) from {erasure.LOG_TABLE}").fetchall()[0][0]
        return _check_result(remaining, tables, erasures, dg.AssetCheckSeverity.ERROR)

    return erased_visitors_absent


def _check_result(remaining: dict[str, int], tables: int, erasures: int, severity) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=not remaining,
        severity=severity,
        metadata={"tables_checked": tables, "erasures": erasures,
                  "rows_referencing_erased_keys": dg.MetadataValue.json(remaining)},
        description=None if not remaining else f"rows still reference erased keys: {remaining}",
    )


ERASE_VISITOR_JOB = "erase_visitor"


def build_erase_visitor_job():
    return dg.define_asset_job(
        ERASE_VISITOR_JOB,
        selection=dg.AssetSelection.assets(ERASURE_LOG_KEY),
        description="Erase a person (client_id, user_id or hash) from every table and rebuild the affected days; "
        "launchpad config: ops.monitoring__erasure_log.config.",
    )


def build_pending_erasures_schedule(job) -> dg.ScheduleDefinition:
    """erase_visitor with no identifier, daily at 05:00 UTC: finishes the erasures a run left
    (rows still in the collector's streaming buffer, a run killed halfway); quick when none are."""
    return dg.ScheduleDefinition(name="finish_pending_erasures_schedule", job=job, cron_schedule="0 5 * * *",
                                 execution_timezone="UTC", default_status=dg.DefaultScheduleStatus.RUNNING)

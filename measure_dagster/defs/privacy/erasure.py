"""Erasure as a Dagster asset: `monitoring/erasure_log`, its check, and the job `erase_visitor`.

Materializing the log is carrying out an erasure (config: one identifier) and then finishing
every erasure still pending: the person's rows go from every table in one transaction
(measure_dagster/privacy/erasure.py), then one dbt invocation rebuilds the partitioned models
over the affected days and one the full-history models, as the daily job would; the
partitions rebuilt are recorded as materializations of their assets. A run killed or failed
after the deletion leaves the erasure `rows_deleted`; the next erasure run (any identifier, or
none) rebuilds its days. The check `erased_visitors_absent` (blocking) then looks at every table
for a value whose salted hash is in the log.
"""

from datetime import date

import dagster as dg
from dagster_dbt import DbtCliResource
from pydantic import Field

from measure_dagster.defs.privacy.rebuild import rebuild_days, session_lookback_days
from measure_dagster.defs.resources.warehouse import DUCKDB_POOL, DuckDBWarehouse
from measure_dagster.keys import ERASURE_LOG_KEY, PRIVACY_TAG
from measure_dagster.partitions import daily_partitions
from measure_dagster.privacy import erasure
from measure_dagster.settings import MeasureSettings


class EraseVisitorConfig(dg.Config):
    """One identifier of the person to erase; none: only finish the erasures still pending."""

    client_id: str = Field(default="", description="the consent cookie's client_id")
    user_id: str = Field(default="", description="a login's user_id: erases every visitor key linked to it")
    hash: str = Field(default="", description="the daily fingerprint of a visitor without consent")


def _rebuild(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: MeasureSettings,
             first: date, last: date) -> list[str]:
    return rebuild_days(context, dbt, settings, first, last, reason="rebuilt_by_erasure")


def build_erasure_asset(settings: MeasureSettings) -> dg.AssetsDefinition:
    partitions = daily_partitions(settings.partitions_start)

    @dg.asset(
        key=ERASURE_LOG_KEY,
        tags={PRIVACY_TAG: ""},
        group_name="privacy",
        pool=DUCKDB_POOL,
        kinds={"duckdb"},
        description="Erase a person from every table (docs/privacy.md): materialize with one identifier "
        "(client_id, user_id or hash); the log keeps salted hashes only.",
    )
    def erasure_log(context: dg.AssetExecutionContext, config: EraseVisitorConfig,
                    warehouse: DuckDBWarehouse, dbt: DbtCliResource) -> dg.MaterializeResult:
        try:
            request = erasure.ErasureRequest.of(config.client_id, config.user_id, config.hash)
        except erasure.ErasureRequestError as error:
            raise dg.Failure(str(error)) from None
        salt = erasure.erasure_salt(warehouse.database_path())
        metadata: dict[str, object] = {}
        with warehouse.connect() as con:
            if request is not None:
                result = erasure.erase_rows(con, request, salt, context.run_id)
                context.log.info(f"erasure {result.erasure_id}: {result.total_rows} rows deleted")
                metadata |= {"erasure_id": result.erasure_id, "rows_removed": dg.MetadataValue.json(result.rows_removed),
                             "rows_removed_total": result.total_rows}
            todo = erasure.pending(con)
            last_partition = date.fromisoformat(partitions.get_last_partition_key() or settings.partitions_start)
            window = erasure.rebuild_window(con, todo, session_lookback_days(), last_partition)
        if window is not None:
            first, last = window
            context.log.info(f"rebuilding the partitions {first} .. {last} and the full-history models")
            rebuilt = _rebuild(context, dbt, settings, first, last)
            metadata |= {"rebuilt_from": first.isoformat(), "rebuilt_to": last.isoformat(), "models_rebuilt": len(rebuilt)}
        with warehouse.connect() as con:
            erasure.mark_complete(con, [e.erasure_id for e in todo])
            erasures = con.execute(f"select count(*) from {erasure.LOG_TABLE}").fetchall()[0][0]
        return dg.MaterializeResult(metadata={**metadata, "erasures_completed": len(todo), "dagster/row_count": erasures})

    return erasure_log


def build_erasure_check() -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=ERASURE_LOG_KEY, blocking=True,
                    description="No table holds a value whose salted hash an erasure logged (by the rule that deleted it).")
    def erased_visitors_absent(warehouse: DuckDBWarehouse) -> dg.AssetCheckResult:
        salt = erasure.erasure_salt(warehouse.database_path())
        with warehouse.connect() as con:
            remaining = erasure.remaining_references(con, salt)
            tables = len(erasure.identifier_tables(con))
            erasures = con.execute(f"select count(*) from {erasure.LOG_TABLE}").fetchall()[0][0]
        return dg.AssetCheckResult(
            passed=not remaining,
            metadata={"tables_checked": tables, "erasures": erasures,
                      "rows_referencing_erased_keys": dg.MetadataValue.json(remaining)},
            description=None if not remaining else f"rows still reference erased keys: {remaining}",
        )

    return erased_visitors_absent


ERASE_VISITOR_JOB = "erase_visitor"


def build_erase_visitor_job():
    return dg.define_asset_job(
        ERASE_VISITOR_JOB,
        selection=dg.AssetSelection.assets(ERASURE_LOG_KEY),
        description="Erase a person (client_id, user_id or hash) from every table and rebuild the affected days; "
        "launchpad config: ops.monitoring__erasure_log.config.",
    )

"""Raw Measure.js events.

Locally, materializing a partition replaces that day of `raw.events` in DuckDB, from the
BigQuery exports in MEASURE_EVENTS_PATH when it is set, else from the built-in generator of
sample traffic. On BigQuery the collector's table is not ours to write: see bigquery.py.

What cannot be loaded is an error of one sentence naming the problem (dagster.Failure): a
missing events folder, a malformed export file, a window without any event (a missing export;
allow it with the run config `allow_empty`), a locked or unreadable DuckDB file. Rows no
partition can hold are counted by the check `raw_events_rejected` (raw.events_rejected).
"""

import functools

import dagster as dg
from pydantic import Field

from measure_dagster import settings as env_settings
from measure_dagster.defs.resources.warehouse import DUCKDB_POOL, DuckDBWarehouse, WarehouseUnavailableError
from measure_dagster.keys import RAW_EVENTS_KEY
from measure_dagster.partitions import daily_partitions
from measure_dagster.privacy import erasure
from measure_dagster.raw import files, generator
from measure_dagster.settings import MeasureSettings

REJECTED_CHECK = "raw_events_rejected"


class RawEventsConfig(dg.Config):
    events_per_day: int = Field(
        default_factory=env_settings.sample_events_per_day,
        description="Generated events per day (sample data only; MEASURE_SAMPLE_EVENTS_PER_DAY).",
        gt=0,
    )
    seed: int = Field(default=generator.DEFAULT_SEED, description="Seed of the sample-traffic generator.")
    allow_empty: bool = Field(
        default=False,
        description="Accept export files without any event in the window (a day without traffic); by default "
        "such a load fails and changes nothing, since it usually means the day's export is missing.",
    )


@functools.cache
def build_raw_events_asset(settings: MeasureSettings) -> dg.AssetsDefinition:
    """raw/events on the local target: the asset that loads DuckDB, one UTC day per partition."""
    partitions = daily_partitions(settings.partitions_start)

    @dg.asset(
        key=RAW_EVENTS_KEY,
        group_name="raw",
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=DUCKDB_POOL,
        kinds={"duckdb"},
        description=(
            "Raw browser events with the collector's BigQuery schema (records as STRUCT, ab_test as a "
            "list of STRUCT), one UTC day per partition: from MEASURE_EVENTS_PATH exports, or generated."
        ),
        check_specs=[
            dg.AssetCheckSpec(
                REJECTED_CHECK,
                asset=RAW_EVENTS_KEY,
                blocking=False,
                description="Rows of the export files that no partition can hold (raw.events_rejected: no or an "
                "unparseable timestamp, before 2000-01-01 or the first partition, in the future); warns when there are any.",
            )
        ],
    )
    def raw_events(context: dg.AssetExecutionContext, config: RawEventsConfig,
                   warehouse: DuckDBWarehouse) -> dg.MaterializeResult:
        window = context.partition_time_window
        start, end = window.start.replace(tzinfo=None), window.end.replace(tzinfo=None)
        source = env_settings.events_path()
        days = f"[{start:%Y-%m-%d}, {end:%Y-%m-%d})"
        # erased people stay erased when their exports are loaded again (docs/privacy.md)
        def erasure_salt() -> str:
            return erasure.erasure_salt(warehouse.database_path())

        try:
            with warehouse.connect() as con:
                files.ensure_raw_tables(con)
                if source:
                    report = files.load_window_from_files(
                        con, source, start, end, first_partition=partitions.start.replace(tzinfo=None),
                        require_events=not config.allow_empty, erasure_salt=erasure_salt)
                    origin = f"files: {source}"
                else:
                    report = files.load_window_from_generator(con, start.date(), end.date(), config.events_per_day, config.seed,
                                                              erasure_salt=erasure_salt)
                    origin = f"generator: {config.events_per_day} events/day, seed {config.seed}"
                row_count = con.execute(
                    "select count(*) from raw.events where timestamp >= ? and timestamp < ?", [start, end]
                ).fetchall()[0][0]
        except files.NoEventsError as error:
            raise dg.Failure(
                description=f"raw/events {days}: {error} (MEASURE_EVENTS_PATH; if there really was no traffic, "
                "re-run with the run config ops.raw__events.config.allow_empty: true)",
                metadata={"events_path": source, "window": days},
                allow_retries=False,
            ) from None
        except files.EventFilesError as error:
            raise dg.Failure(description=f"raw/events {days}: {error} (MEASURE_EVENTS_PATH)",
                             metadata={"events_path": source, "window": days}, allow_retries=False) from None
        except WarehouseUnavailableError as error:
            raise dg.Failure(description=f"raw/events {days}: {error}",
                             metadata={"duckdb_path": str(warehouse.database_path()), "window": days}) from None
        context.log.info(f"raw.events {days}: {report.rows_loaded} rows from {origin}, {report.rows_rejected} rejected")
        check_results = []
        if dg.AssetCheckKey(RAW_EVENTS_KEY, REJECTED_CHECK) in context.selected_asset_check_keys:
            check_results.append(dg.AssetCheckResult(
                check_name=REJECTED_CHECK,
                passed=report.rows_rejected == 0,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"rows_rejected": report.rows_rejected, **{f"reason: {reason}": count for reason, count
                                                                    in sorted(report.rejected_by_reason.items())}},
            ))
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": row_count,
                "rows_loaded": report.rows_loaded,
                "rows_rejected": report.rows_rejected,
                "source": origin,
                "files": len(report.files),
            },
            check_results=check_results,
        )

    return raw_events

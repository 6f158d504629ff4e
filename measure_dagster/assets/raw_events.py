"""Raw Measure.js events.

Locally, materializing a partition replaces that day of `raw.events` in DuckDB, from the
BigQuery exports in MEASURE_EVENTS_PATH when it is set, else from the built-in generator of
sample traffic. On BigQuery the collector's table is not ours to write: see raw_events_bigquery.
"""


import dagster as dg
from pydantic import Field

from measure_dagster import settings
from measure_dagster.partitions import daily_partitions
from measure_dagster.raw import files, generator
from measure_dagster.resources import DUCKDB_POOL, DuckDBWarehouse

RAW_EVENTS_KEY = dg.AssetKey(["raw", "events"])


class RawEventsConfig(dg.Config):
    events_per_day: int = Field(
        default_factory=settings.sample_events_per_day,
        description="Generated events per day (sample data only; MEASURE_SAMPLE_EVENTS_PER_DAY).",
        gt=0,
    )
    seed: int = Field(default=generator.DEFAULT_SEED, description="Seed of the sample-traffic generator.")


@dg.asset(
    key=RAW_EVENTS_KEY,
    group_name="raw",
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=DUCKDB_POOL,
    kinds={"duckdb"},
    description=(
        "Raw browser events with the collector's BigQuery schema (records as STRUCT, ab_test as a "
        "list of STRUCT), one UTC day per partition: from MEASURE_EVENTS_PATH exports, or generated."
    ),
)
def raw_events(context: dg.AssetExecutionContext, config: RawEventsConfig, warehouse: DuckDBWarehouse) -> dg.MaterializeResult:
    window = context.partition_time_window
    start, end = window.start.replace(tzinfo=None), window.end.replace(tzinfo=None)
    source = settings.events_path()
    with warehouse.connect() as con:
        files.ensure_raw_tables(con)
        if source:
            report = files.load_window_from_files(con, source, start, end)
            origin = f"files: {source}"
        else:
            report = files.load_window_from_generator(con, start.date(), end.date(), config.events_per_day, config.seed)
            origin = f"generator: {config.events_per_day} events/day, seed {config.seed}"
        row_count = con.execute(
            "select count(*) from raw.events where timestamp >= ? and timestamp < ?", [start, end]
        ).fetchall()[0][0]
    context.log.info(f"raw.events [{start:%Y-%m-%d}, {end:%Y-%m-%d}): {report.rows_loaded} rows from {origin}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": row_count,
            "rows_loaded": report.rows_loaded,
            "rows_rejected": report.rows_rejected,
            "source": origin,
            "files": len(report.files),
        }
    )

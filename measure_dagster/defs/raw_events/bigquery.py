"""Raw Measure.js events on BigQuery: the collector's table, observed and never written.

The collector streams into `measure_js.events` (MeasureSettings.raw_events_table_ref), which is
partitioned by DAY on `timestamp`. On a BigQuery target `raw/events` is an observable external
asset with the same daily partitions as the local asset, so the dbt models' partition mappings
(the session look-back) are the same on both engines. Observing it counts the rows of each day
and records the newest event timestamp, through dagster-gcp's BigQueryResource. A day's data
version is its row count: rows that arrive late change it, so Dagster sees the partitions
downstream of that day as stale, and declarative automation can re-run them.

Observations are runs of their own (the UI's "Observe", a schedule, a sensor): the daily job
selects `AssetSelection.all()`, which leaves external assets out, so it runs the dbt models (and
the source checks, selected explicitly in defs/schedules/jobs.py). An observation logs one AssetObservation per
day and returns no output; in a run that also selected assets downstream of raw/events, those
would be skipped, so observe on its own.

The two queries are in raw/bigquery.py, so the source checks (BigQueryRawEventStats in
defs/resources) run exactly the same SQL.
"""

import functools
from datetime import UTC, date, datetime, timedelta

import dagster as dg
from dagster_gcp import BigQueryResource

from measure_dagster.keys import RAW_EVENTS_KEY
from measure_dagster.partitions import daily_partitions
from measure_dagster.raw.bigquery import daily_event_counts, newest_event
from measure_dagster.settings import MeasureSettings

# An observation without a partition (e.g. from the UI) covers the last complete days.
DAYS_OBSERVED_WITHOUT_PARTITION = 7
# The tag holding an observation's data version: what dagster's own partitioned source
# observations (DataVersionsByPartition) write, readable per partition.
DATA_VERSION_TAG = "dagster/data_version"


def _observed_days(context: dg.AssetExecutionContext, partitions_start: str) -> tuple[date, date]:
    if context.has_partition_key or context.has_partition_key_range:
        window = context.partition_time_window
        return window.start.date(), window.end.date()
    # the latest partition is yesterday's (today is not over)
    end = datetime.now(UTC).date()
    first = date.fromisoformat(partitions_start)
    return max(first, end - timedelta(days=DAYS_OBSERVED_WITHOUT_PARTITION)), end


@functools.cache
def build_raw_events_bigquery(settings: MeasureSettings) -> dg.AssetsDefinition:
    """raw/events on a BigQuery target: the collector's table, observed."""

    @dg.multi_observable_source_asset(
        specs=[
            dg.AssetSpec(
                RAW_EVENTS_KEY,
                group_name="raw",
                partitions_def=daily_partitions(settings.partitions_start),
                # the observations are logged per partition (below), not returned as an output
                skippable=True,
                kinds={"bigquery"},
                description=(
                    "The Measure.js collector's table on BigQuery (partitioned by DAY on timestamp), "
                    "observed: rows per day (the day's data version) and the newest event timestamp."
                ),
            )
        ],
        name="raw_events_bigquery",
    )
    def raw_events_bigquery(context: dg.AssetExecutionContext, bigquery: BigQueryResource):
        table_ref = settings.raw_events_table_ref
        start, end = _observed_days(context, settings.partitions_start)
        with bigquery.get_client() as client:
            counts = daily_event_counts(client, table_ref, start, end)
            newest = newest_event(client, table_ref, settings.partitions_start)
        freshness = {"newest_event_timestamp": dg.MetadataValue.timestamp(newest)} if newest else {}
        for day, rows in counts.items():
            context.log_event(
                dg.AssetObservation(
                    asset_key=RAW_EVENTS_KEY,
                    partition=day.isoformat(),
                    metadata={"dagster/row_count": rows, "table": table_ref, **freshness},
                    tags={DATA_VERSION_TAG: str(rows)},
                )
            )
        context.log.info(f"{table_ref} [{start}, {end}): {sum(counts.values())} rows; newest event {newest}")
        # no output: the spec is skippable and each day got its own observation above
        yield from ()

    return raw_events_bigquery

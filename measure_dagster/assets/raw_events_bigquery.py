"""Raw Measure.js events on BigQuery: the collector's table, observed and never written.

The collector streams into `measure_js.events` (settings.raw_events_table_ref()), which is
partitioned by DAY on `timestamp`. On a BigQuery target `raw/events` is an observable external
asset with the same daily partitions as the local asset, so the dbt models' partition mappings
(the session look-back) are the same on both engines. Observing it counts the rows of each day
and records the newest event timestamp, through dagster-gcp's BigQueryResource. A day's data
version is its row count: rows that arrive late change it, so Dagster sees the partitions
downstream of that day as stale, and declarative automation can re-run them.

Observations are runs of their own (the UI's "Observe", a schedule, a sensor): the daily job
selects `AssetSelection.all()`, which leaves external assets out, so it runs the dbt models (and
the source checks, selected explicitly in jobs.py). An observation logs one AssetObservation per
day and returns no output; in a run that also selected assets downstream of raw/events, those
would be skipped, so observe on its own.

The two queries are plain functions, so the source checks run exactly the same SQL
(BigQueryRawEventStats below is the BigQuery flavour of resources.RawEventStats):

- newest_event_timestamp(client, table_ref, since=...)  (newest_event(): last week, else history)
- daily_event_counts(client, table_ref, start_date, end_date)

Both filter on `timestamp`, the partitioning column, with constant bounds passed as query
parameters, so BigQuery prunes to the partitions of the window (bytes billed: the timestamp
column of those days only), and a table with require_partition_filter accepts the queries.
"""

from datetime import date, datetime, time, timedelta, timezone

import dagster as dg
from dagster_gcp import BigQueryResource
from google.cloud import bigquery

from measure_dagster import settings
from measure_dagster.assets.raw_events import RAW_EVENTS_KEY
from measure_dagster.partitions import daily_partitions

# How far back newest_event_timestamp looks by default: it reads only these partitions.
NEWEST_EVENT_LOOKBACK = timedelta(days=7)
# An observation without a partition (e.g. from the UI) covers the last complete days.
DAYS_OBSERVED_WITHOUT_PARTITION = 7
# The tag holding an observation's data version: what dagster's own partitioned source
# observations (DataVersionsByPartition) write, readable per partition.
DATA_VERSION_TAG = "dagster/data_version"


def quoted_table(client: bigquery.Client, table_ref: str) -> str:
    """`project.dataset.table` as a quoted identifier (table names cannot be query parameters)."""
    ref = bigquery.TableReference.from_string(table_ref, default_project=client.project)
    parts = (ref.project, ref.dataset_id, ref.table_id)
    if any("`" in part or "\\" in part for part in parts):
        raise ValueError(f"not a BigQuery table reference: {table_ref!r}")
    return "`" + ".".join(parts) + "`"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def _timestamp_parameters(**values: datetime) -> bigquery.QueryJobConfig:
    return bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter(name, "TIMESTAMP", _utc(value)) for name, value in values.items()]
    )


def newest_event_timestamp(client: bigquery.Client, table_ref: str, *, since: datetime | None = None) -> datetime | None:
    """The newest event's `timestamp` (timezone-aware UTC), or None when the table has no event
    since `since` (default: NEWEST_EVENT_LOOKBACK before now; a naive datetime means UTC).
    Only the partitions from `since` on are read."""
    since = since or datetime.now(timezone.utc) - NEWEST_EVENT_LOOKBACK
    sql = f"select max(timestamp) as newest from {quoted_table(client, table_ref)} where timestamp >= @since"
    rows = list(client.query_and_wait(sql, job_config=_timestamp_parameters(since=since)))
    newest = rows[0]["newest"] if rows else None
    return _utc(newest) if newest is not None else None


def daily_event_counts(client: bigquery.Client, table_ref: str, start_date: date, end_date: date) -> dict[date, int]:
    """Rows per UTC day for the days in [start_date, end_date), days without rows as 0.
    Only the partitions of those days are read."""
    if end_date <= start_date:
        return {}
    sql = (
        f"select date(timestamp) as day, count(*) as events from {quoted_table(client, table_ref)} "
        "where timestamp >= @window_start and timestamp < @window_end group by day"
    )
    config = _timestamp_parameters(window_start=_midnight_utc(start_date), window_end=_midnight_utc(end_date))
    found = {row["day"]: row["events"] for row in client.query_and_wait(sql, job_config=config)}
    days = (start_date + timedelta(days=offset) for offset in range((end_date - start_date).days))
    return {day: int(found.get(day, 0)) for day in days}


def newest_event(client: bigquery.Client, table_ref: str) -> datetime | None:
    """The newest event: the last NEWEST_EVENT_LOOKBACK first, the partitioned history
    (from MEASURE_PARTITIONS_START) only when those days are empty, i.e. when the collector
    has been silent for a week and the answer is worth a bigger scan."""
    return newest_event_timestamp(client, table_ref) or newest_event_timestamp(
        client, table_ref, since=_midnight_utc(date.fromisoformat(settings.partitions_start()))
    )


class BigQueryRawEventStats(dg.ConfigurableResource):
    """resources.RawEventStats for the collector's BigQuery table: what the source checks read.
    Timestamps come back naive UTC, as RawEventStats returns them from DuckDB."""

    bigquery: BigQueryResource
    table_ref: str

    def newest_event_timestamp(self) -> datetime | None:
        with self.bigquery.get_client() as client:
            newest = newest_event(client, self.table_ref)
        return newest.replace(tzinfo=None) if newest else None

    def daily_event_counts(self, start: date, end: date) -> dict[date, int]:
        """Events per UTC day in [start, end)."""
        with self.bigquery.get_client() as client:
            return daily_event_counts(client, self.table_ref, start, end)


def _observed_days(context: dg.AssetExecutionContext) -> tuple[date, date]:
    if context.has_partition_key or context.has_partition_key_range:
        window = context.partition_time_window
        return window.start.date(), window.end.date()
    # the latest partition is yesterday's (today is not over)
    end = datetime.now(timezone.utc).date()
    first = date.fromisoformat(settings.partitions_start())
    return max(first, end - timedelta(days=DAYS_OBSERVED_WITHOUT_PARTITION)), end


@dg.multi_observable_source_asset(
    specs=[
        dg.AssetSpec(
            RAW_EVENTS_KEY,
            group_name="raw",
            partitions_def=daily_partitions,
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
    table_ref = settings.raw_events_table_ref()
    start, end = _observed_days(context)
    with bigquery.get_client() as client:
        counts = daily_event_counts(client, table_ref, start, end)
        newest = newest_event(client, table_ref)
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

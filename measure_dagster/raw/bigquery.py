"""The two queries on the collector's BigQuery table: the observation of raw/events and the
source checks (BigQueryRawEventStats) run exactly this SQL.

- newest_event_timestamp(client, table_ref, since=...)  (newest_event(): last week, else history)
- daily_event_counts(client, table_ref, start_date, end_date)

Both filter on `timestamp`, the partitioning column, with constant bounds passed as query
parameters, so BigQuery prunes to the partitions of the window (bytes billed: the timestamp
column of those days only), and a table with require_partition_filter accepts the queries.
"""

from datetime import UTC, date, datetime, time, timedelta

from google.cloud import bigquery

# How far back newest_event_timestamp looks by default: it reads only these partitions.
NEWEST_EVENT_LOOKBACK = timedelta(days=7)


def quoted_table(client: bigquery.Client, table_ref: str) -> str:
    """`project.dataset.table` as a quoted identifier (table names cannot be query parameters)."""
    ref = bigquery.TableReference.from_string(table_ref, default_project=client.project)
    parts = (ref.project, ref.dataset_id, ref.table_id)
    if any("`" in part or "\\" in part for part in parts):
        raise ValueError(f"not a BigQuery table reference: {table_ref!r}")
    return "`" + ".".join(parts) + "`"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _timestamp_parameters(**values: datetime) -> bigquery.QueryJobConfig:
    return bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter(name, "TIMESTAMP", _utc(value)) for name, value in values.items()]
    )


def newest_event_timestamp(client: bigquery.Client, table_ref: str, *, since: datetime | None = None) -> datetime | None:
    """The newest event's `timestamp` (timezone-aware UTC), or None when the table has no event
    since `since` (default: NEWEST_EVENT_LOOKBACK before now; a naive datetime means UTC).
    Only the partitions from `since` on are read."""
    since = since or datetime.now(UTC) - NEWEST_EVENT_LOOKBACK
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


def newest_event(client: bigquery.Client, table_ref: str, partitions_start: str) -> datetime | None:
    """The newest event: the last NEWEST_EVENT_LOOKBACK first, the partitioned history
    (from `partitions_start`, MEASURE_PARTITIONS_START) only when those days are empty, i.e. when
    the collector has been silent for a week and the answer is worth a bigger scan."""
    return newest_event_timestamp(client, table_ref) or newest_event_timestamp(
        client, table_ref, since=_midnight_utc(date.fromisoformat(partitions_start))
    )

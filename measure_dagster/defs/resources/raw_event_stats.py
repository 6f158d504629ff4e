"""What the source checks read of raw/events: one interface, a reader per warehouse."""

from __future__ import annotations

from datetime import date, datetime

import dagster as dg
from dagster_gcp import BigQueryResource
from pydantic import Field

from measure_dagster import settings
from measure_dagster.defs.resources.warehouse import DuckDBWarehouse
from measure_dagster.raw import bigquery as raw_bigquery


class RawEventStats(dg.ConfigurableResource):
    """Facts about the raw events table for the source checks: newest timestamp, events per day.
    Timestamps are naive UTC on every warehouse."""

    def newest_event_timestamp(self) -> datetime | None:
        raise NotImplementedError

    def daily_event_counts(self, start: date, end: date) -> dict[date, int]:
        """Events per UTC day in [start, end)."""
        raise NotImplementedError


class DuckDBRawEventStats(RawEventStats):
    """raw.events in the local DuckDB file (read-only)."""

    warehouse: DuckDBWarehouse

    def newest_event_timestamp(self) -> datetime | None:
        with self.warehouse.connect(read_only=True) as con:
            if not _has_raw_events(con):
                return None
            return con.execute("select max(timestamp) from raw.events").fetchall()[0][0]

    def daily_event_counts(self, start: date, end: date) -> dict[date, int]:
        with self.warehouse.connect(read_only=True) as con:
            if not _has_raw_events(con):
                return {}
            rows = con.execute(
                "select cast(timestamp as date), count(*) from raw.events "
                "where timestamp >= ? and timestamp < ? group by 1",
                [datetime.combine(start, datetime.min.time()), datetime.combine(end, datetime.min.time())],
            ).fetchall()
        return {day: count for day, count in rows}


def _has_raw_events(con) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = 'events'"
    ).fetchall()[0][0])


class BigQueryRawEventStats(RawEventStats):
    """The collector's BigQuery table, with the queries the observation of raw/events runs
    (raw/bigquery.py); timestamps come back naive UTC, as from DuckDB."""

    bigquery: BigQueryResource
    table_ref: str
    partitions_start: str = Field(
        default=settings.SAMPLE_START,
        description="The first partition day: the newest event is looked for from there when the last week is empty.",
    )

    def newest_event_timestamp(self) -> datetime | None:
        with self.bigquery.get_client() as client:
            newest = raw_bigquery.newest_event(client, self.table_ref, self.partitions_start)
        return newest.replace(tzinfo=None) if newest else None

    def daily_event_counts(self, start: date, end: date) -> dict[date, int]:
        with self.bigquery.get_client() as client:
            return raw_bigquery.daily_event_counts(client, self.table_ref, start, end)

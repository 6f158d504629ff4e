"""The one partitioning scheme: UTC days, from the first partition day (settings) to yesterday."""

import functools

import dagster as dg


@functools.cache
def daily_partitions(start_date: str) -> dg.DailyPartitionsDefinition:
    """The daily partitions from `start_date` (MeasureSettings.partitions_start); one object per
    start, shared by every asset of a code location."""
    return dg.DailyPartitionsDefinition(
        start_date=start_date,
        timezone="UTC",
        # the partition of a day exists once the day is over: yesterday is the latest one
        end_offset=0,
    )

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


# Dagster's tags for a run over a range of partitions (one run, one dbt invocation: the
# single-run backfill policy); the values of dagster's ASSET_PARTITION_RANGE_*_TAG, which the
# public API does not export.
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


def partition_range_tags(first: str, last: str) -> dict[str, str]:
    """The run tags of one run over the partitions first..last (inclusive)."""
    return {PARTITION_RANGE_START_TAG: first, PARTITION_RANGE_END_TAG: last}

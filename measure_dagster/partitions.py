"""The one partitioning scheme: UTC days, from MEASURE_PARTITIONS_START to yesterday."""

import dagster as dg

from measure_dagster import settings

daily_partitions = dg.DailyPartitionsDefinition(
    start_date=settings.partitions_start(),
    timezone="UTC",
    # the partition of a day exists once the day is over: yesterday is the latest one
    end_offset=0,
)

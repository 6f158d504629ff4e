"""Jobs: the whole graph for a range of days."""

import dagster as dg

# Raw events, every dbt model and their checks, for one partition or a range of them.
# The unpartitioned aggregates run after the partitions they read, in the same run.
measure_daily_job = dg.define_asset_job(
    name="measure_daily",
    selection=dg.AssetSelection.all(),
    description="Raw events and every dbt model for the selected days, then the full-history aggregates.",
)

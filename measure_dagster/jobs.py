"""Jobs: the whole graph for a range of days."""

import dagster as dg

from measure_dagster.assets.raw_events import RAW_EVENTS_KEY

# Raw events, every dbt model and their checks, for one partition or a range of them.
# The unpartitioned aggregates run after the partitions they read, in the same run.
# On BigQuery raw/events is the collector's table, an observable external asset, which
# AssetSelection.all() leaves out (observing is a run of its own); its source checks are
# selected explicitly, so they run in the daily job on every target.
measure_daily_job = dg.define_asset_job(
    name="measure_daily",
    selection=dg.AssetSelection.all() | dg.AssetSelection.checks_for_assets(RAW_EVENTS_KEY),
    description="Raw events and every dbt model for the selected days, then the full-history aggregates.",
)

"""Jobs: the whole graph for a range of days; every dbt test over whole tables."""

from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from measure_dagster import settings
from measure_dagster.defs.resources.warehouse import DUCKDB_POOL
from measure_dagster.keys import PRIVACY_TAG, RAW_EVENTS_KEY

# Raw events, every dbt model and their checks, for one partition or a range of them.
# The unpartitioned aggregates run after the partitions they read, in the same run.
# On BigQuery raw/events is the collector's table, an observable external asset, which
# AssetSelection.all() leaves out (observing is a run of its own); its source checks are
# selected explicitly, so they run in the daily job on every target. The erasure log is not the
# daily job's, nor the retention log: their own jobs materialize them.
measure_daily_job = dg.define_asset_job(
    name="measure_daily",
    selection=(dg.AssetSelection.all() - dg.AssetSelection.tag(PRIVACY_TAG, ""))
    | dg.AssetSelection.checks_for_assets(RAW_EVENTS_KEY),
    description="Raw events and every dbt model for the selected days, then the full-history aggregates.",
)


# --- every dbt test over whole tables, weekly -----------------------------------------------------
# In the daily runs a partitioned model's tests read only the run's window
# (dbt_project/macros/tests/get_where_subquery.sql): a corruption of a day no run rebuilds since
# is never seen. This job runs `dbt test` without a window, so every test reads whole tables.

@dg.op(
    pool=DUCKDB_POOL,
    description="`dbt test` of every model without a partition window: each test over the whole table.",
)
def dbt_test_whole_tables(context: dg.OpExecutionContext, dbt: DbtCliResource) -> dg.Output:
    # the manifest of the resource's project, where the code location reads it (DBT_TARGET_PATH)
    manifest = Path(dbt.project_dir) / settings.dbt_target_path() / "manifest.json"
    invocation = dbt.cli(["test"], manifest=manifest, raise_on_error=False)
    for event in invocation.stream_raw_events():
        context.log.debug(str(event))
    results = invocation.get_artifact("run_results.json")["results"]
    # warn-severity tests report "warn" and do not fail the job, as in the daily runs
    failed = sorted(r["unique_id"] for r in results if r["status"] in ("fail", "error"))
    warned = sorted(r["unique_id"] for r in results if r["status"] == "warn")
    metadata = {"tests": len(results), "failed": len(failed), "warned": len(warned),
                "failed_tests": dg.MetadataValue.json(failed), "warned_tests": dg.MetadataValue.json(warned)}
    if failed or not results:
        raise dg.Failure(description=f"{len(failed)} of {len(results)} dbt tests failed over whole tables", metadata=metadata)
    return dg.Output(len(results), metadata=metadata)


@dg.job(description="Every dbt test over whole tables (no partition window), weekly.")
def measure_whole_table_tests():
    dbt_test_whole_tables()

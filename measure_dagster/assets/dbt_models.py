"""Every dbt model as a Dagster asset, in two halves over one manifest.

The models a day's events decide (tag `partitioned`) are daily-partitioned: the event-grained
ones replace their days, the per-visitor state (user_map, users_incremental, users, sessions)
replaces the rows of the visitors the days touched, so a partition of those is "this day's
visitors merged". The run's time window reaches dbt as `--event-time-start/--event-time-end`
(flags, unlike vars, keep dbt's partial parsing valid), and a backfill of any range is a single
dbt invocation (BackfillPolicy.single_run). The few models over a whole table of that state or
of a mart (clients, daily_active_users, monitoring) are unpartitioned and rebuilt after the
partitions they read.
"""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_dbt.dbt_manifest import read_manifest_path

from measure_dagster.assets.table_metadata import stream_with_table_metadata
from measure_dagster.partitions import daily_partitions
from measure_dagster.project import dbt_project
from measure_dagster.resources import DUCKDB_POOL, DuckDBWarehouse
from measure_dagster.translator import PARTITIONED_TAG, MeasureDbtTranslator

PARTITIONED_SELECTION = f"tag:{PARTITIONED_TAG}"


def full_history_selection() -> str:
    """The models without the `partitioned` tag, by name, with their tests.

    Not `--exclude tag:partitioned`: dagster-dbt excludes eagerly, which would drop a test
    between both halves (relationships clients -> users) from both, so it would never be an
    asset check. Selected by name, the halves' tests follow their models: that test is a check
    on clients, run by the full-history step (dbt's buildable selection).
    """
    # dagster-dbt's cached read: the @dbt_assets below reuse this parse of the manifest
    nodes = read_manifest_path(dbt_project.manifest_path)["nodes"].values()
    return " ".join(sorted(
        "fqn:" + ".".join(node["fqn"]) for node in nodes
        if node["resource_type"] in ("model", "seed", "snapshot") and PARTITIONED_TAG not in node["tags"]
    ))


def partition_window_args(context: dg.AssetExecutionContext) -> list[str]:
    window = context.partition_time_window
    return ["--event-time-start", window.start.strftime("%Y-%m-%d"), "--event-time-end", window.end.strftime("%Y-%m-%d")]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=PARTITIONED_SELECTION,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=MeasureDbtTranslator(),
    pool=DUCKDB_POOL,
    name="dbt_partitioned_models",
)
def dbt_partitioned_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBWarehouse):
    invocation = dbt.cli(["build", *partition_window_args(context)], context=context)
    yield from stream_with_table_metadata(invocation, context, warehouse)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=full_history_selection(),
    dagster_dbt_translator=MeasureDbtTranslator(),
    pool=DUCKDB_POOL,
    name="dbt_full_history_models",
)
def dbt_full_history_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBWarehouse):
    yield from stream_with_table_metadata(dbt.cli(["build"], context=context), context, warehouse)

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

import functools
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_dbt.dbt_manifest import read_manifest_path

from measure_dagster.defs.dbt.table_metadata import stream_with_table_metadata
from measure_dagster.defs.dbt.translator import PARTITIONED_TAG, MeasureDbtTranslator
from measure_dagster.defs.resources.warehouse import DUCKDB_POOL
from measure_dagster.partitions import daily_partitions
from measure_dagster.project import dbt_project
from measure_dagster.settings import MeasureSettings

PARTITIONED_SELECTION = f"tag:{PARTITIONED_TAG}"


def full_history_selection(manifest_path: Path) -> str:
    """The models without the `partitioned` tag, by name, with their tests.

    Not `--exclude tag:partitioned`: dagster-dbt excludes eagerly, which would drop a test
    between both halves (relationships clients -> users) from both, so it would never be an
    asset check. Selected by name, the halves' tests follow their models: that test is a check
    on clients, run by the full-history step (dbt's buildable selection).
    """
    # dagster-dbt's cached read: the @dbt_assets below reuse this parse of the manifest
    nodes = read_manifest_path(manifest_path)["nodes"].values()
    return " ".join(sorted(
        "fqn:" + ".".join(node["fqn"]) for node in nodes
        if node["resource_type"] in ("model", "seed", "snapshot") and PARTITIONED_TAG not in node["tags"]
    ))


def partition_window_args(context: dg.AssetExecutionContext) -> list[str]:
    window = context.partition_time_window
    return ["--event-time-start", window.start.strftime("%Y-%m-%d"), "--event-time-end", window.end.strftime("%Y-%m-%d")]


@functools.cache
def dbt_model_assets(settings: MeasureSettings) -> tuple[dg.AssetsDefinition, dg.AssetsDefinition]:
    """The two halves, (partitioned, full history), over the manifest of the settings' target.
    Locally their steps take a slot of the `duckdb` pool and read the DuckDB file for the table
    metadata (table_metadata.py); on BigQuery neither."""
    project = dbt_project(settings)
    translator = MeasureDbtTranslator(daily_partitions(settings.partitions_start))
    pool = DUCKDB_POOL if settings.is_local else None
    # the DuckDB file is read for the table metadata locally only (table_metadata.py)
    resource_keys = {"dbt", "warehouse"} if settings.is_local else {"dbt"}

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=PARTITIONED_SELECTION,
        partitions_def=daily_partitions(settings.partitions_start),
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=translator,
        pool=pool,
        required_resource_keys=resource_keys,
        name="dbt_partitioned_models",
    )
    def dbt_partitioned_models(context: dg.AssetExecutionContext):
        dbt: DbtCliResource = context.resources.dbt
        invocation = dbt.cli(["build", *partition_window_args(context)], context=context)
        yield from stream_with_table_metadata(invocation, context, _warehouse(context, settings))

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=full_history_selection(project.manifest_path),
        dagster_dbt_translator=translator,
        pool=pool,
        required_resource_keys=resource_keys,
        name="dbt_full_history_models",
    )
    def dbt_full_history_models(context: dg.AssetExecutionContext):
        dbt: DbtCliResource = context.resources.dbt
        yield from stream_with_table_metadata(dbt.cli(["build"], context=context), context, _warehouse(context, settings))

    return dbt_partitioned_models, dbt_full_history_models


def _warehouse(context: dg.AssetExecutionContext, settings: MeasureSettings):
    return context.resources.warehouse if settings.is_local else None


def dbt_model_keys(settings: MeasureSettings) -> set[dg.AssetKey]:
    """Every dbt model's asset key (the CLI's report counts them)."""
    partitioned, full_history = dbt_model_assets(settings)
    return set(partitioned.keys) | set(full_history.keys)

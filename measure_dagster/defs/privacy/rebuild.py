"""Rebuilding days after rows were deleted (an erasure, retention): what the daily job would build."""

from datetime import date, timedelta

import dagster as dg
import yaml
from dagster_dbt import get_asset_key_for_model

from measure_dagster.defs.dbt.assets import PARTITIONED_SELECTION, dbt_model_assets, full_history_selection
from measure_dagster.defs.resources.dbt import ProjectDbtCliResource
from measure_dagster.project import dbt_project
from measure_dagster.settings import DBT_PROJECT_DIR, MeasureSettings


def session_lookback_days() -> int:
    return int(yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["session_lookback_days"])


def rebuild_days(context: dg.AssetExecutionContext, dbt: ProjectDbtCliResource, settings: MeasureSettings,
                 first: date, last: date, reason: str) -> list[str]:
    """The partitioned models over first..last (one dbt invocation), then the full-history models
    (one more); the rebuilt partitions recorded as materializations of their assets. On BigQuery
    each invocation gets the job limits the daily job would give it: the partitioned one those of
    a backfill of its days; the run id labels their jobs and rows of the run-results log."""
    project = dbt_project(settings)
    partitioned, full_history = dbt_model_assets(settings)
    window = ["--event-time-start", first.isoformat(), "--event-time-end", (last + timedelta(days=1)).isoformat()]
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    rebuilt = []
    for args, assets, partitions in (
        (["build", "--select", PARTITIONED_SELECTION, *window], partitioned, days),
        (["build", "--select", full_history_selection(project.manifest_path)], full_history, [None]),
    ):
        invocation = dbt.cli(args, manifest=project.manifest_path, run_id=context.run_id,
                             job_window_days=len(partitions)).wait()
        for result in invocation.get_artifact("run_results.json")["results"]:
            model = result["unique_id"]
            if not model.startswith("model.") or result["status"] != "success":
                continue
            key = get_asset_key_for_model([assets], model.rsplit(".", 1)[1])
            rebuilt.append(key.to_user_string())
            for partition in partitions:
                context.log_event(dg.AssetMaterialization(asset_key=key, partition=partition,
                                                          metadata={reason: context.run_id}))
    return rebuilt

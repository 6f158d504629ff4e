"""The single place where dbt metadata becomes Dagster metadata.

- asset keys and groups follow the dbt folder (layer): staging/events_cleaned, core/sessions, ...
- models tagged `partitioned` get the daily partitions; their `upstream_partition_offsets`
  config (days, per parent) becomes a TimeWindowPartitionMapping, so Dagster knows that a
  partition of events_sessionated reads the raw events of the days before it
- `meta.dagster.freshness` in the models' YAML becomes a FreshnessPolicy
- automation conditions (defs/automation/conditions.py): late data re-materializes built partitions, the
  full-history models follow their partitions
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from measure_dagster.defs.automation.conditions import rebuild_after_upstream_change, rematerialize_on_upstream_change

PARTITIONED_TAG = "partitioned"


def layer_of(dbt_resource_props: Mapping[str, Any]) -> str:
    if dbt_resource_props["resource_type"] == "source":
        return dbt_resource_props["source_name"]
    # fqn = [project, folder, ..., name]: the first folder is the layer
    fqn = dbt_resource_props["fqn"]
    return fqn[1] if len(fqn) > 2 else "default"


def is_partitioned(dbt_resource_props: Mapping[str, Any]) -> bool:
    return PARTITIONED_TAG in dbt_resource_props.get("tags", [])


def freshness_policy_from_meta(meta: Mapping[str, Any]) -> dg.FreshnessPolicy | None:
    """`meta: {dagster: {freshness: {...}}}` in a model's YAML:
    `{deadline_cron: "0 3 * * *", lower_bound_hours: 25}` (cron) or
    `{fail_after_hours: 26, warn_after_hours: 24}` (time window)."""
    spec = (meta.get("dagster") or {}).get("freshness")
    if not spec:
        return None
    if "deadline_cron" in spec:
        return _cron_freshness_policy(
            spec["deadline_cron"], float(spec.get("lower_bound_hours", 24)), spec.get("timezone", "UTC"))
    return dg.FreshnessPolicy.time_window(
        fail_window=timedelta(hours=float(spec["fail_after_hours"])),
        warn_window=timedelta(hours=float(spec["warn_after_hours"])) if "warn_after_hours" in spec else None,
    )


@functools.cache
def _cron_freshness_policy(deadline_cron: str, lower_bound_hours: float, timezone: str) -> dg.FreshnessPolicy:
    # building one walks a year of cron ticks (~20 ms); the code location needs a few, many times
    return dg.FreshnessPolicy.cron(
        deadline_cron=deadline_cron, lower_bound_delta=timedelta(hours=lower_bound_hours), timezone=timezone)


class MeasureDbtTranslator(DagsterDbtTranslator):
    def __init__(self, daily_partitions: dg.PartitionsDefinition) -> None:
        self.daily_partitions = daily_partitions
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True,
                enable_source_tests_as_checks=True,
            )
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # sources carry their key in meta.dagster.asset_key (raw/events)
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey([layer_of(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return layer_of(dbt_resource_props)

    def get_partitions_def(self, dbt_resource_props: Mapping[str, Any]) -> dg.PartitionsDefinition | None:
        return self.daily_partitions if is_partitioned(dbt_resource_props) else None

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        if dbt_resource_props["resource_type"] != "model":
            return None
        return rematerialize_on_upstream_change if is_partitioned(dbt_resource_props) else rebuild_after_upstream_change

    def get_partition_mapping(
        self, dbt_resource_props: Mapping[str, Any], dbt_parent_resource_props: Mapping[str, Any]
    ) -> dg.PartitionMapping | None:
        offsets = dbt_resource_props.get("config", {}).get("upstream_partition_offsets") or {}
        parent_offsets = offsets.get(dbt_parent_resource_props["name"])
        if parent_offsets is None:
            return None
        start_offset, end_offset = parent_offsets
        return dg.TimeWindowPartitionMapping(
            start_offset=int(start_offset),
            end_offset=int(end_offset),
            # the first partitions look back before the start, the latest ahead of the end
            allow_nonexistent_upstream_partitions=True,
        )

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        policy = freshness_policy_from_meta(props.get("config", {}).get("meta") or props.get("meta") or {})
        return spec.replace_attributes(freshness_policy=policy) if policy else spec

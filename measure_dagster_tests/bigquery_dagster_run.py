"""The code location on a BigQuery target, driven through Dagster, in a process of its own.

    MEASURE_TARGET=emulator BIGQUERY_EMULATOR_HOST=... MEASURE_BQ_GCP_CREDENTIALS=... \\
        python -m measure_dagster_tests.bigquery_dagster_run OBSERVE_FIRST OBSERVE_LAST PARTITION...

(a PARTITION may be a range FIRST..LAST: one run of those days, as a single-run backfill)

definitions.py is imported fresh with MEASURE_TARGET set (the test session has imported the
local one), over a manifest parsed for that target, so what runs is what a BigQuery deployment loads: the observable raw events, the
BigQuery resources and the same dbt assets. It observes raw/events for the days
OBSERVE_FIRST..OBSERVE_LAST (as the UI's "Observe" does, through the implicit asset job), runs
the daily job for each PARTITION in turn (as the schedule does), and prints one JSON line.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    from measure_dagster_tests.bigquery_offline import prepare_target_manifest

    prepare_target_manifest()

    import dagster as dg

    from measure_dagster import settings
    from measure_dagster.definitions import defs
    from measure_dagster.defs.checks.anomaly import TRAFFIC_PROFILE_KEY
    from measure_dagster.keys import RAW_EVENTS_KEY
    from measure_dagster.partitions import partition_range_tags
    from measure_dagster_tests.pipeline import run_days

    observe_first, observe_last, *partitions = argv
    node = defs.resolve_asset_graph().get(RAW_EVENTS_KEY)
    daily_job = defs.resolve_job_def("measure_daily")
    report: dict = {
        "target": settings.target(),
        "resources": sorted(defs.resources),
        "raw_events": {"observable": node.is_observable, "materializable": node.is_materializable},
        "daily_job_selects_raw_events": RAW_EVENTS_KEY in daily_job.asset_layer.selected_asset_keys,
        "daily_job_raw_checks": sorted(
            key.name for key in daily_job.asset_layer.asset_graph.asset_check_keys if key.asset_key == RAW_EVENTS_KEY
        ),
        "observations": {},
        "runs": [],
    }

    with dg.instance_for_test() as instance:
        observed = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance,
            asset_selection=[RAW_EVENTS_KEY],
            tags=partition_range_tags(observe_first, observe_last),
            raise_on_error=False,
        )
        report["observe_success"] = observed.success
        for event in observed.all_events:
            if event.event_type_value == "ASSET_OBSERVATION":
                observation = event.event_specific_data.asset_observation
                report["observations"][observation.partition] = {
                    "tags": dict(observation.tags or {}),
                    "metadata": {key: value.value for key, value in observation.metadata.items()},
                }
        report["latest_data_versions"] = {
            partition: _data_version(instance, RAW_EVENTS_KEY, partition) for partition in report["observations"]
        }

        for partition in partitions:
            result = run_days(instance, *partition.split(".."))
            report["runs"].append({
                "partition": partition,
                "success": result.success,
                "failures": [
                    f"{e.step_key}: {e.event_specific_data.error.to_string()[-4000:]}" for e in result.all_events if e.is_step_failure
                ],
                "materialized": sorted(
                    e.asset_key.to_user_string() for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
                ),
                # what dagster-dbt's fetch_row_counts / fetch_column_metadata attached (the last of the range's days)
                "table_metadata": {
                    e.asset_key.to_user_string(): {
                        "row_count": e.materialization.metadata["dagster/row_count"].value,
                        "columns": [c.name for c in e.materialization.metadata["dagster/column_schema"].value.columns],
                    }
                    for e in result.get_asset_materialization_events()
                    if {"dagster/row_count", "dagster/column_schema"} <= set(e.materialization.metadata)
                },
                "checks": {
                    e.asset_check_key.to_user_string(): e.passed for e in result.get_asset_check_evaluations()
                },
                "failed_check_severities": {
                    e.asset_check_key.to_user_string(): e.severity.value
                    for e in result.get_asset_check_evaluations() if not e.passed
                },
                "check_metadata": {
                    e.asset_check_key.to_user_string(): {key: value.value for key, value in e.metadata.items()}
                    for e in result.get_asset_check_evaluations()
                    if e.asset_check_key.asset_key in (RAW_EVENTS_KEY, TRAFFIC_PROFILE_KEY)
                },
            })
    print("REPORT " + json.dumps(report, default=str), flush=True)
    return 0


def _data_version(instance, key, partition: str) -> str | None:
    record = instance.get_latest_data_version_record(key, partition_key=partition)
    if record is None:
        return None
    return (record.asset_event.tags or {}).get("dagster/data_version")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

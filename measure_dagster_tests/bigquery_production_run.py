"""The BigQuery code location through Dagster, in a process of its own (as bigquery_dagster_run):
the production behaviours of test_bigquery_production.py.

    MEASURE_TARGET=emulator BIGQUERY_EMULATOR_HOST=... MEASURE_BQ_GCP_CREDENTIALS=... \\
        python -m measure_dagster_tests.bigquery_production_run FIRST LAST LATE_ROWS_JSON

1. The schedule observe_raw_events_hourly ticks at 00:30 the day after LAST; its run request is
   executed as the daemon would (the observe job), and automation is evaluated once (its cursor).
2. The daily job runs FIRST..LAST as one run (a single-run backfill of a multi-day window).
3. The rows of LATE_ROWS_JSON (a file) are streamed into the collector's table; the next hourly
   tick observes again; automation is evaluated from the cursor of 1.

It prints one JSON line: what the schedule asked, the observations, the run's materialization
metadata, its BigQuery jobs (labels, limits, statistics, from the emulator's job API), its rows in
monitoring.dbt_run_results, and what automation requested.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime, time, timedelta, timezone


def _client():
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    from measure_dagster import settings

    return bigquery.Client(project=settings.bigquery_project(), credentials=AnonymousCredentials(),
                           client_options={"api_endpoint": os.environ["BIGQUERY_EMULATOR_HOST"]})


def _observe(defs, instance, tick: datetime) -> dict:
    import dagster as dg

    observe_raw_events_schedule = defs.resolve_schedule_def("observe_raw_events_hourly")
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
    (request,) = observe_raw_events_schedule.evaluate_tick(context).run_requests
    result = defs.resolve_job_def(observe_raw_events_schedule.job_name).execute_in_process(
        instance=instance, tags=request.tags, raise_on_error=False)
    observations = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_OBSERVATION":
            observation = event.event_specific_data.asset_observation
            observations[observation.partition] = (observation.tags or {}).get("dagster/data_version")
    return {"tags": dict(request.tags), "success": result.success, "data_versions": observations}


def _requested(result) -> dict[str, list]:
    from measure_dagster.definitions import defs

    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): sorted(str(p) for p in result.get_requested_partitions(key))
        for key in graph.get_all_asset_keys() if result.get_num_requested(key)
    }


def main(argv: list[str]) -> int:
    from measure_dagster_tests.bigquery_offline import prepare_target_manifest

    prepare_target_manifest()

    import dagster as dg

    from measure_dagster import settings
    from measure_dagster.definitions import defs
    from measure_dagster_tests.pipeline import run_days

    first, last, late_rows_path = argv
    tick = datetime.combine(date.fromisoformat(last) + timedelta(days=1), time(0, 30), tzinfo=timezone.utc)
    report: dict = {"schedules": sorted(schedule.name for schedule in defs.schedules)}
    client = _client()

    with dg.instance_for_test() as instance:
        report["first_observation"] = _observe(defs, instance, tick)
        before = dg.evaluate_automation_conditions(defs=defs, instance=instance)

        result = run_days(instance, first, last)
        run_id = result.run_id
        report["run"] = {
            "run_id": run_id,
            "success": result.success,
            "failures": [f"{e.step_key}: {e.event_specific_data.error.message[:2000]}"
                         for e in result.all_events if e.is_step_failure],
            "bigquery_metadata": {
                e.asset_key.to_user_string(): {
                    k: v.value for k, v in e.step_materialization_data.materialization.metadata.items()
                    if k.startswith("bigquery/")
                }
                for e in result.get_asset_materialization_events()
            },
        }
        # the jobs dbt ran for this Dagster run, found by their label, as in INFORMATION_SCHEMA.JOBS
        jobs = []
        for job in client.list_jobs(all_users=True):
            labels = job.labels or {}
            if labels.get("dagster_run_id") == run_id:
                config = job._properties.get("configuration", {})
                jobs.append({
                    "job_id": job.job_id,
                    "labels": labels,
                    "maximum_bytes_billed": config.get("query", {}).get("maximumBytesBilled"),
                    "job_timeout_ms": config.get("jobTimeoutMs"),
                    "total_bytes_processed": getattr(job, "total_bytes_processed", None),
                    "total_bytes_billed": getattr(job, "total_bytes_billed", None),
                    "slot_millis": getattr(job, "slot_millis", None),
                })
        report["jobs"] = jobs
        report["run_results"] = [
            dict(row) for row in client.query_and_wait(
                "select model_name, resource_type, status, dagster_run_id, bytes_processed, bytes_billed, slot_ms "
                "from monitoring.dbt_run_results where dagster_run_id = @run_id",
                job_config=_run_id_parameter(run_id))
        ]
        report["run_results_columns"] = [f.name for f in client.get_table(f"{settings.bigquery_project()}.monitoring.dbt_run_results").schema]

        after_run = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=before.cursor)
        report["requested_after_run"] = _requested(after_run)

        with open(late_rows_path) as handle:
            late_rows = json.load(handle)
        errors = client.insert_rows_json(settings.raw_events_table_ref(), late_rows)
        assert not errors, errors
        report["second_observation"] = _observe(defs, instance, tick + timedelta(hours=1))
        after_late = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=after_run.cursor)
        report["requested_after_late_rows"] = _requested(after_late)

    print("REPORT " + json.dumps(report, default=str), flush=True)
    return 0


def _run_id_parameter(run_id: str):
    from google.cloud import bigquery

    return bigquery.QueryJobConfig(query_parameters=[bigquery.ScalarQueryParameter("run_id", "STRING", run_id)])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

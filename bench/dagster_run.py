"""One Dagster run in a fresh process, timed from inside (the parent measures the process tree).

    python -m bench.dagster_run range|partition START END [--partitioned-only]

range: one run over the partitions START..END (range tags, as `measure-dagster materialize`
and single-run backfills do); partition: one run of the partition START. raw/events is left
out (the benchmark loads raw data beforehand); the other assets are the daily job's selection
(so not the privacy logs). Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time

t_import = time.perf_counter()
import dagster as dg  # noqa: E402

from measure_dagster.definitions import defs  # noqa: E402
from measure_dagster.defs.schedules.jobs import measure_daily_job  # noqa: E402
from measure_dagster.keys import RAW_EVENTS_KEY  # noqa: E402
from measure_dagster.partitions import partition_range_tags  # noqa: E402

import_seconds = time.perf_counter() - t_import


def main() -> None:
    mode, start, end = sys.argv[1:4]
    partitioned_only = "--partitioned-only" in sys.argv
    graph = defs.resolve_asset_graph()
    keys = [k for k in measure_daily_job.selection.resolve(graph) if k != RAW_EVENTS_KEY and graph.get(k).is_materializable]
    if partitioned_only:
        keys = [k for k in keys if graph.get(k).is_partitioned]
    job = defs.resolve_job_def(measure_daily_job.name)
    with dg.DagsterInstance.get() as instance:
        t0 = time.perf_counter()
        if mode == "partition":
            result = job.execute_in_process(instance=instance, partition_key=start, asset_selection=keys, raise_on_error=False)
        else:
            result = job.execute_in_process(
                instance=instance, asset_selection=keys, raise_on_error=False,
                tags=partition_range_tags(start, end))
        seconds = time.perf_counter() - t0
        steps: dict[str, list[float]] = {}
        for entry in instance.all_logs(result.run_id):
            event = entry.dagster_event
            if event is not None and (event.is_step_start or event.is_step_success or event.is_step_failure):
                steps.setdefault(event.step_key, []).append(entry.timestamp)
        failures = [f"{e.step_key}: {e.event_specific_data.error.message[:1500]}" for e in result.all_events if e.is_step_failure]
    print("BENCH_RESULT " + json.dumps({
        "success": result.success, "run_seconds": seconds, "import_seconds": import_seconds,
        "step_starts": {k: sum(1 for e in result.all_events if e.is_step_start and e.step_key == k) for k in steps},
        "step_seconds": {k: max(v) - min(v) for k, v in steps.items()},
        "assets": len(keys), "failures": failures,
    }), flush=True)


if __name__ == "__main__":
    main()

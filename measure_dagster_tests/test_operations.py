"""Operating the pipeline: concurrent runs queue on the DuckDB pool, a range is one dbt
invocation from the Dagster CLI, late export files re-run built days and automation follows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg

from measure_dagster.definitions import defs
from measure_dagster.defs.automation.sensors import late_event_exports_sensor
from measure_dagster.settings import REPO_ROOT
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests.pipeline import assert_success, query, run_days

# the README's selection for a backfill from the Dagster CLI: raw events and every partitioned model
PARTITIONED_SELECTION = "key:raw/events or tag:partitioned"


def run_and_step_intervals(instance: dg.DagsterInstance, run_id: str) -> tuple[tuple[float, float], dict[str, tuple[float, float]]]:
    """From a run's event log: (run start, run end) and each step's (start, end), in seconds."""
    run, steps, started = [None, None], {}, {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.RUN_START:
            run[0] = record.timestamp
        elif event.event_type in (dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE):
            run[1] = record.timestamp
        elif event.event_type == dg.DagsterEventType.STEP_START:
            started[event.step_key] = record.timestamp
        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            steps[event.step_key] = (started[event.step_key], record.timestamp)
    assert None not in run and set(steps) == set(started), (run, started, steps)
    return (run[0], run[1]), steps


def test_two_runs_at_once_queue_instead_of_colliding(warehouse_path, tmp_path):
    """The project CLI and a Dagster CLI backfill, launched together on one DuckDB file: the two
    runs overlap in time, their steps (every one writes or reads the DuckDB file, so every one is
    in the pool `duckdb`, limit 1) never do."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "MEASURE_EVENTS_PATH": str(crafted.write_ndjson(tmp_path / "exports"))}
    bin_dir = Path(sys.executable).parent
    commands = {
        "measure-dagster": [str(bin_dir / "measure-dagster"), "materialize", "--start", crafted.DAY1, "--end", crafted.DAY2],
        "dagster asset materialize": [str(bin_dir / "dagster"), "asset", "materialize", "-m", "measure_dagster.definitions",
                                      "--select", PARTITIONED_SELECTION, "--partition-range", f"{crafted.DAY1}...{crafted.DAY2}"],
    }
    # output to files, not pipes: a pipe read only after the other process ends fills up, and its
    # writer blocks while it holds the pool slot the other run waits for (a deadlock of the test)
    logs = {name: tmp_path / f"{name.replace(' ', '_')}.log" for name in commands}
    # the selection is every partitioned asset of the graph, nothing else
    graph = defs.resolve_asset_graph()
    selected = dg.AssetSelection.from_string(PARTITIONED_SELECTION).resolve(graph)
    assert selected == {key for key in graph.get_all_asset_keys() if graph.get(key).is_partitioned}
    processes = {name: subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=logs[name].open("w"), stderr=subprocess.STDOUT)
                 for name, cmd in commands.items()}
    try:
        # generous: a slow CI machine takes several minutes for the two queued runs
        for process in processes.values():
            process.wait(timeout=1800)
    finally:
        # never leave a run behind holding the DuckDB file for the tests after this one
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    outputs = {name: log.read_text(errors="replace") for name, log in logs.items()}
    for name, process in processes.items():
        assert process.returncode == 0, f"{name} failed:\n{outputs[name][-4000:]}"
    assert "Conflicting lock" not in "".join(outputs.values())

    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert len(runs) == 2 and all(run.is_success for run in runs)
        # the backfill of two days was one run with one dbt invocation for the partitioned models
        clients = dg.AssetKey(["core", "clients"])
        backfill = next(run for run in runs if clients not in (run.asset_selection or {clients}))
        starts = [r.dagster_event.step_key for r in instance.all_logs(backfill.run_id, of_type=dg.DagsterEventType.STEP_START)]
        assert starts.count("dbt_partitioned_models") == 1

        # from the event logs: the runs were under way at the same time, their DuckDB steps one after the other
        job = defs.resolve_job_def("measure_daily")
        assert {node.definition.pool for node in job.nodes} == {"duckdb"}
        (first_run, first_steps), (second_run, second_steps) = sorted(
            run_and_step_intervals(instance, run.run_id) for run in runs)
        assert second_run[0] < first_run[1], "the second run started after the first had ended: nothing was queued"
        assert {"raw__events", "dbt_partitioned_models"} <= set(first_steps) & set(second_steps)
        overlapping = [(a, b) for a, (a_start, a_end) in first_steps.items() for b, (b_start, b_end) in second_steps.items()
                       if a_start < b_end and b_start < a_end]
        assert overlapping == [], f"steps of the two runs ran at the same time on one DuckDB file: {overlapping}"
        # and a run waited: the dbt step that went second had its input (its run's raw events) ready
        # while the other run's dbt step held the slot. (Not "the run that started second ended
        # last": both start within the same second, and the one with more steps after may start first.)
        (_, held_until), (waited_from, _), waiter_steps = min(
            (first_steps["dbt_partitioned_models"], second_steps["dbt_partitioned_models"], second_steps),
            (second_steps["dbt_partitioned_models"], first_steps["dbt_partitioned_models"], first_steps))
        assert waiter_steps["raw__events"][1] < held_until <= waited_from
    daily = {str(r["date"]): r["total_events"] for r in query(warehouse_path, "select date, total_events from mart.daily_performance")}
    assert daily == {day: figures["total_events"] for day, figures in crafted.EXPECTED_DAILY_PERFORMANCE.items()}


def test_late_exports_rerun_built_days_and_automation_follows(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    exports = crafted.write_ndjson(tmp_path / "exports")
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(exports))
    assert_success(run_days(dagster_instance, crafted.DAY1, crafted.DAY2))

    with dg.build_sensor_context(instance=dagster_instance, cursor=None, definitions=defs) as context:
        first = late_event_exports_sensor(context)
        cursor = context.cursor
    assert isinstance(first, dg.SkipReason) and cursor

    # a late event of visitor B on 10-05: its second session becomes 12:00 -> 12:20
    late = {**crafted.crafted_rows()[9], "timestamp": "2026-10-05 12:20:00.000000 UTC"}
    (exports / "late-000.json").write_text(json.dumps(late, default=str) + "\n")
    with dg.build_sensor_context(instance=dagster_instance, cursor=cursor, definitions=defs) as context:
        requests = late_event_exports_sensor(context)
    assert [r.partition_key for r in requests] == [crafted.DAY1]

    # automation looks at what changed since its previous tick: one tick before the late run
    before = dg.evaluate_automation_conditions(defs=defs, instance=dagster_instance)
    assert_success(run_days(dagster_instance, requests[0].partition_key))
    day1 = query(warehouse_path, "select total_events, avg_session_duration from mart.daily_performance where date = ?", [date(2026, 10, 5)])[0]
    assert day1 == {"total_events": 10, "avg_session_duration": (3600 + 300 + 1200 + 60 + 300) / 5}

    # raw 10-05 changed: the partitions that read it through their look-back are requested
    result = dg.evaluate_automation_conditions(defs=defs, instance=dagster_instance, cursor=before.cursor)
    sessionated = result.get_requested_partitions(dg.AssetKey(["staging", "events_sessionated"]))
    assert crafted.DAY2 in sessionated
    assert crafted.DAY1 not in sessionated  # built in the late run already
    assert "2026-10-07" not in sessionated  # never built: left to backfills


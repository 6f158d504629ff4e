"""What `measure-dagster materialize` prints: the concise view by default (a line per step and
per model, warned checks with their reason, a summary with the run's UI link), Dagster's full
event log and dbt's output with --verbose, a progress bar on a terminal. On the crafted two days.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from measure_dagster.defs.dbt.assets import dbt_model_keys
from measure_dagster.run_report import RunReport
from measure_dagster.settings import REPO_ROOT, MeasureSettings
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests.conftest import WAREHOUSE, wipe_warehouse

CLI = str(Path(sys.executable).with_name("measure-dagster"))
DBT_MODELS = dbt_model_keys(MeasureSettings.from_env())
RUN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _cli(home: Path, exports: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAGSTER_HOME": str(home), "MEASURE_EVENTS_PATH": str(exports), "MEASURE_DUCKDB_PATH": str(WAREHOUSE),
           "MEASURE_UI_URL": "http://dagster.example:3333/"}
    return subprocess.run([CLI, "materialize", *args], check=False, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def concise_run(tmp_path_factory):
    """One run of both crafted days, output not a terminal."""
    tmp = tmp_path_factory.mktemp("cli")
    wipe_warehouse()
    home, exports = tmp / "dagster_home", crafted.write_ndjson(tmp / "exports")
    home.mkdir()
    completed = _cli(home, exports, "--start", crafted.DAY1, "--end", crafted.DAY2)
    yield home, exports, completed
    wipe_warehouse()


def test_concise_view(concise_run):
    home, exports, completed = concise_run
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    out = completed.stdout
    lines = out.splitlines()
    # no Dagster event log, no dbt log, no library warning, no terminal control codes
    for noise in ("DEBUG", "RUN_START", "ASSET_MATERIALIZATION", "OK created", "Warning", "\r", "\033"):
        assert noise not in out + completed.stderr, noise
    assert len(lines) < 45, out

    # a numbered line per dbt model with its status, row count and seconds; raw events unnumbered
    models = {m["name"]: m for m in (re.match(
        r"^  \[\s*(?P<n>\d+)/(?P<total>\d+)\] (?P<name>\S+)\s+(?P<status>\S+)\s+(?P<rows>[\d,]+) rows?\s+(?P<seconds>[\d.]+) s", line)
        for line in lines) if m}
    assert set(models) == {key.to_user_string() for key in DBT_MODELS}
    assert sorted(int(m["n"]) for m in models.values()) == list(range(1, len(DBT_MODELS) + 1))
    assert {m["total"] for m in models.values()} == {str(len(DBT_MODELS))}
    assert {m["status"] for m in models.values()} == {"success"}
    assert models["core/sessions"]["rows"] == str(len(crafted.EXPECTED_SESSIONS))
    assert models["mart/daily_performance"]["rows"] == "2"
    # the crafted rows of both days (the one without a timestamp is rejected by the loader)
    raw_rows = sum(1 for row in crafted.crafted_rows() if row["timestamp"] and str(row["timestamp"])[:10] in (crafted.DAY1, crafted.DAY2))
    assert re.search(rf"^\s+raw/events\s+success\s+{raw_rows} rows .*\(2 partitions\)$", out, re.MULTILINE), out
    assert "(2 partitions)" in next(line for line in lines if "mart/daily_performance " in line)

    # a line per step, in order, when it ends
    steps = re.findall(r"^step (\S+)\s+succeeded\s+[\d.]+ s$", out, re.MULTILINE)
    # the anomaly checks read the monitoring profile, built in the partitioned step
    assert steps[0] == "raw__events" and set(steps[-2:]) == {"dbt_full_history_models", "traffic_anomaly_checks"}
    assert steps.index("dbt_partitioned_models") < min(steps.index(s) for s in steps[-2:])

    # the checks that warned, with their reason; none of the passing ones
    assert re.search(r"^  warn\s+check staging/events_quarantine:events_quarantine_rows: 1 failing row \(dbt: warn\)$", out, re.MULTILINE), out
    assert re.search(r"^  warn\s+check raw/events:raw_events_freshness: .*newest_event=2026-10-06 09:10:00", out, re.MULTILINE), out
    assert re.search(r"^  warn\s+check staging/purchases:purchases_without_revenue: 2 failing rows \(dbt: warn\)$", out, re.MULTILINE), out
    assert "unique_events_cleaned_event_id" not in out
    warned = re.findall(r"^  warn\s+check (\S+?:\S+?):", out, re.MULTILINE)

    # the summary: run id, time, tallies, the run's page in the UI (MEASURE_UI_URL)
    summary = re.fullmatch(
        rf"run ({RUN_ID.pattern}) succeeded in (?:\d+ min )?[\d.]+ s \(\S+ \S+–\S+ UTC\): {len(DBT_MODELS)}/{len(DBT_MODELS)} dbt models, "
        rf"checks (\d+) passed, {len(warned)} warned, 0 failed", lines[-2])
    assert summary, lines[-2]
    # the crafted row without a timestamp, the stale sample, the row without visitor key, the purchases without value
    assert sorted(warned) == ["raw/events:raw_events_freshness", "raw/events:raw_events_rejected",
                              "staging/events_quarantine:events_quarantine_rows", "staging/purchases:purchases_without_revenue"], out
    run_id = summary.group(1)
    assert lines[-1] == f"UI: http://dagster.example:3333/runs/{run_id}"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        # the full event log is stored all the same
        assert len(instance.all_logs(run_id)) > 200
        checks = [e for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)]
        assert int(summary.group(2)) == sum(e.dagster_event.event_specific_data.passed for e in checks) > 40

    # a second time with --if-missing: nothing left to do, no run
    again = _cli(home, exports, "--start", crafted.DAY1, "--end", crafted.DAY2, "--if-missing")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to do" in again.stdout
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert [r.run_id for r in instance.get_runs()] == [run_id]


def test_progress_bar_on_a_terminal(concise_run):
    """The stored events of the run above, replayed into the report as a terminal would get them."""
    home, _, completed = concise_run
    run_id = RUN_ID.search(completed.stdout.splitlines()[-1]).group(0)
    terminal = io.StringIO()
    report = RunReport(DBT_MODELS, out=terminal, progress_bar=True, partition_count=2)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for entry in instance.all_logs(run_id):
            report(entry)
    report.close()
    frames = re.findall(r"\r\033\[K\[([#.]+)\] (\d+)/(\d+) dbt models · (\S+)", terminal.getvalue())
    done = [int(n) for _, n, _, _ in frames]
    assert done == sorted(done) and done[0] == 0 and done[-1] == len(DBT_MODELS)
    assert frames[-1][0] == "#" * len(frames[-1][0])
    assert {step for *_, step in frames} >= {"raw__events", "dbt_partitioned_models", "dbt_full_history_models"}
    # between the frames, the same lines as without a terminal
    plain = re.sub(r"\r\033\[K(\[[#.]+\] [^\r\n]*)?", "", terminal.getvalue())
    assert plain.splitlines() == completed.stdout.splitlines()[1:-2]


def test_verbose_gives_the_full_log(tmp_path):
    wipe_warehouse()
    home = tmp_path / "dagster_home"
    home.mkdir()
    completed = _cli(home, crafted.write_ndjson(tmp_path / "exports"), "--start", crafted.DAY2, "--end", crafted.DAY2, "--verbose")
    wipe_warehouse()
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    everything = completed.stdout + completed.stderr
    # Dagster's event log (its console logger, on stderr), every event type; dbt's own output
    for event_type in ("RUN_START", "STEP_START", "ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION", "STEP_SUCCESS", "RUN_SUCCESS"):
        assert f" - {event_type} - " in completed.stderr, event_type
    assert "OK created sql incremental model staging.events_cleaned" in completed.stdout
    assert "BetaWarning" in completed.stderr
    assert everything.count("\n") > 300
    # the concise lines are not repeated; the summary is
    assert not re.search(r"^  \[\s*\d+/\d+\]", completed.stdout, re.MULTILINE)
    assert re.search(rf"^run {RUN_ID.pattern} succeeded in ", completed.stdout, re.MULTILINE)

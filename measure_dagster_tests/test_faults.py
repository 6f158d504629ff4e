"""Faults: runs killed mid-way, then re-run, leave exactly the tables of an uninterrupted run; a
missing events folder, a malformed export file, an empty day, an unreadable or a locked DuckDB
file each fail the run with one sentence naming the problem."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from measure_dagster.settings import REPO_ROOT
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests import hostile_events as hostile
from measure_dagster_tests.pipeline import assert_success, query, run_days

RAW = dg.AssetKey(["raw", "events"])
CLI = str(Path(sys.executable).with_name("measure-dagster"))


# ---------------------------------------------------------------------------------------------
# killed runs

def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def run_cli(env: dict, kill_when: re.Pattern | None = None, kill: str = "") -> tuple[int, str]:
    """`measure-dagster materialize` for the hostile days in its own process group. With
    `kill_when`, at the first output line matching it: kill="dbt" SIGKILLs the running `dbt build`,
    kill="group" SIGKILLs the whole process group (Dagster and dbt at once)."""
    # --verbose: the kill points are lines of dbt's output, which only the full log shows
    process = subprocess.Popen([CLI, "materialize", "--start", hostile.DAY1, "--end", hostile.DAY2, "--verbose"], cwd=REPO_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                               start_new_session=True)
    watchdog = threading.Timer(400, lambda: os.killpg(process.pid, signal.SIGKILL))
    watchdog.start()
    lines, killed = [], False
    try:
        for line in process.stdout:
            lines.append(line)
            if kill_when is not None and not killed and kill_when.search(line):
                if kill == "group":
                    os.killpg(process.pid, signal.SIGKILL)
                else:
                    builds = [p for p in _descendants(process.pid) if " build" in _cmdline(p) and "dbt" in _cmdline(p)]
                    assert builds, "no dbt build running"
                    for pid in builds:
                        os.kill(pid, signal.SIGKILL)
                killed = True
        process.wait()
    finally:
        watchdog.cancel()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if kill_when is not None:
        assert killed, "the run ended before the kill point:\n" + "".join(lines[-30:])
    return process.returncode, "".join(lines)


@pytest.fixture
def reference(warehouse_path, tmp_path_factory) -> hostile.ReferenceRun:
    return hostile.reference_run(warehouse_path, tmp_path_factory.mktemp("hostile"))


def test_killed_runs_then_a_rerun_leave_the_tables_of_an_uninterrupted_run(reference, warehouse_path, tmp_path):
    assert reference.success
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")  # the duckdb pool, limit 1
    env = {**os.environ, "DAGSTER_HOME": str(home), "MEASURE_EVENTS_PATH": str(reference.exports),
           "MEASURE_DUCKDB_PATH": str(warehouse_path), "PYTHONUNBUFFERED": "1"}
    hostile.prepare_warehouse(warehouse_path)

    # 1. the dbt subprocess killed while it builds the partitioned models: the run fails
    returncode, output = run_cli(env, re.compile(r"OK created sql incremental model staging\.events_cleaned"), kill="dbt")
    assert returncode == 1, output[-3000:]
    assert "failed (steps: dbt_partitioned_models)" in output
    # the command line ends with the reason
    assert output.strip().splitlines()[-1].startswith("measure-dagster: dbt_partitioned_models: "), output[-2000:]

    # 2. the whole process group killed while dbt rebuilds the full-history tables: no end is
    # ever reported, the run stays STARTED holding the pool slot
    returncode, output = run_cli(env, re.compile(r"OK created sql table model"), kill="group")
    assert returncode == -signal.SIGKILL
    with dg.DagsterInstance.from_config(str(home)) as instance:
        statuses = [run.status for run in instance.get_runs()]
    assert statuses == [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.FAILURE]

    # 3. a plain re-run: it releases the dead run's slot (else it would wait forever) and completes
    returncode, output = run_cli(env)
    assert returncode == 0, output[-3000:]
    assert "was killed with its process; marked failed, its pool slot released" in output
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert [run.status for run in instance.get_runs()] == [dg.DagsterRunStatus.SUCCESS] + [dg.DagsterRunStatus.FAILURE] * 2

    # exactly the tables, and the rows, of the uninterrupted run (no leftover dbt tmp/backup relation)
    assert hostile.table_fingerprints(warehouse_path) == reference.fingerprints


# ---------------------------------------------------------------------------------------------
# one clear error

def _only_failure(result: dg.ExecuteInProcessResult):
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["raw__events"]
    error = failures[0].event_specific_data.error
    # a dagster.Failure raised by the asset itself: one sentence, no chained exception from
    # inside DuckDB or the loader, no frame below the asset's own
    assert error.cls_name == "Failure" and error.cause is None and error.context is None
    assert error.stack[-1].startswith(f'  File "{REPO_ROOT / "measure_dagster" / "defs" / "raw_events" / "duckdb.py"}"')
    message = error.message.strip().removeprefix("dagster._core.definitions.events.Failure: ")
    assert "\n" not in message
    return message


def test_each_fault_is_one_clear_error(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    raw_only = {"asset_selection": [RAW]}

    # a missing events folder
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(tmp_path / "no-such-exports"))
    message = _only_failure(run_days(dagster_instance, crafted.DAY1, **raw_only))
    assert f"events path '{tmp_path / 'no-such-exports'}' does not exist (MEASURE_EVENTS_PATH)" in message

    # a malformed export file: the table keeps what it had
    exports = crafted.write_ndjson(tmp_path / "exports")
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(exports))
    assert_success(run_days(dagster_instance, crafted.DAY1, **raw_only))
    before = query(warehouse_path, "select count(*) as n from raw.events")[0]["n"]
    (exports / "events-999.json").write_text("timestamp,client_id\n2026-10-05 10:00:00,c1\n")
    message = _only_failure(run_days(dagster_instance, crafted.DAY1, **raw_only))
    assert f"events file '{exports / 'events-999.json'}' is malformed: line 1 is not valid JSON" in message
    assert query(warehouse_path, "select count(*) as n from raw.events")[0]["n"] == before
    (exports / "events-999.json").unlink()

    # an empty day (no export holds 2026-10-07): an error, unless the run config allows it
    message = _only_failure(run_days(dagster_instance, "2026-10-07", **raw_only))
    assert "no events between 2026-10-07 00:00:00 and 2026-10-08 00:00:00 (UTC)" in message
    assert "is the export of that day missing?" in message and "allow_empty: true" in message
    allow_empty = {"ops": {"raw__events": {"config": {"allow_empty": True}}}}
    assert_success(run_days(dagster_instance, "2026-10-07", run_config=allow_empty, **raw_only))

    # a locked DuckDB file: another process writes it, longer than the lock timeout
    monkeypatch.setenv("MEASURE_DUCKDB_LOCK_TIMEOUT_SECONDS", "1")
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
                               "print('locked', flush=True); time.sleep(120)", str(warehouse_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        message = _only_failure(run_days(dagster_instance, crafted.DAY1, **raw_only))
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait()
    assert f"the DuckDB file {warehouse_path} (MEASURE_DUCKDB_PATH) is locked by PID {holder.pid}" in message
    assert "stayed locked for 1 s" in message

    # an unreadable DuckDB file: not a DuckDB database
    for path in (warehouse_path, warehouse_path.with_name(warehouse_path.name + ".wal")):
        path.unlink(missing_ok=True)
    warehouse_path.write_bytes(b"this is not a database" * 100)
    message = _only_failure(run_days(dagster_instance, crafted.DAY1, **raw_only))
    assert f"cannot open the DuckDB file {warehouse_path} (MEASURE_DUCKDB_PATH)" in message
    assert "not a valid DuckDB database file" in message

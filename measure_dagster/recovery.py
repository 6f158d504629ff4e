"""After a crash: runs whose process is gone still hold their slot of the `duckdb` pool.

A run killed with its process (SIGKILL, OOM killer, a closed laptop lid in the wrong place)
never reports its end: the instance keeps it STARTED and keeps its claimed slot of the pool
`duckdb` (limit 1), so every later run would wait for that slot forever. The project CLI calls
`release_runs_of_dead_processes` before it starts a run: a STARTED run whose process (the pid of
its RUN_START event) no longer exists on this machine is marked failed and its slots are freed.
The tables need nothing: every write is one transaction (raw loads, dbt's replace_window), so a
re-run after a kill leaves exactly what an uninterrupted run leaves.

In the UI the same is "Terminate" / "Mark as failed" on the run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import dagster as dg


def _process_start_time(pid: int) -> float | None:
    """Start of process `pid` (epoch seconds), None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        with open("/proc/stat", "rb") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith(b"btime"))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, IndexError, StopIteration):
        # no /proc (not Linux): fall back to "does the pid exist"
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return 0.0


def _run_process(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_START)
    if not records or records[-1].dagster_event is None or records[-1].dagster_event.pid is None:
        return None
    return records[-1].dagster_event.pid, records[-1].timestamp


def release_runs_of_dead_processes(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the STARTED runs whose process is gone, free their pool slots; their ids."""
    released = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        process = _run_process(instance, run.run_id)
        if process is None:
            continue
        pid, started = process
        process_start = _process_start_time(pid)
        # gone, or the pid now belongs to a process started after the run (pid reuse)
        if process_start is not None and process_start <= started + 1:
            continue
        instance.report_run_failed(
            run,
            f"The process of this run (pid {pid}) is gone, killed without reporting the end of the run; "
            f"marked failed at {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC so that its pool slots are released.",
        )
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released

"""Run the pipeline through Dagster in tests, and read the tables it leaves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from measure_dagster.definitions import defs
from measure_dagster.jobs import measure_daily_job
from measure_dagster.settings import DBT_PROJECT_DIR


def run_days(instance: dg.DagsterInstance, first: str, last: str | None = None, *, asset_selection=None, run_config=None) -> dg.ExecuteInProcessResult:
    """Materialize the daily job for one partition, or for the range first..last as one run."""
    job = defs.resolve_job_def(measure_daily_job.name)
    if last is None or last == first:
        return job.execute_in_process(instance=instance, partition_key=first, asset_selection=asset_selection,
                                      run_config=run_config, raise_on_error=False)
    return job.execute_in_process(
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        asset_selection=asset_selection,
        run_config=run_config,
        raise_on_error=False,
    )


def assert_success(result: dg.ExecuteInProcessResult) -> None:
    if not result.success:
        failures = [f"{e.step_key}: {e.event_specific_data.error.message[:2000]}" for e in result.all_events if e.is_step_failure]
        raise AssertionError("run failed:\n" + "\n".join(failures))


def query(path: Path, sql: str, params=None) -> list[dict]:
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def dbt(args: list[str]) -> str:
    """Run dbt directly (for what is not Dagster's: full refresh reference, run-operations, docs)."""
    completed = subprocess.run([str(Path(sys.executable).with_name("dbt")), *args, "--profiles-dir", ".", "--target", "local"],
                               cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:]
    return completed.stdout

"""Run the pipeline through Dagster in tests, and read the tables it leaves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import yaml

from measure_dagster import settings
from measure_dagster.definitions import defs
from measure_dagster.defs.resources.dbt import ProjectDbtCliResource
from measure_dagster.defs.schedules.jobs import measure_daily_job
from measure_dagster.partitions import partition_range_tags
from measure_dagster.settings import DBT_PROJECT_DIR


class DbtCliResourceWithVars(ProjectDbtCliResource):
    """The project's dbt resource, passing `--vars` to every dbt command."""

    dbt_vars: str

    def cli(self, args, *, context=None, **kwargs):
        command, *rest = args
        return super().cli([command, "--vars", self.dbt_vars, *rest], context=context, **kwargs)


def with_dbt_vars(overrides: dict) -> dg.Definitions:
    """The code location with these dbt vars on every dbt command Dagster runs (as a deployment
    that set them in dbt_project.yml): the same assets, checks and jobs."""
    config = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    unknown = set(overrides) - set(config["vars"])
    assert not unknown, f"not vars of the project: {unknown}"
    dbt_resource = DbtCliResourceWithVars(project_dir=str(DBT_PROJECT_DIR), target=settings.target(),
                                          dbt_executable=str(Path(sys.executable).with_name("dbt")),
                                          dbt_vars=json.dumps(overrides))
    return dg.Definitions(assets=defs.assets, asset_checks=defs.asset_checks, jobs=defs.jobs,
                          resources={**defs.resources, "dbt": dbt_resource})


def run_days(instance: dg.DagsterInstance, first: str, last: str | None = None, *, asset_selection=None, run_config=None,
             definitions: dg.Definitions | None = None) -> dg.ExecuteInProcessResult:
    """Materialize the daily job for one partition, or for the range first..last as one run
    (`definitions`: another code location than the project's, e.g. from with_dbt_vars)."""
    job = (definitions or defs).resolve_job_def(measure_daily_job.name)
    if last is None or last == first:
        return job.execute_in_process(instance=instance, partition_key=first, asset_selection=asset_selection,
                                      run_config=run_config, raise_on_error=False)
    return job.execute_in_process(
        instance=instance,
        tags=partition_range_tags(first, last),
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


def dbt_process(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run dbt directly (for what is not Dagster's: full refresh reference, run-operations, docs,
    unit tests), with `env` over os.environ; the caller judges the return code."""
    return subprocess.run([str(Path(sys.executable).with_name("dbt")), *args, "--profiles-dir", ".", "--target", "local"],
                          cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})


def dbt(args: list[str]) -> str:
    """dbt_process that must succeed: its output."""
    completed = dbt_process(args)
    assert completed.returncode == 0, completed.stdout[-3000:]
    return completed.stdout

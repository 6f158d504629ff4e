"""The dbt resource: dagster-dbt's, with what dbt needs to know of the Dagster run."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field

from measure_dagster import settings
from measure_dagster.artifacts import prune_dbt_artifacts
from measure_dagster.defs.resources.dbt_overrides import DbtCliResourceWithoutStartupCosts
from measure_dagster.project import dbt_executable, environment_with  # noqa: F401 (dbt_executable: re-exported)

RUN_ID_VARIABLE = "MEASURE_DAGSTER_RUN_ID"


class ProjectDbtCliResource(DbtCliResourceWithoutStartupCosts):
    """dagster-dbt's dbt resource (without its start-up costs: dbt_overrides.py), passing dbt the
    variables of the code location's settings and of the Dagster run."""

    environment: dict[str, str] = Field(
        default_factory=dict,
        description="Variables profiles.yml reads, as the code location resolved them (MEASURE_TARGET, MEASURE_DUCKDB_PATH).",
    )

    def cli(self, args, *, context=None, run_id: str | None = None, job_window_days: int | None = None, **kwargs):
        """dagster-dbt's cli, with what dbt needs to know in its environment: the code location's
        settings, the run id (BigQuery job labels, the run-results log) and, on BigQuery, the job
        limits of the run's window (profiles.yml). `run_id` and `job_window_days` give them where
        no dbt asset's context does, as in the privacy jobs' rebuilds. dagster-dbt passes
        os.environ to the dbt subprocess it starts inside this call; the variables are restored
        afterwards. Older invocation folders in target/ are pruned first (artifacts.py: the newest
        and the current run's stay)."""
        run_environment = dbt_run_environment(context, self.target, job_window_days, run_id)
        prune_dbt_artifacts(Path(self.project_dir) / settings.dbt_target_path(),
                            current_run=run_environment.get(RUN_ID_VARIABLE))
        with environment_with({**self.environment, **run_environment}):
            return super().cli(args, context=context, **kwargs)


def window_days(context) -> int:
    """Days of a partitioned asset's run window (a single-run backfill: all of them), else 1."""
    assets_def = getattr(context, "assets_def", None) if context is not None else None
    if assets_def is None or assets_def.partitions_def is None:
        return 1
    if not (context.has_partition_key or context.has_partition_key_range):
        return 1
    return len(context.partition_keys)


def dbt_run_environment(context, target: str | None, job_window_days: int | None = None,
                        run_id: str | None = None) -> dict[str, str]:
    run_id = run_id or (context.run.run_id if context is not None else None)
    env = {RUN_ID_VARIABLE: run_id} if run_id else {}
    # A test with several parents (relationships) runs in the invocation that can build all of
    # them, not in the one building its first parent (dbt's default "eager" selection).
    env["DBT_INDIRECT_SELECTION"] = os.environ.get("DBT_INDIRECT_SELECTION", "buildable")
    # dbt unit tests check the SQL's logic on fixtures, not the data: `make test` runs them
    # (test_dbt_unit_tests.py), a materialization does not (dbt's advice for production runs).
    env["DBT_EXCLUDE_RESOURCE_TYPES"] = os.environ.get("DBT_EXCLUDE_RESOURCE_TYPES", "unit_test")
    if (target or settings.LOCAL_TARGET) != settings.LOCAL_TARGET:
        env.update(settings.bigquery_job_limit_env(job_window_days or window_days(context)))
    return env

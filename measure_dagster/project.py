"""The dbt project, as dagster-dbt sees it: built when the definitions are, once per settings."""

from __future__ import annotations

import functools
import os
import sys
import sysconfig
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster_dbt import DbtProject

from measure_dagster.defs.resources.dbt_overrides import DbtCliResourceWithoutStartupCosts
from measure_dagster.settings import DBT_PROJECT_DIR, MeasureSettings


def dbt_executable() -> str:
    """The dbt of this environment (.venv/bin/dbt), so PATH need not include the venv: next to the
    interpreter, else in the environment's scripts folder."""
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        if (folder / "dbt").exists():
            return str(folder / "dbt")
    return "dbt"


@contextmanager
def environment_with(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` for the time of a dbt subprocess (dagster-dbt passes os.environ
    to the dbt it starts), restored afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@functools.cache
def dbt_project(settings: MeasureSettings) -> DbtProject:
    """The DbtProject of the settings' target. Under `dagster dev` / `dg` the project is re-parsed
    when the code location loads (elsewhere `make manifest` prepares it), as DbtProject.prepare_if_dev
    does, but with this environment's dbt (PATH need not hold it) and the profile variables the
    dbt runs will see, so that dbt's partial parsing holds for them."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=settings.target,
                         target_path=Path(settings.dbt_target_path))
    if project.preparer.using_dagster_dev():
        dbt = DbtCliResourceWithoutStartupCosts(project_dir=project, dbt_executable=dbt_executable(),
                                                load_adapter_in_process=False)
        with environment_with(settings.dbt_environment()):
            dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project

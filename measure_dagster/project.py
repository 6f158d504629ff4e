"""The dbt project, as dagster-dbt sees it: built when the definitions are, once per settings."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager

from dagster_dbt import DbtProject

from measure_dagster.settings import DBT_PROJECT_DIR, MeasureSettings


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
    """The DbtProject of the settings' target. `dagster dev` re-parses the project when the code
    location loads (prepare_if_dev does nothing elsewhere: `make manifest` prepares it), with the
    profile variables the dbt runs will see, so that dbt's partial parsing holds for them."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=settings.target)
    with environment_with(settings.dbt_environment()):
        project.prepare_if_dev()
    return project

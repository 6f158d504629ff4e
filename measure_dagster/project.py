"""The dbt project, as dagster-dbt sees it."""

from dagster_dbt import DbtProject

from measure_dagster import settings

dbt_project = DbtProject(
    project_dir=settings.DBT_PROJECT_DIR,
    profiles_dir=settings.DBT_PROJECT_DIR,
    target=settings.target(),
)
# `dagster dev` re-parses the project on start; elsewhere `make` prepares the manifest.
dbt_project.prepare_if_dev()

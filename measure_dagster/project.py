"""The dbt project, as dagster-dbt sees it."""

from dagster_dbt import DbtProject

from measure_dagster import settings

# dbt's partial parsing holds only for the profile it parsed with, the DuckDB path included: the
# parse below and every dbt run of the code location see the same, resolved values
settings.export_for_dbt()
dbt_project = DbtProject(
    project_dir=settings.DBT_PROJECT_DIR,
    profiles_dir=settings.DBT_PROJECT_DIR,
    target=settings.target(),
)
# `dagster dev` re-parses the project on start; elsewhere `make` prepares the manifest.
dbt_project.prepare_if_dev()

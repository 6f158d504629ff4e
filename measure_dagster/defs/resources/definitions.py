"""The resources of the settings' target: the dbt CLI everywhere, the DuckDB file locally,
dagster-gcp's BigQueryResource on BigQuery, and the source checks' reader of raw/events."""

from __future__ import annotations

import functools
import os

import dagster as dg

from measure_dagster import settings as env_settings
from measure_dagster.defs.resources.dbt import ProjectDbtCliResource, dbt_executable
from measure_dagster.defs.resources.raw_event_stats import BigQueryRawEventStats, DuckDBRawEventStats
from measure_dagster.defs.resources.warehouse import DuckDBWarehouse
from measure_dagster.project import dbt_project
from measure_dagster.settings import MeasureSettings, active_settings


def _bigquery_resource(settings: MeasureSettings):
    from dagster_gcp import BigQueryResource

    # The key, base64-encoded, as dagster-gcp expects it; kept an EnvVar so the UI shows the
    # variable's name, not the key. Unset: Google's application default credentials, which
    # follow GOOGLE_APPLICATION_CREDENTIALS, pointed at dbt's key file when there is one.
    has_encoded_key, keyfile = env_settings.bigquery_credentials()
    credentials = dg.EnvVar("MEASURE_BQ_GCP_CREDENTIALS") if has_encoded_key else None
    if credentials is None and keyfile:
        os.environ.setdefault("GOOGLE_APPLICATION_CREDENTIALS", keyfile)
    return BigQueryResource(project=settings.bigquery_project, location=settings.bigquery_location,
                            gcp_credentials=credentials)


@functools.cache
def build_resources(settings: MeasureSettings) -> dict[str, object]:
    dbt = ProjectDbtCliResource(
        project_dir=dbt_project(settings),
        target=settings.target,
        dbt_executable=dbt_executable(),
        environment=settings.dbt_environment(),
        load_adapter_in_process=not settings.is_local,
    )
    if settings.is_local:
        warehouse = DuckDBWarehouse(path=str(settings.duckdb_path))
        return {"dbt": dbt, "warehouse": warehouse, "raw_event_stats": DuckDBRawEventStats(warehouse=warehouse)}
    bigquery = _bigquery_resource(settings)
    return {
        "dbt": dbt,
        "bigquery": bigquery,
        "raw_event_stats": BigQueryRawEventStats(bigquery=bigquery, table_ref=settings.raw_events_table_ref,
                                                 partitions_start=settings.partitions_start),
    }


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(active_settings()))

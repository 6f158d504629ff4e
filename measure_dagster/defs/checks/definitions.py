"""Checks beyond dbt's tests (those are asset checks through the translator): the raw events
source checks and the anomaly checks, on every target (the anomaly checks read the tables through
DuckDB locally, through dagster-gcp's BigQueryResource on BigQuery: anomaly_bigquery.py)."""

import dagster as dg

from measure_dagster.defs.checks.anomaly import TrafficProfileReader, build_anomaly_checks
from measure_dagster.defs.checks.raw_events import build_raw_event_checks
from measure_dagster.defs.resources.definitions import build_resources
from measure_dagster.settings import MeasureSettings, active_settings


def build_checks(settings: MeasureSettings) -> dg.Definitions:
    raw_checks = list(build_raw_event_checks(settings))
    if settings.is_local:
        reader = TrafficProfileReader(warehouse=build_resources(settings)["warehouse"])
    else:
        # dagster-gcp is imported on BigQuery targets only
        from measure_dagster.defs.checks.anomaly_bigquery import BigQueryTrafficProfileReader

        reader = BigQueryTrafficProfileReader(bigquery=build_resources(settings)["bigquery"])
    return dg.Definitions(asset_checks=[*raw_checks, build_anomaly_checks(settings)],
                          resources={"traffic_profile_reader": reader})


@dg.definitions
def defs() -> dg.Definitions:
    return build_checks(active_settings())

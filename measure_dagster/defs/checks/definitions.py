"""Checks beyond dbt's tests (those are asset checks through the translator): the raw events
source checks on every target; the anomaly checks on DuckDB only, until their BigQuery reader
(anomaly_bigquery.py) has run on the emulator."""

import dagster as dg

from measure_dagster.defs.checks.anomaly import TrafficProfileReader, build_anomaly_checks
from measure_dagster.defs.checks.raw_events import build_raw_event_checks
from measure_dagster.defs.resources.definitions import build_resources
from measure_dagster.settings import MeasureSettings, active_settings


def build_checks(settings: MeasureSettings) -> dg.Definitions:
    raw_checks = list(build_raw_event_checks(settings))
    if not settings.is_local:
        return dg.Definitions(asset_checks=raw_checks)
    reader = TrafficProfileReader(warehouse=build_resources(settings)["warehouse"])
    return dg.Definitions(asset_checks=[*raw_checks, build_anomaly_checks(settings)],
                          resources={"traffic_profile_reader": reader})


@dg.definitions
def defs() -> dg.Definitions:
    return build_checks(active_settings())

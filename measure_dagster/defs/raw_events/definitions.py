"""raw/events: loaded into DuckDB locally (duckdb.py), observed on BigQuery (bigquery.py)."""

import dagster as dg

from measure_dagster.defs.raw_events.bigquery import build_raw_events_bigquery
from measure_dagster.defs.raw_events.duckdb import build_raw_events_asset
from measure_dagster.settings import MeasureSettings, active_settings


def raw_events_asset(settings: MeasureSettings) -> dg.AssetsDefinition:
    return build_raw_events_asset(settings) if settings.is_local else build_raw_events_bigquery(settings)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[raw_events_asset(active_settings())])

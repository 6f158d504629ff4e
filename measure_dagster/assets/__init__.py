"""The code location's assets. Raw events depend on the target (settings.target())."""

import dagster as dg


def raw_events_asset() -> dg.AssetsDefinition:
    """Locally the `raw/events` asset that loads DuckDB; on BigQuery the collector's table,
    observed (raw_events_bigquery)."""
    from measure_dagster import settings

    if settings.is_local():
        from measure_dagster.assets.raw_events import raw_events

        return raw_events
    from measure_dagster.assets.raw_events_bigquery import raw_events_bigquery

    return raw_events_bigquery

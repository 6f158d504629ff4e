"""What people read on a materialization in the UI: row count and column schema of the table
dbt just built, a markdown preview of the latest days of daily_performance, and that day's key
figures as numbers on each daily_performance partition's materialization (the UI plots numeric
metadata per partition: the trend of every metric; the newest partition has the latest figures).

DuckDB lets no other process open the file while dbt writes it, so locally the dbt events are
collected until dbt has exited, then enriched from one read-only connection. On BigQuery
dagster-dbt's own fetch_row_counts / fetch_column_metadata do this while streaming.
"""

from datetime import date

import dagster as dg
from dagster_dbt import DbtCliInvocation
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from measure_dagster import settings
from measure_dagster.resources import DuckDBWarehouse

DAILY_PERFORMANCE = dg.AssetKey(["mart", "daily_performance"])
PREVIEW_DAYS = 7


def _relation(asset_key: dg.AssetKey) -> str:
    layer, name = asset_key.path[0], asset_key.path[-1]
    return f'"{layer}"."{name}"'


def _table_exists(con, asset_key: dg.AssetKey) -> bool:
    layer, name = asset_key.path[0], asset_key.path[-1]
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [layer, name]
    ).fetchall()[0][0])


def _table_metadata(con, asset_key: dg.AssetKey) -> dict:
    relation = _relation(asset_key)
    columns = con.execute(f"describe {relation}").fetchall()
    metadata = {
        "dagster/row_count": con.execute(f"select count(*) from {relation}").fetchall()[0][0],
        "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(name=c[0], type=c[1]) for c in columns]),
    }
    if asset_key == DAILY_PERFORMANCE:
        metadata["latest_days"] = dg.MetadataValue.md(_daily_performance_markdown(con))
    return metadata


def _daily_performance_markdown(con) -> str:
    cursor = con.execute(
        "select date, daily_active_users, daily_active_registered_users, total_sessions, total_events, pageviews, "
        f"round(avg_session_duration, 1) from mart.daily_performance order by date desc limit {PREVIEW_DAYS}"
    )
    header = [d[0] for d in cursor.description]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in cursor.fetchall()]
    return "\n".join(lines)


def _with_metadata(event, metadata: dict):
    if isinstance(event, dg.Output):
        return event.with_metadata({**event.metadata, **metadata})
    if isinstance(event, dg.MaterializeResult):
        return dg.MaterializeResult(asset_key=event.asset_key, metadata={**(event.metadata or {}), **metadata},
                                    check_results=event.check_results, data_version=event.data_version, tags=event.tags)
    return event


def _asset_key_of(context: dg.AssetExecutionContext, event) -> dg.AssetKey | None:
    if isinstance(event, dg.Output):
        return context.asset_key_for_output(event.output_name)
    if isinstance(event, dg.MaterializeResult):
        return event.asset_key
    return None


# the figures of a day of mart.daily_performance that go on its partition's materialization
DAILY_FIGURES = {
    "daily_active_users": int,
    "daily_active_registered_users": int,
    "total_sessions": int,
    "total_events": int,
    "pageviews": int,
    "avg_session_duration": float,
}


def add_daily_figures(con, context: dg.AssetExecutionContext) -> None:
    """Each partition of the run gets its own day's figures (partition-scoped metadata: one
    materialization event per partition, even when a range is built by one dbt invocation)."""
    if not context.has_partition_key_range and not context.has_partition_key:
        return
    window = context.partition_time_window
    rows = con.execute(
        f"select date, {', '.join(DAILY_FIGURES)} from mart.daily_performance where date >= ? and date < ? order by date",
        [window.start.date(), window.end.date()],
    ).fetchall()
    partition_keys = set(context.partition_keys)
    for day, *values in rows:
        key = day.isoformat() if isinstance(day, date) else str(day)
        if key not in partition_keys:
            continue
        # a day without sessions has no average: left out rather than plotted as 0
        figures = {name: round(cast(value), 1) if cast is float else cast(value)
                   for (name, cast), value in zip(DAILY_FIGURES.items(), values, strict=True) if value is not None}
        context.add_asset_metadata(figures, asset_key=DAILY_PERFORMANCE, partition_key=key)


def stream_with_table_metadata(invocation: DbtCliInvocation, context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse):
    if not settings.is_local():
        yield from invocation.stream().fetch_row_counts().fetch_column_metadata()
        return
    # the stream ends when dbt has exited and released the file; when dbt failed (an error-severity
    # test), what it did report still goes out (the failed checks first of all), then the error
    events, dbt_failure = [], None
    try:
        for event in invocation.stream():
            events.append(event)
    except DagsterDbtCliRuntimeError as error:
        dbt_failure = error
    with warehouse.connect(read_only=True) as con:
        for event in events:
            asset_key = _asset_key_of(context, event)
            if asset_key is not None and _table_exists(con, asset_key):
                event = _with_metadata(event, _table_metadata(con, asset_key))
                if asset_key == DAILY_PERFORMANCE:
                    # before the output is yielded: Dagster reads it when it makes the materializations
                    add_daily_figures(con, context)
            yield event
    if dbt_failure is not None:
        raise dbt_failure

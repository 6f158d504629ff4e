"""What people read on a materialization in the UI: row count and column schema of the table
dbt just built, a markdown preview of the latest days of daily_performance, and that day's key
figures as numbers on each daily_performance partition's materialization (the UI plots numeric
metadata per partition: the trend of every metric; the newest partition has the latest figures).

DuckDB lets no other process open the file while dbt writes it, so locally the dbt events are
collected until dbt has exited, then enriched from one read-only connection. On BigQuery
dagster-dbt's own fetch_row_counts / fetch_column_metadata do this, also once dbt has exited.

On BigQuery every materialization also carries its query job's figures, from dbt's
adapter_response in run_results.json: bigquery/bytes_processed, bigquery/bytes_billed,
bigquery/slot_ms and bigquery/job_id (DuckDB reports none of them, so none are attached there).
So there too a step's events go out when its dbt invocation has ended.
"""

from datetime import date

import dagster as dg
from dagster_dbt import DbtCliInvocation
from dagster_dbt.core.dbt_event_iterator import DbtEventIterator
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from measure_dagster.defs.resources.warehouse import DuckDBWarehouse

DAILY_PERFORMANCE = dg.AssetKey(["mart", "daily_performance"])
PREVIEW_DAYS = 7
JOB_FIGURES = ("bytes_processed", "bytes_billed", "slot_ms")


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


def job_metadata(adapter_response: dict) -> dict:
    """The query job's figures in dbt's adapter_response, as materialization metadata."""
    metadata = {f"bigquery/{name}": dg.MetadataValue.int(int(adapter_response[name]))
                for name in JOB_FIGURES if isinstance(adapter_response.get(name), (int, float))}
    if metadata and adapter_response.get("job_id"):
        metadata["bigquery/job_id"] = dg.MetadataValue.text(str(adapter_response["job_id"]))
    return metadata


def _adapter_responses(invocation: DbtCliInvocation) -> dict[str, dict]:
    """adapter_response per node, from the invocation's run_results.json ({} when dbt wrote none)."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except (FileNotFoundError, KeyError, ValueError):
        return {}
    return {result["unique_id"]: result.get("adapter_response") or {} for result in results}


def _events_with_job_metadata(invocation: DbtCliInvocation) -> tuple[list, DagsterDbtCliRuntimeError | None]:
    """invocation.stream()'s events, each materialization with its query job's figures, and dbt's
    failure if it failed.

    dbt-core reports adapter_response only in run_results.json and in NodeFinished, a debug-level
    event that its stdout does not carry: so the events are collected until dbt exits."""
    events, dbt_failure = [], None
    try:
        for message in invocation.stream_raw_events():
            unique_id = message.raw_event.get("data", {}).get("node_info", {}).get("unique_id")
            for event in message.to_default_asset_events(
                manifest=invocation.manifest, dagster_dbt_translator=invocation.dagster_dbt_translator,
                context=invocation.context, target_path=invocation.target_path, project=invocation.project,
            ):
                events.append((unique_id, event))
    except DagsterDbtCliRuntimeError as error:
        dbt_failure = error
    responses = _adapter_responses(invocation)
    with_figures = []
    for unique_id, event in events:
        metadata = job_metadata(responses.get(unique_id, {})) if unique_id else {}
        with_figures.append(_with_metadata(event, metadata) if metadata else event)
    return with_figures, dbt_failure


def _replay(events: list, dbt_failure: DagsterDbtCliRuntimeError | None):
    """The events in dbt's order (a check never ahead of its model's materialization), also when
    dbt failed, whose error follows them."""
    yield from events
    if dbt_failure is not None:
        raise dbt_failure


def _bigquery_events_with_table_metadata(invocation: DbtCliInvocation):
    """The events with their job's figures, then dagster-dbt's row counts and column schemas.

    Each fetch maps over events already at hand, one after the other: dagster-dbt's fetch_* map
    with a loop (dagster._core.utils.imap) that polls without sleeping while its input has nothing
    new, which kept a core busy for as long as dbt ran (and, nested, as long as the other fetch)."""
    events, dbt_failure = _events_with_job_metadata(invocation)
    counted = list(DbtEventIterator(iter(events), dbt_cli_invocation=invocation).fetch_row_counts())
    yield from DbtEventIterator(_replay(counted, dbt_failure), dbt_cli_invocation=invocation).fetch_column_metadata()


def _with_metadata(event, metadata: dict):
    if isinstance(event, (dg.Output, dg.AssetMaterialization)):
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


def stream_with_table_metadata(invocation: DbtCliInvocation, context: dg.AssetExecutionContext,
                               warehouse: DuckDBWarehouse | None):
    """The invocation's events with their table's metadata: read from the DuckDB `warehouse`
    after dbt has exited, or (warehouse None: BigQuery) by dagster-dbt."""
    if warehouse is None:
        yield from _bigquery_events_with_table_metadata(invocation)
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

"""Daily partitions: incremental runs equal a full refresh, whatever the order; the 02:00
schedule; late data."""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

from measure_dagster.definitions import defs
from measure_dagster.keys import PRIVACY_LOG_KEYS
from measure_dagster.raw import schema
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests import long_history, session_scenarios
from measure_dagster_tests.pipeline import (
    assert_success,
    dbt,
    query,
    run_days,
    with_dbt_vars,
)

DAYS = ["2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"]
RAW = dg.AssetKey(["raw", "events"])
TABLES = [
    "staging.events_screened", "staging.events_quarantine", "staging.events_cleaned", "staging.event_blocks", "staging.events_sessionated", "staging.user_map_days",
    "staging.user_map", "core.visitor_days", "core.session_aggregates", "core.sessions", "core.users",
    "core.clients", "core.users_incremental",
    "mart.daily_performance", "mart.daily_performance_partitioned", "mart.top_pages", "mart.traffic_by_country",
    "mart.session_duration_distribution", "mart.daily_active_users",
    # purchases, revenue and experiments (the generated purchases carry revenue; crafted rows add a purchase without)
    "staging.purchases", "staging.ab_test_exposures", "core.session_revenue", "core.experiment_visitors",
    "mart.conversions", "mart.experiments",
    "monitoring.traffic_profile",
]


def asset_keys(partitioned: bool) -> list[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    return sorted(
        (key for key in graph.materializable_asset_keys
         # monitoring's run logs and freshness differ by nature; its partitioned traffic_profile must not
         if key != RAW and (key.path[0] != "monitoring" or graph.get(key).partitions_def)
         and bool(graph.get(key).partitions_def) == partitioned),
        key=lambda k: k.to_user_string(),
    )


def monitoring_keys() -> list[dg.AssetKey]:
    """The monitoring models (not the erasure and retention logs: their own jobs materialize them)."""
    return [key for key in defs.resolve_asset_graph().materializable_asset_keys
            if key.path[0] == "monitoring" and key not in PRIVACY_LOG_KEYS]


def snapshot_table(path, table: str) -> list[tuple]:
    """A table's rows, sorted, floats rounded: what 'identical' compares."""
    rows = query(path, f"select * from {table}")
    normalized = [tuple(round(v, 6) if isinstance(v, float) else (str(v) if isinstance(v, list) else v)
                        for v in row.values()) for row in rows]
    return sorted(normalized, key=repr)


def snapshot(path) -> dict[str, list[tuple]]:
    """Every table's rows (snapshot_table)."""
    return {table: snapshot_table(path, table) for table in TABLES}


def append_raw_rows(path, rows: list[dict]) -> None:
    rows = [{**row, "timestamp": datetime.strptime(row["timestamp"], "%Y-%m-%d %H:%M:%S.%f UTC")}
            if isinstance(row["timestamp"], str) else row for row in rows]
    table = pa.Table.from_pylist(rows, schema=schema.arrow_schema())
    with duckdb.connect(str(path)) as con:
        con.register("extra_rows", table)
        con.execute("insert into raw.events select * from extra_rows")


# the default session definition, and Measure.js's (dbt vars, README parity)
SESSION_MODES = {"default": {}, "upstream": {"split_session_on_new_source": True, "require_pageview": True}}


@pytest.mark.parametrize("mode", list(SESSION_MODES))
def test_any_partition_order_equals_one_full_refresh(mode, warehouse_path, dagster_instance, monkeypatch):
    dbt_vars = SESSION_MODES[mode]
    definitions = with_dbt_vars(dbt_vars) if dbt_vars else defs
    monkeypatch.setenv("MEASURE_SAMPLE_EVENTS_PER_DAY", "400")
    assert_success(run_days(dagster_instance, DAYS[0], DAYS[-1], asset_selection=[RAW], definitions=definitions))
    # plus the hand-made visitors: a session across midnight with a gap of exactly 1800 s in it;
    # visits across midnight that split on a new source (or not: a source seen before midnight)
    append_raw_rows(warehouse_path, crafted.crafted_rows() + session_scenarios.raw_rows(session_scenarios.ACROSS_MIDNIGHT))

    # the data must hold what makes partitioning hard, or this test proves nothing
    crossing = query(warehouse_path, """
        with ordered as (
            select timestamp, visitor_key,
                   lag(timestamp) over (partition by visitor_key order by timestamp) as previous
            from (select timestamp, coalesce(nullif(client_id, ''), nullif(hash, '')) as visitor_key from raw.events) as e
        )
        select count(*) as n from ordered
        where cast(timestamp as date) <> cast(previous as date)
          and epoch_us(timestamp) - epoch_us(previous) <= 1800 * 1000000""")[0]["n"]
    multi_day = query(warehouse_path, """
        select count(*) as n from (select client_id from raw.events where client_id <> ''
                                   group by 1 having count(distinct cast(timestamp as date)) >= 3) as v""")[0]["n"]
    assert crossing > 0 and multi_day > 0, (crossing, multi_day)

    # partitions one run each, in a random order with repeats; the last day second, so that its
    # run screens a look-back day with events that events_screened (already there) lacks
    order = random.Random(20261128).choices(DAYS, k=1) + [DAYS[-1]] + random.Random(7).sample(DAYS, k=len(DAYS))
    assert order[:2] == ["2026-10-05", "2026-10-07"]
    partitioned, full_history = asset_keys(partitioned=True), asset_keys(partitioned=False)
    for index, day in enumerate(order):
        assert_success(run_days(dagster_instance, day, asset_selection=partitioned, definitions=definitions))
        if index == 1:
            # 10-06, not run yet, was screened whole by the run of 10-07 (its look-back day)
            counts = query(warehouse_path, """
                select (select count(*) from staging.events_screened where event_date = date '2026-10-06') as screened,
                       (select count(*) from raw.events where cast(timestamp as date) = date '2026-10-06') as raw_rows""")[0]
            assert counts["screened"] == counts["raw_rows"] > 0, counts
    assert_success(definitions.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=dagster_instance, asset_selection=full_history, raise_on_error=False))
    by_partition = snapshot(warehouse_path)

    # one multi-partition backfill run over everything already built
    assert_success(run_days(dagster_instance, DAYS[0], DAYS[-1], asset_selection=partitioned + full_history,
                            definitions=definitions))
    by_backfill = snapshot(warehouse_path)

    dbt(["build", "--full-refresh", "--quiet", "--vars", json.dumps(dbt_vars)])
    reference = snapshot(warehouse_path)

    assert reference["core.sessions"], "the full refresh built no sessions"
    # the hand-made visits across midnight (session_scenarios.ACROSS_MIDNIGHT), by hand
    starts = {visitor: [str(r["session_start"]) for r in query(
        warehouse_path, "select session_start from core.sessions where visitor_key = ? order by 1", [visitor])]
        for visitor in ("c-split-after-midnight", "c-pageview-after-midnight")}
    assert starts == {
        "default": {"c-split-after-midnight": ["2026-10-05 23:50:00"], "c-pageview-after-midnight": ["2026-10-06 23:50:00"]},
        "upstream": {"c-split-after-midnight": ["2026-10-05 23:50:00", "2026-10-06 00:10:00", "2026-10-06 00:25:00"],
                     "c-pageview-after-midnight": ["2026-10-06 23:50:00"]},
    }[mode]
    assert reference["staging.purchases"] and reference["mart.experiments"], "no purchases or experiments to compare"
    for table in TABLES:
        assert by_partition[table] == reference[table], f"{table}: partition order {order} differs from a full refresh"
        assert by_backfill[table] == reference[table], f"{table}: the backfill run differs from a full refresh"


def test_sessions_over_a_long_history_equal_a_full_refresh(warehouse_path, dagster_instance, monkeypatch):
    """core.sessions rewrites a visitor's sessions from its run's tail on, reading the 31 days
    before and the last login before them, and its whole history only when its first login
    changes (long_history.py): day runs in an order that takes each of those paths, one per run."""
    # generated visitors in the first run's days (each later day is run, with only the crafted ones)
    monkeypatch.setenv("MEASURE_SAMPLE_EVENTS_PER_DAY", "40")
    assert_success(run_days(dagster_instance, *long_history.FIRST_RUN, asset_selection=[RAW]))
    append_raw_rows(warehouse_path, long_history.raw_rows())
    graph = defs.resolve_asset_graph()
    sessions_key = dg.AssetKey(["core", "sessions"])
    chain = sorted(graph.get_ancestor_asset_keys(sessions_key, include_self=True) - {RAW}, key=lambda k: k.to_user_string())

    assert_success(run_days(dagster_instance, *long_history.FIRST_RUN, asset_selection=chain))
    for day in long_history.LATER_DAYS_IN_RUN_ORDER:
        assert_success(run_days(dagster_instance, day, asset_selection=chain))
    by_partition = snapshot_table(warehouse_path, "core.sessions")
    dbt(["run", "--full-refresh", "--quiet", "--select", "+sessions"])
    reference = snapshot_table(warehouse_path, "core.sessions")

    crafted_visitors = tuple(long_history.EXPECTED_USERS)
    crafted_rows = query(warehouse_path, f"""
        select visitor_key, cast(session_start as varchar) as session_start, user_id, source, is_inherited_source
        from core.sessions where visitor_key in {crafted_visitors} order by visitor_key, session_start""")
    users = {visitor: [r["user_id"] for r in crafted_rows if r["visitor_key"] == visitor] for visitor in crafted_visitors}
    inherited = {(r["visitor_key"], r["session_start"]): r["source"] for r in crafted_rows if r["is_inherited_source"]}
    assert (users, inherited) == (long_history.EXPECTED_USERS, long_history.EXPECTED_INHERITED)
    assert by_partition == reference, f"day runs in the order {long_history.LATER_DAYS_IN_RUN_ORDER} differ from a full refresh: {sorted(set(by_partition) ^ set(reference), key=repr)[:6]}"


def test_schedule_runs_yesterday_at_0200_utc():
    schedule = defs.resolve_schedule_def("measure_daily_at_0200_utc")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "UTC")
    with dg.build_schedule_context(scheduled_execution_time=datetime(2026, 10, 6, 2, 0, tzinfo=timezone.utc)) as context:
        requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2026-10-05"]
    # the job of the request: yesterday's raw events and every model downstream of them
    job = defs.resolve_job_def(schedule.job_name)
    assert requests[0].asset_selection is None
    assert set(job.asset_layer.selected_asset_keys) == {RAW, *asset_keys(True), *asset_keys(False), *monitoring_keys()}


def test_partition_range_tags_are_dagsters():
    # the project spells the two tags itself (the public API does not export them): a Dagster
    # upgrade that renames them must fail here, not silently run one partition
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from measure_dagster.partitions import partition_range_tags

    assert partition_range_tags("2026-10-01", "2026-10-31") == {
        ASSET_PARTITION_RANGE_START_TAG: "2026-10-01", ASSET_PARTITION_RANGE_END_TAG: "2026-10-31"}

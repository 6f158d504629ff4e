"""dbt tests as asset checks (warn vs error), source checks, freshness policies."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import duckdb
from dagster._core.definitions.freshness import (
    CronFreshnessPolicy,
    TimeWindowFreshnessPolicy,
)

from measure_dagster import cli
from measure_dagster.definitions import defs
from measure_dagster.defs.checks.raw_events import evaluate_volume
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests.pipeline import assert_success, query, run_days

EVENTS_SESSIONATED = dg.AssetKey(["staging", "events_sessionated"])
DAILY_PERFORMANCE = dg.AssetKey(["mart", "daily_performance"])


def materialized_keys(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {event.asset_key for event in result.get_asset_materialization_events()}


def check_evaluation(result: dg.ExecuteInProcessResult, name: str):
    matches = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    assert len(matches) == 1, [e.check_name for e in result.get_asset_check_evaluations()]
    return matches[0]


def test_warn_check_fails_without_blocking_and_error_check_blocks(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    exports = crafted.write_ndjson(tmp_path / "exports")
    # one more event of visitor F, from a device type outside the accepted set (a warn test)
    smartwatch = {**crafted.crafted_rows()[-1], "timestamp": "2026-10-06 09:05:00.000000 UTC", "event_name": "click",
                  "event_type": "event", "device": {"type": "smartwatch", "is_bot": False}}
    (exports / "events-002.json").write_text(json.dumps(smartwatch, default=str) + "\n")
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(exports))

    result = run_days(dagster_instance, crafted.DAY1, crafted.DAY2)
    assert_success(result)
    warned = check_evaluation(result, "accepted_values_events_cleaned_device_type__desktop__mobile__tablet__bot__other")
    assert (warned.passed, warned.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert {EVENTS_SESSIONATED, DAILY_PERFORMANCE} <= materialized_keys(result)
    day2 = query(warehouse_path, "select total_events, avg_session_duration from mart.daily_performance where date = ?", [date(2026, 10, 6)])[0]
    # 14 events + the smartwatch click; F1 still 09:00 -> 09:10, so the mean of the five sessions
    # started on 10-06 stays (300 + 600 + 900 + 3600 + 0) / 5
    assert day2 == {"total_events": 15, "avg_session_duration": 1080.0}

    # Two corruptions, one run of DAY2:
    # - a duplicate event_id planted in DAY1's partition of events_cleaned: the tests of a
    #   partitioned model test the run's window, so it is not DAY2's problem (DAY1's run replaces it)
    # - a second row of a visitor last seen on DAY1 in users_incremental, which a partition run
    #   does not rewrite whole: its unique test reads the whole table, fails, and blocks what reads it
    with duckdb.connect(str(warehouse_path)) as con:
        con.execute("insert into staging.events_cleaned select * from staging.events_cleaned where event_date = '2026-10-05' limit 1")
        con.execute("insert into core.users_incremental select * from core.users_incremental where last_seen < '2026-10-06' limit 1")
    result = run_days(dagster_instance, crafted.DAY2)
    assert not result.success
    assert check_evaluation(result, "unique_events_cleaned_event_id").passed
    assert query(warehouse_path, "select count(*) - count(distinct event_id) as n from staging.events_cleaned")[0]["n"] == 1
    failed = check_evaluation(result, "unique_users_incremental_visitor_key")
    assert (failed.passed, failed.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert {dg.AssetKey(["core", "users_incremental"]), EVENTS_SESSIONATED, DAILY_PERFORMANCE} <= materialized_keys(result)
    assert dg.AssetKey(["core", "users"]) not in materialized_keys(result)

    # the command line says so with its exit code
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "cli_home"))
    assert cli.main(["materialize", "--start", crafted.DAY2, "--end", crafted.DAY2]) == 1


def test_volume_check_figures():
    day = date(2026, 10, 8)
    week = {day - timedelta(days=n): 100 for n in range(1, 8)}
    assert evaluate_volume({**week, day: 50}, day, 0.5) == (True, {
        "day": "2026-10-08", "events": 50, "trailing_week_average": 100.0, "ratio": 0.5, "min_ratio": 0.5,
        "expected_min_events": 50.0})
    passed, metadata = evaluate_volume({**week, day: 49}, day, 0.5)
    assert not passed and metadata["ratio"] == 0.49
    # 3 days of 70 in the week: average 30; 14 events is below half of it
    passed, metadata = evaluate_volume({day - timedelta(days=n): 70 for n in (1, 2, 3)} | {day: 14}, day, 0.5)
    assert (passed, metadata["trailing_week_average"], metadata["expected_min_events"]) == (False, 30.0, 15.0)
    assert evaluate_volume({day: 3}, day, 0.5)[0]  # no history: nothing to compare against


def test_raw_events_freshness_both_sides_of_its_limit_and_its_override(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    """raw_events_freshness on real raw rows whose newest timestamp is set relative to now: 10
    minutes either side of the default limit (26 h), then the override MEASURE_RAW_MAX_AGE_HOURS
    moving the limit across the same rows. Each time raw/events is loaded through Dagster and
    the check runs after it, as in a daily run."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    older, newer = now - timedelta(hours=26, minutes=10), now - timedelta(hours=25, minutes=50)

    def freshness_with(rows: list[dict], folder: str, max_age_hours: str | None):
        monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / folder, rows)))
        if max_age_hours is None:
            monkeypatch.delenv("MEASURE_RAW_MAX_AGE_HOURS", raising=False)
        else:
            monkeypatch.setenv("MEASURE_RAW_MAX_AGE_HOURS", max_age_hours)
        days = sorted({row["timestamp"].date().isoformat() for row in rows})
        result = run_days(dagster_instance, days[0], days[-1], asset_selection=[dg.AssetKey(["raw", "events"])])
        assert_success(result)
        evaluation = check_evaluation(result, "raw_events_freshness")
        return evaluation.passed, {k: v.value for k, v in evaluation.metadata.items()}

    # the newest raw event 26 h 10 min old: over the default limit, a warning
    old_rows = [crafted._event(older - timedelta(hours=1), client_id="cF"), crafted._event(older, client_id="cF")]
    passed, metadata = freshness_with(old_rows, "older", None)
    assert (passed, metadata["newest_event"], metadata["max_age_hours"]) == (False, older.isoformat(sep=" "), 26.0)
    assert 26.16 <= metadata["age_hours"] < 26.5  # rounded to 0.01 h
    # the same rows with the limit raised to 27 h: fresh
    passed, metadata = freshness_with(old_rows, "older", "27")
    assert (passed, metadata["newest_event"], metadata["max_age_hours"]) == (True, older.isoformat(sep=" "), 27.0)

    # one more event, 25 h 50 min old, is now the newest: fresh under the default limit
    rows = [*old_rows, crafted._event(newer, client_id="cF")]
    passed, metadata = freshness_with(rows, "newer", None)
    assert (passed, metadata["newest_event"], metadata["max_age_hours"]) == (True, newer.isoformat(sep=" "), 26.0)
    assert 25.83 <= metadata["age_hours"] < 26
    # and stale under a limit lowered to 25.5 h
    passed, metadata = freshness_with(rows, "newer", "25.5")
    assert (passed, metadata["max_age_hours"]) == (False, 25.5)
    assert query(warehouse_path, "select count(*) as n from raw.events")[0]["n"] == 3


def test_freshness_policies_from_dbt_yaml():
    graph = defs.resolve_asset_graph()
    policies = {key.to_user_string(): graph.get(key).freshness_policy for key in graph.materializable_asset_keys}
    for mart in ("mart/daily_performance", "mart/daily_performance_partitioned"):
        assert isinstance(policies[mart], CronFreshnessPolicy)
        assert (policies[mart].deadline_cron, policies[mart].timezone) == ("0 3 * * *", "UTC")
    for key in ("core/sessions", "core/users", "core/clients", "staging/events_cleaned", "staging/events_sessionated"):
        assert isinstance(policies[key], TimeWindowFreshnessPolicy)
        assert policies[key].fail_window.to_timedelta() == timedelta(hours=26)


def whole_table_test_run(instance: dg.DagsterInstance) -> tuple[bool, dict]:
    result = defs.resolve_job_def("measure_whole_table_tests").execute_in_process(instance=instance, raise_on_error=False)
    if result.success:
        (materialization,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
        metadata = materialization.event_specific_data.metadata
    else:
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        metadata = failure.event_specific_data.user_failure_data.metadata
    return result.success, {k: v.value for k, v in metadata.items()}


def test_weekly_job_tests_whole_tables_and_the_cross_model_tests_catch_what_the_daily_run_misses(
        warehouse_path, dagster_instance, tmp_path, monkeypatch):
    schedule = defs.resolve_schedule_def("measure_whole_table_tests_weekly")
    assert (schedule.cron_schedule, schedule.execution_timezone, schedule.job_name) == (
        "0 4 * * 0", "UTC", "measure_whole_table_tests")

    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports")))
    assert_success(run_days(dagster_instance, crafted.DAY1, crafted.DAY2))
    passed, clean = whole_table_test_run(dagster_instance)
    # the quarantine test warns (the crafted row without visitor key), nothing fails
    assert passed and clean["failed"] == 0 and clean["tests"] > 40
    # the crafted row without visitor key; the crafted purchases, which carry no value
    assert clean["warned_tests"] == ["test.measure_js.events_quarantine_rows", "test.measure_js.purchases_without_revenue"]

    # DAY1 corrupted after its run: a duplicate event and a country row that no longer adds up
    with duckdb.connect(str(warehouse_path)) as con:
        con.execute("insert into staging.events_cleaned select * from staging.events_cleaned where event_date = '2026-10-05' limit 1")
        con.execute("update mart.traffic_by_country set events = events + 1 where date = '2026-10-05'")
        # and a pageview count above the events, on a session and on a day
        con.execute("update core.sessions set pageviews = events + 1 where visitor_key = 'hB'")
        con.execute("update mart.daily_performance set sessions_started = total_sessions + 1 where date = '2026-10-05'")
        con.execute("update staging.user_map set is_current_user = true where visitor_key = 'cM'")
        con.execute("delete from core.users where visitor_key = 'hB'")
        # a raw event of 10-06 that reached neither events_cleaned nor the quarantine (a copy of
        # a raw row would be a streamed duplicate, accounted for)
        con.execute("""insert into raw.events select * replace ('https://shop.example/never-cleaned' as url)
                       from raw.events where cast(timestamp as date) = '2026-10-06' limit 1""")
    passed, corrupted = whole_table_test_run(dagster_instance)
    assert not passed
    failed = {name.split(".")[2] for name in corrupted["failed_tests"]}  # test.measure_js.<name>[.<hash>]
    assert {
        "unique_events_cleaned_event_id",
        "assert_country_events_add_up_to_daily_events",
        "assert_session_counts_are_consistent",
        "assert_daily_counts_are_consistent",
        "assert_one_current_user_per_visitor",
        "relationships_sessions_visitor_key__visitor_key__ref_users_",
        "assert_raw_rows_are_accounted_for",
    } <= failed, failed

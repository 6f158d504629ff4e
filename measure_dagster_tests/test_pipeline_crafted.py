"""The whole graph through Dagster on the hand-made data set: figures worked out by hand
(crafted_events.py) in every staging, core and mart model they concern."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import dagster as dg

from measure_dagster import settings
from measure_dagster.defs.dbt.table_metadata import DAILY_FIGURES
from measure_dagster.settings import DBT_PROJECT_DIR
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests.pipeline import assert_success, dbt, query, run_days


def sessions_by_visitor_and_start(path) -> dict:
    rows = query(path, """
        select visitor_key, strftime(session_start, '%Y-%m-%d %H:%M:%S') as start, session_id,
               session_duration, events, pageviews, user_id, unique_pages, event_names, device_type, referrer
        from core.sessions""")
    return {(r["visitor_key"], r["start"]): r for r in rows}


def assert_crafted_figures(path) -> None:
    sessions = sessions_by_visitor_and_start(path)
    assert set(sessions) == set(crafted.EXPECTED_SESSIONS)
    for key, expected in crafted.EXPECTED_SESSIONS.items():
        actual = {k: sessions[key][k] for k in expected}
        assert actual == expected, key
    assert len({s["session_id"] for s in sessions.values()}) == len(sessions)

    daily = {str(r["date"]): r for r in query(path, "select * from mart.daily_performance")}
    assert set(daily) == set(crafted.EXPECTED_DAILY_PERFORMANCE)
    for day, expected in crafted.EXPECTED_DAILY_PERFORMANCE.items():
        assert {k: daily[day][k] for k in expected} == expected, day

    # the partitioned copy holds the same rows
    copy = {str(r["date"]): r for r in query(path, "select * from mart.daily_performance_partitioned")}
    assert copy == daily

    cleaned = query(path, "select count(*) as n, count(case when is_bot then 1 end) as bots from staging.events_cleaned")[0]
    assert (cleaned["n"], cleaned["bots"]) == (crafted.CLEANED_EVENTS, crafted.BOT_EVENTS)
    # the bot visitors stay in staging, flagged, and never reach core
    assert query(path, "select count(*) as n from core.users where visitor_key in ('hC', 'cD')")[0]["n"] == 0

    # the colliding pair: two events, two ids; the streamed copy of one of them is gone
    pair = query(path, """
        select url, referrer, event_id from staging.events_cleaned
        where visitor_key = 'cM' and timestamp = timestamp '2026-10-06 02:05:00' order by url""")
    assert [(r["url"], r["referrer"]) for r in pair] == [
        ("https://shop.example/search?q=a", "|"), ("https://shop.example/search?q=a|", None)]
    assert pair[0]["event_id"] != pair[1]["event_id"]
    assert query(path, "select count(*) - count(distinct event_id) as n from staging.events_cleaned")[0]["n"] == 0

    assert_visitor_figures(path)


def _seconds(column: str) -> str:
    return f"strftime({column}, '%Y-%m-%d %H:%M:%S') as {column}"


def assert_visitor_figures(path) -> None:
    """core.users, core.clients, core.users_incremental, staging.user_map, core.visitor_days,
    staging.user_map_days, core.session_aggregates, staging.ab_test_exposures, staging.event_blocks
    and the duration buckets, against crafted_events.py."""
    users = {r.pop("visitor_key"): r for r in query(path, f"""
        select visitor_key, client_id, user_id, {_seconds('first_seen')}, {_seconds('last_seen')}, days_active,
               total_events, total_sessions, avg_session_duration
        from core.users""")}
    assert users == crafted.EXPECTED_USERS

    clients = {r.pop("visitor_key"): r for r in query(path, f"""
        select visitor_key, client_id, {_seconds('first_seen')}, {_seconds('last_seen')}, days_active,
               total_events, total_sessions
        from core.clients""")}
    assert clients == crafted.EXPECTED_CLIENTS

    history = {r.pop("visitor_key"): r for r in query(path, f"""
        select visitor_key, client_id, user_id, {_seconds('first_seen')}, {_seconds('last_seen')}, days_active
        from core.users_incremental""")}
    assert history == crafted.EXPECTED_USERS_INCREMENTAL

    user_map = {(r.pop("visitor_key"), r.pop("user_id")): r for r in query(path, f"""
        select visitor_key, user_id, {_seconds('first_seen')}, {_seconds('last_seen')}, events, is_current_user
        from staging.user_map""")}
    assert user_map == crafted.EXPECTED_USER_MAP

    visitor_days = {(r["visitor_key"], str(r["event_date"])): (r["client_id"], r["first_seen"], r["last_seen"], r["events"])
                    for r in query(path, f"""select visitor_key, event_date, client_id, {_seconds('first_seen')},
                                              {_seconds('last_seen')}, events from core.visitor_days""")}
    assert visitor_days == crafted.EXPECTED_VISITOR_DAYS

    user_map_days = {(r["visitor_key"], r["user_id"], str(r["event_date"])): (r["first_seen"], r["last_seen"], r["events"])
                     for r in query(path, f"""select visitor_key, user_id, event_date, {_seconds('first_seen')},
                                               {_seconds('last_seen')}, events from staging.user_map_days""")}
    assert user_map_days == crafted.EXPECTED_USER_MAP_DAYS

    aggregates = {(r["visitor_key"], r["session_start"]): (r["session_end"], r["events"], r["pageviews"], r["session_user_id"])
                  for r in query(path, f"""select visitor_key, {_seconds('session_start')}, {_seconds('session_end')}, events,
                                           pageviews, session_user_id from core.session_aggregates""")}
    assert aggregates == crafted.EXPECTED_SESSION_AGGREGATES

    exposures = [tuple(r.values()) for r in query(path, f"""
        select cast(event_date as varchar), visitor_key, test_name, variant, is_bot, {_seconds('first_exposed_at')},
               {_seconds('last_exposed_at')}, exposure_events, test_definition
        from staging.ab_test_exposures""")]
    assert exposures == crafted.EXPECTED_AB_TEST_EXPOSURES

    blocks = {(str(r["date"]), r["hour"]): (r["event_count"], r["bot_event_count"], r["visitors"])
              for r in query(path, "select * from staging.event_blocks")}
    assert blocks == crafted.EXPECTED_EVENT_BLOCKS
    # hour_block: the hour's start
    assert {str(r["hour_block"]) for r in query(path, "select hour_block from staging.event_blocks where hour = 5")} == {
        "2026-10-06 05:00:00"}

    buckets: dict[str, dict[str, int]] = {}
    for r in query(path, "select session_date, duration_bucket, session_count from mart.session_duration_distribution"):
        buckets.setdefault(str(r["session_date"]), {})[r["duration_bucket"]] = r["session_count"]
    assert buckets == crafted.EXPECTED_DURATION_BUCKETS


def test_ndjson_exports_one_run_for_both_days(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports")))
    result = run_days(dagster_instance, crafted.DAY1, crafted.DAY2)
    assert_success(result)

    raw = query(warehouse_path, "select count(*) as n from raw.events")[0]["n"]
    assert raw == crafted.RAW_ROWS_WITH_TIMESTAMP
    rejected = query(warehouse_path, "select reason from raw.events_rejected")
    assert [r["reason"] for r in rejected] == ["missing timestamp"]
    assert_crafted_figures(warehouse_path)

    # every dbt test ran as an asset check, and passed; the quarantine's warns: the row without visitor key
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    warns = ("events_quarantine_rows", "purchases_without_revenue")
    dbt_checks = [e for name, e in evaluations.items() if not name.startswith("raw_events_") and name not in warns]
    assert len(dbt_checks) > 40 and all(e.passed for e in dbt_checks)
    quarantine = evaluations["events_quarantine_rows"]
    assert (quarantine.passed, quarantine.metadata["dagster_dbt/failed_row_count"].value) == (False, 1)
    # the crafted purchases carry no value: each one counts as a purchase without revenue (a warn)
    purchases = [r for r in crafted.crafted_rows() if r["event_name"] == "purchase" and "value" not in (r["parameters"] or "")]
    without_revenue = evaluations["purchases_without_revenue"]
    assert len(purchases) == 2
    assert (without_revenue.passed, without_revenue.severity, without_revenue.metadata["dagster_dbt/failed_row_count"].value) == (
        False, dg.AssetCheckSeverity.WARN, len(purchases))
    assert "assert_positive_session_duration" in evaluations
    # a test between the partitioned and the full-history half is a check too, on the model it is defined on
    relationships = evaluations["relationships_sessions_session_id__session_id__ref_events_sessionated_"]
    assert (relationships.asset_key, relationships.passed) == (dg.AssetKey(["core", "sessions"]), True)

    # what the UI shows on the materializations: row count, column schema, a preview, and each
    # day's figures as numbers on its own partition (the UI plots them per partition)
    materializations = {e.asset_key: e.materialization for e in result.get_asset_materialization_events()}
    daily = materializations[dg.AssetKey(["mart", "daily_performance"])].metadata
    assert daily["dagster/row_count"].value == 2
    assert "avg_session_duration" in [c.name for c in daily["dagster/column_schema"].value.columns]
    assert "| 2026-10-06 | 3 | 3 | 6 | 14 | 10 | 1080.0 |" in daily["latest_days"].value
    assert materializations[dg.AssetKey(["core", "sessions"])].metadata["dagster/row_count"].value == len(crafted.EXPECTED_SESSIONS)
    figures = {
        m.partition: {k: v for k, v in m.metadata.items() if k in DAILY_FIGURES}
        for m in (e.materialization for e in result.get_asset_materialization_events())
        if m.asset_key == dg.AssetKey(["mart", "daily_performance"])
    }
    assert set(figures) == {crafted.DAY1, crafted.DAY2}
    for day, values in figures.items():
        assert {k: v.value for k, v in values.items()} == {k: crafted.EXPECTED_DAILY_PERFORMANCE[day][k] for k in DAILY_FIGURES}, day
        assert isinstance(values["avg_session_duration"], dg.FloatMetadataValue)
        assert isinstance(values["daily_active_users"], dg.IntMetadataValue)

    # source checks: 18 raw rows on 10-06 against 11 in the week before it (11 / 7 days = 1.57 a day);
    # the newest event is weeks old, so freshness warns
    volume = evaluations["raw_events_volume"]
    assert volume.passed
    assert {k: volume.metadata[k].value for k in ("day", "events", "trailing_week_average")} == {
        "day": "2026-10-06", "events": 18, "trailing_week_average": 1.57}
    freshness = evaluations["raw_events_freshness"]
    assert (freshness.passed, freshness.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert freshness.metadata["newest_event"].value == "2026-10-06 09:10:00"

    # monitoring: the run's dbt nodes, logged by the on-run-end hook, and how far behind the data is
    logged = query(warehouse_path, "select model_name, status from monitoring.dbt_run_results_log where resource_type = 'model'")
    assert {("events_sessionated", "success"), ("daily_performance", "success"), ("sessions", "success")} <= {
        (r["model_name"], r["status"]) for r in logged}
    def freshness_rows():
        return {r["table_name"]: r for r in query(warehouse_path, "select * from monitoring.data_freshness")}

    # the raw table is read back freshness_lookback_days (7) only: the newest event, weeks old, is beyond
    rows = freshness_rows()
    today = datetime.now(timezone.utc).date()
    assert (rows["events"]["latest_record"], rows["events"]["hours_behind"]) == (None, None)
    assert rows["events"]["checked_since"] == datetime.combine(today - timedelta(days=7), datetime.min.time())
    assert str(rows["daily_performance"]["latest_record"]) == "2026-10-07 00:00:00"
    # a lookback reaching the newest event's day finds it; one day less does not
    days_back = (today - date(2026, 10, 6)).days
    dbt(["run", "--select", "data_freshness", "--vars", f"{{freshness_lookback_days: {days_back - 1}}}"])
    assert freshness_rows()["events"]["latest_record"] is None
    dbt(["run", "--select", "data_freshness", "--vars", f"{{freshness_lookback_days: {days_back}}}"])
    rows = freshness_rows()
    assert str(rows["events"]["latest_record"]) == "2026-10-06 09:10:00"
    behind = rows["events"]["hours_behind"] - rows["daily_performance"]["hours_behind"]
    assert abs(behind - (14 + 50 / 60)) < 0.01  # 09:10 to midnight

    # the troubleshooting operation and the docs
    nulls = dbt(["run-operation", "check_nulls", "--args", "{table_name: sessions}"])
    assert "user_id: 2 NULL" in nulls  # B's two sessions; A's, F's and M's carry u1 / u2 / u4, u3
    dbt(["docs", "generate"])
    target = DBT_PROJECT_DIR / settings.dbt_target_path()
    assert (target / "catalog.json").exists() and (target / "index.html").exists()


def test_parquet_export_partition_by_partition_in_reverse_order(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    """Day 2 before day 1: the session across midnight is still one session, with the same figures."""
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_parquet(tmp_path / "exports")))
    raw_only = [__import__("dagster").AssetKey(["raw", "events"])]
    assert_success(run_days(dagster_instance, crafted.DAY1, crafted.DAY2, asset_selection=raw_only))
    for day in (crafted.DAY2, crafted.DAY1):
        assert_success(run_days(dagster_instance, day))
    assert_crafted_figures(warehouse_path)


def test_direct_attribution_reaches_back_exactly_30_days(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    """A direct session 30 days after a referral inherits its source; 30 days and 1 s after, not.
    The two days are two partition runs, the later one first (sessions is rebuilt over all)."""
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports", crafted.attribution_rows())))
    for day in reversed(crafted.ATTRIBUTION_DAYS):
        assert_success(run_days(dagster_instance, day))
    sessions = {(r["visitor_key"], r["start"]): (r["source"], r["medium"], r["is_inherited_source"]) for r in query(
        warehouse_path, """
        select visitor_key, strftime(session_start, '%Y-%m-%d %H:%M:%S') as start, source, medium, is_inherited_source
        from core.sessions""")}
    assert sessions == crafted.EXPECTED_ATTRIBUTION


def test_a_session_logged_in_as_two_users_takes_the_greatest_user_id(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    """One session (5 minutes), logged in as ub, then as ua: the session's user is the greatest
    user_id, ub (not the last login); the visitor's current user is the last login, ua."""
    t = datetime.fromisoformat
    rows = [
        crafted._event(t("2026-10-05 10:00:00"), client_id="cX", hash="hX", user_id="ub", url="https://shop.example/account"),
        crafted._event(t("2026-10-05 10:05:00"), client_id="cX", hash="hX", user_id="ua", url="https://shop.example/pricing"),
    ]
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports", rows)))
    assert_success(run_days(dagster_instance, crafted.DAY1))
    sessions = query(warehouse_path, "select user_id, events from core.sessions")
    assert sessions == [{"user_id": "ub", "events": 2}]
    assert query(warehouse_path, "select session_user_id from core.session_aggregates") == [{"session_user_id": "ub"}]
    current = query(warehouse_path, "select user_id from staging.user_map where is_current_user")
    assert current == [{"user_id": "ua"}]
    assert query(warehouse_path, "select user_id from core.users") == [{"user_id": "ua"}]

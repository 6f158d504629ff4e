"""The anomaly checks (measure_dagster/anomaly_checks.py) on five hand-made weeks of traffic
(traffic_weeks.py): the planted faults warn, the ordinary weekend dip does not, through Dagster."""

from datetime import date

import dagster as dg
import pytest

from measure_dagster.defs.checks.anomaly import (
    AnomalySettings,
    judge_share_jump,
    robust_band,
)
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests import traffic_weeks as weeks
from measure_dagster_tests.pipeline import assert_success, query, run_days

ANOMALY_CHECKS = ["events_vs_same_weekday", "visitors_vs_same_weekday", "pageviews_vs_same_weekday",
                  "hours_without_events", "bot_share_jump", "quarantined_share_jump",
                  "top_page_dominates", "top_country_dominates"]


def test_robust_band_by_hand():
    # median of 10, 12, 11, 30 = 11.5; deviations 1.5, 0.5, 0.5, 18.5 -> MAD 1.0
    band = robust_band([10, 12, 11, 30], k=3, min_half_width=0)
    assert (band.median, band.mad, band.low, band.high) == (11.5, 1.0, 8.5, 14.5)
    # the floor wins over a small k·MAD
    assert robust_band([10, 12, 11, 30], k=3, min_half_width=5).high == 16.5


def test_quarantined_share_jump_by_hand():
    profiles = {date(2026, 10, d): {"quarantined_share": share}
                for d, share in [(1, 0.01), (8, 0.02), (15, 0.01), (22, 0.0), (29, 0.09)]}
    settings = AnomalySettings()
    # history 0.01, 0.02, 0.01, 0.0: median 0.01, MAD 0.005 -> high 0.01 + max(4 x 0.005, 0.05) = 0.06
    verdict = judge_share_jump(profiles, date(2026, 10, 29), "quarantined_share", settings)
    assert verdict.anomalous and verdict.metadata["expected_high"] == 0.06 and verdict.metadata["observed"] == 0.09
    profiles[date(2026, 10, 29)] = {"quarantined_share": 0.059}
    assert not judge_share_jump(profiles, date(2026, 10, 29), "quarantined_share", settings).anomalous


@pytest.mark.parametrize("name, value", [("MEASURE_ANOMALY_MAD_K", "-1"), ("MEASURE_ANOMALY_MAD_K", "many"),
                                         ("MEASURE_ANOMALY_MIN_HISTORY_WEEKS", "5")])
def test_bad_settings_are_named(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        AnomalySettings.from_env()


def evaluations(result: dg.ExecuteInProcessResult) -> dict:
    found = {e.check_name: e for e in result.get_asset_check_evaluations()
             if e.asset_key == dg.AssetKey(["monitoring", "traffic_profile"]) and e.check_name in ANOMALY_CHECKS}
    assert sorted(found) == sorted(ANOMALY_CHECKS)
    return found


def meta(evaluation, key):
    return evaluation.metadata[key].value


def test_planted_faults_warn_and_the_weekend_dip_does_not(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports", weeks.rows())))
    # the five weeks as one backfill run of the daily job: every day is judged
    result = run_days(dagster_instance, weeks.FIRST_DAY.isoformat(), weeks.LAST_DAY.isoformat())
    assert_success(result)

    profile = {row["date"]: row for row in query(warehouse_path, "select * from monitoring.traffic_profile")}
    assert len(profile) == 35
    # by hand (traffic_weeks.py): half the pages gone = 4 of 8 visitors an hour (the w%3 = 1 extra one was on a
    # removed page) and the 12 bot hits of the hours whose bot page is kept
    assert {k: profile[weeks.HALF_PAGES][k] for k in ("events", "visitors", "pageviews", "all_events", "bot_events")} == \
        {"events": 192, "visitors": 96, "pageviews": 96, "all_events": 204, "bot_events": 12}
    assert profile[weeks.OUTAGE]["hours_with_events"] == 21 and profile[weeks.OUTAGE]["visitors"] == 21 * 8 + 1
    assert profile[weeks.BOT_SURGE]["bot_share"] == pytest.approx(240 / (386 + 240))
    assert (profile[weeks.ONE_PAGE]["top_page"], profile[weeks.ONE_PAGE]["top_page_share"]) == (weeks.PAGES[0], 1.0)
    assert (profile[weeks.NO_COUNTRY]["top_country"], profile[weeks.NO_COUNTRY]["top_country_share"]) == ("(unknown)", 1.0)
    # the dip is real: Saturday has half of Friday's visitors (97 vs 193)
    assert (profile[weeks.WEEKEND]["visitors"], profile[weeks.ONE_PAGE]["visitors"]) == (97, 193)

    found = evaluations(result)
    anomalous = {name: meta(e, "anomalous_days") for name, e in found.items()}
    assert anomalous == weeks.EXPECTED_ANOMALOUS_DAYS
    for name, evaluation in found.items():
        assert evaluation.passed == (name == "quarantined_share_jump"), name
        assert evaluation.severity == dg.AssetCheckSeverity.WARN
        # weeks 3 and 4 are judged (3 resp. 4 earlier same weekdays), weeks 0-2 are not
        assert (meta(evaluation, "days_checked"), meta(evaluation, "days_judged")) == (35, 14), name

    # the expected range and the observed value, by hand: Tuesdays had 192, 193, 194, 192 visitors
    # (median 192.5, MAD 0.5; k·MAD = 2 < 0.2 x 192.5 = 38.5) and the broken Tuesday 96
    visitors = found["visitors_vs_same_weekday"]
    assert (meta(visitors, "observed"), meta(visitors, "expected_low"), meta(visitors, "expected_high"),
            meta(visitors, "median"), meta(visitors, "mad")) == (96, 154.0, 231.0, 192.5, 0.5)
    assert meta(visitors, "history") == {"2026-10-06": 192, "2026-10-13": 193, "2026-10-20": 194, "2026-10-27": 192}
    events = found["events_vs_same_weekday"]
    assert (meta(events, "observed"), meta(events, "expected_low"), meta(events, "expected_high")) == (192, 308.0, 462.0)
    # the outage: 17 events (16 human, 1 bot) in each of those hours on earlier Mondays
    hours = found["hours_without_events"]
    assert meta(hours, "silent_hours") == "09:00, 10:00, 11:00"
    assert meta(hours, "expected_events_per_hour") == {"09": 17, "10": 17, "11": 17}
    # bots: 24 of 408, 410, 412, 408 events on earlier Wednesdays; median of the middle two + 0.05
    bots = found["bot_share_jump"]
    assert meta(bots, "observed") == round(240 / 626, 6)
    assert meta(bots, "expected_high") == round((24 / 410 + 24 / 408) / 2 + 0.05, 6)
    assert meta(found["top_page_dominates"], "top_page") == weeks.PAGES[0]
    assert meta(found["top_country_dominates"], "top_country") == "(unknown)"

    # the schedule's run: one day, the outage day again, warns in the daily job on its own
    daily = run_days(dagster_instance, weeks.OUTAGE.isoformat())
    assert_success(daily)
    found = evaluations(daily)
    assert [name for name, e in found.items() if not e.passed] == ["hours_without_events"]
    assert meta(found["hours_without_events"], "silent_hours") == "09:00, 10:00, 11:00"
    assert meta(found["events_vs_same_weekday"], "observed") == 21 * 16 + 2

    # the bands are check config: a run that counts an hour as busy only from 100 events a median
    # finds no usually-busy hour silent on the outage day (17 an hour)
    quieter = run_days(dagster_instance, weeks.OUTAGE.isoformat(),
                       run_config={"ops": {"traffic_anomaly_checks": {"config": {"min_hourly_events": 100}}}})
    assert_success(quieter)
    assert evaluations(quieter)["hours_without_events"].passed

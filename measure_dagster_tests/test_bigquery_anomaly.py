"""The anomaly checks on the BigQuery target (the emulator), through Dagster.

The five hand-made weeks of traffic_weeks.py streamed into the collector's table of an emulator
of their own; the code location loaded for MEASURE_TARGET=emulator in its own process
(bigquery_dagster_run.py) runs the daily job over the 35 days as one run, as a backfill does.
The anomaly checks read monitoring.traffic_profile and staging.event_blocks back through
dagster-gcp's BigQueryResource (defs/checks/anomaly_bigquery.py) and find what they find on
DuckDB (test_anomaly_checks.py): the planted faults warn, the weekend dip does not.
"""

from __future__ import annotations

import json
import sys

import pytest

from measure_dagster.settings import REPO_ROOT
from measure_dagster_tests import traffic_weeks as weeks
from measure_dagster_tests.bigquery_emulator import load_raw_events, running_emulator, skip_reason
from measure_dagster_tests.bigquery_offline import emulator_environment, run_checked

PROFILE = "monitoring/traffic_profile"


@pytest.fixture(scope="module")
def five_weeks_on_the_emulator(tmp_path_factory) -> dict:
    if reason := skip_reason():
        pytest.skip(reason)
    with running_emulator(dataset_names=("measure_js",)) as emulator:
        load_raw_events(emulator.client(), f"{emulator.project}.measure_js.events", weeks.rows())
        env = emulator_environment(emulator, tmp_path_factory.mktemp("bigquery-anomaly-target"))
        first, last = weeks.FIRST_DAY.isoformat(), weeks.LAST_DAY.isoformat()
        completed = run_checked([sys.executable, "-m", "measure_dagster_tests.bigquery_dagster_run", last, last,
                                 f"{first}..{last}"], env, REPO_ROOT, timeout=1500)
        yield json.loads(next(line for line in completed.stdout.splitlines() if line.startswith("REPORT "))[7:])


def test_planted_faults_warn_on_bigquery_as_on_duckdb(five_weeks_on_the_emulator):
    (run,) = five_weeks_on_the_emulator["runs"]
    assert run["success"], "\n".join(run["failures"])
    # the anomaly checks of traffic_profile (its dbt tests are checks on it too)
    anomaly = {name: run["check_metadata"][f"{PROFILE}:{name}"] for name in weeks.EXPECTED_ANOMALOUS_DAYS}
    assert {name: metadata["anomalous_days"] for name, metadata in anomaly.items()} == weeks.EXPECTED_ANOMALOUS_DAYS
    for name, metadata in anomaly.items():
        assert run["checks"][f"{PROFILE}:{name}"] == (name == "quarantined_share_jump"), name
        assert run["failed_check_severities"].get(f"{PROFILE}:{name}", "WARN") == "WARN"
        # weeks 3 and 4 are judged (3 resp. 4 earlier same weekdays), weeks 0-2 are not
        assert (metadata["days_checked"], metadata["days_judged"]) == (35, 14), name

    # the figures behind them, the same by hand as on DuckDB: Tuesdays had 192, 193, 194, 192
    # visitors, the broken Tuesday 96; 17 events in each silent hour on earlier Mondays
    visitors = anomaly["visitors_vs_same_weekday"]
    assert (visitors["observed"], visitors["expected_low"], visitors["expected_high"]) == (96, 154.0, 231.0)
    assert visitors["history"] == {"2026-10-06": 192, "2026-10-13": 193, "2026-10-20": 194, "2026-10-27": 192}
    hours = anomaly["hours_without_events"]
    assert hours["silent_hours"] == "09:00, 10:00, 11:00"
    assert hours["expected_events_per_hour"] == {"09": 17, "10": 17, "11": 17}
    assert anomaly["bot_share_jump"]["observed"] == round(240 / 626, 6)
    assert anomaly["top_country_dominates"]["top_country"] == "(unknown)"

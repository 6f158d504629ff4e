"""Production defects of the BigQuery path, each shown to be fixed.

1. raw_events_volume judges complete days (the run's partitions, else yesterday), never the
   newest day of the table, which the streaming collector is still filling: on DuckDB and on the
   emulator, through Dagster, with the same rows.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone

import dagster as dg
import duckdb
import pytest

from measure_dagster.checks import raw_events_volume
from measure_dagster.raw import files
from measure_dagster_tests.bigquery_emulator import load_raw_events, running_emulator, skip_reason
from measure_dagster_tests.test_bigquery import OFFLINE, static_token_credentials

# --- 1. raw_events_volume ----------------------------------------------------------------------

LOW_DAY_OFFSET = 5  # days before today: the one quiet day of the history


def volume_history(today: date) -> dict[date, int]:
    """12 complete days of 20 events, one quiet day of 5, and 2 events of today so far."""
    counts = {today - timedelta(days=n): 20 for n in range(1, 13)}
    counts[today - timedelta(days=LOW_DAY_OFFSET)] = 5
    counts[today] = 2
    return counts


def history_rows(counts: dict[date, int]) -> list[dict]:
    return [
        {"timestamp": datetime.combine(day, time(0, 0, n)), "event_name": "pageview", "url": f"https://example.com/{day}/{n}"}
        for day, count in sorted(counts.items()) for n in range(count)
    ]


def run_volume_check(raw_asset, resources: dict, tags: dict | None = None) -> dg.AssetCheckEvaluation:
    """The check alone, as a job selecting it runs it (the daily job runs it the same way)."""
    job = dg.define_asset_job("volume_check", selection=dg.AssetSelection.checks(raw_events_volume))
    defs = dg.Definitions(assets=[raw_asset], asset_checks=[raw_events_volume], jobs=[job], resources=resources)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("volume_check").execute_in_process(instance=instance, tags=tags or {})
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def partition_tags(first: date, last: date | None = None) -> dict[str, str]:
    if last is None:
        return {"dagster/partition": first.isoformat()}
    return {"dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()}


def assert_volume_verdicts(raw_asset, resources: dict, today: date) -> None:
    yesterday, low_day = today - timedelta(days=1), today - timedelta(days=LOW_DAY_OFFSET)
    # without a partition: yesterday against the week before it (6 x 20 and the quiet 5);
    # today's 2 events (a tenth of a day) are not judged
    unpartitioned = run_volume_check(raw_asset, resources)
    assert unpartitioned.passed
    assert unpartitioned.metadata["day"].value == yesterday.isoformat()
    assert unpartitioned.metadata["events"].value == 20
    assert unpartitioned.metadata["trailing_week_average"].value == round((6 * 20 + 5) / 7, 2)
    # the run's partition: the quiet day is judged, and is low (5 against 20)
    quiet = run_volume_check(raw_asset, resources, partition_tags(low_day))
    assert not quiet.passed
    assert {k: quiet.metadata[k].value for k in ("day", "events", "trailing_week_average", "ratio")} == {
        "day": low_day.isoformat(), "events": 5, "trailing_week_average": 20.0, "ratio": 0.25}
    assert run_volume_check(raw_asset, resources, partition_tags(yesterday)).passed
    # a backfill's range: every day of it, the quiet one named
    backfill = run_volume_check(raw_asset, resources, partition_tags(today - timedelta(days=7), yesterday))
    assert not backfill.passed
    assert (backfill.metadata["days_checked"].value, backfill.metadata["low_days"].value) == (7, low_day.isoformat())


def test_volume_check_judges_complete_days_on_duckdb(warehouse_path):
    from measure_dagster.assets.raw_events import raw_events
    from measure_dagster.resources import DuckDBWarehouse, RawEventStats

    today = datetime.now(timezone.utc).date()
    rows = history_rows(volume_history(today))
    with duckdb.connect(str(warehouse_path)) as con:
        files.ensure_raw_tables(con)
        con.executemany("insert into raw.events (timestamp, event_name, url) values (?, ?, ?)",
                        [[r["timestamp"], r["event_name"], r["url"]] for r in rows])
    warehouse = DuckDBWarehouse()
    assert_volume_verdicts(raw_events, {"warehouse": warehouse, "raw_event_stats": RawEventStats(warehouse=warehouse)}, today)


@pytest.fixture(scope="module")
def emulator():
    if reason := skip_reason():
        pytest.skip(reason)
    with running_emulator(dataset_names=("measure_js",)) as emu:
        yield emu


@pytest.fixture
def emulator_client_env(emulator, monkeypatch):
    """google-cloud-bigquery (and so dagster-gcp's BigQueryResource) talks to the emulator."""
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", emulator.api_endpoint)
    for name, value in OFFLINE.items():
        monkeypatch.setenv(name, value)
    return emulator


def test_volume_check_judges_complete_days_on_bigquery(emulator_client_env):
    from dagster_gcp import BigQueryResource

    from measure_dagster.assets.raw_events_bigquery import BigQueryRawEventStats, raw_events_bigquery

    emu = emulator_client_env
    today = datetime.now(timezone.utc).date()
    table_ref = f"{emu.project}.measure_js.events_volume"
    load_raw_events(emu.client(), table_ref, history_rows(volume_history(today)))
    bigquery = BigQueryResource(project=emu.project, location="US", gcp_credentials=static_token_credentials())
    resources = {"bigquery": bigquery, "raw_event_stats": BigQueryRawEventStats(bigquery=bigquery, table_ref=table_ref)}
    assert os.environ["BIGQUERY_EMULATOR_HOST"] == emu.api_endpoint
    assert_volume_verdicts(raw_events_bigquery, resources, today)

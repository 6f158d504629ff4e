"""Hostile raw events through the whole pipeline (Dagster, one run): it completes, every row that
cannot be used is in raw.events_rejected or staging.events_quarantine with its reason, checks
report both counts, and every valid row reaches the marts, counted independently in Python
(hostile_events.expected_outcome)."""

from __future__ import annotations

import json
from collections import Counter

import dagster as dg
import pytest

from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests import hostile_events as hostile
from measure_dagster_tests.pipeline import assert_success, query, run_days


@pytest.fixture
def reference(warehouse_path, tmp_path_factory) -> hostile.ReferenceRun:
    return hostile.reference_run(warehouse_path, tmp_path_factory.mktemp("hostile"))


def test_hostile_events_complete_and_every_valid_row_reaches_the_marts(reference):
    expected = reference.outcome
    assert reference.success, "\n".join(reference.failures)
    print(f"hostile run: {reference.seconds:.1f} s for {expected.raw_rows} raw rows")

    # rows no partition can hold: rejected by the loader, each with its reason
    assert reference.rejected == expected.rejected
    assert set(expected.rejected) == {"missing timestamp", "unparseable timestamp", "timestamp before 2000-01-01",
                                      "timestamp before the first partition", "timestamp in the future"}
    # raw.events: the window's rows plus the two that never came through the loader
    assert reference.raw_rows == expected.raw_rows + len(hostile.DIRECT_ROWS)

    # unusable rows: quarantined, with reason and partition; the rest is cleaned, duplicates once
    assert reference.quarantined == expected.quarantined
    assert {reason for _, reason in expected.quarantined} == {"missing visitor key", "value too long", "malformed parameters"}
    assert reference.cleaned == (expected.cleaned, expected.cleaned_bots)
    assert expected.cleaned_bots >= hostile.BOT_EVENTS  # the bot's 100,000 events stay in staging, flagged

    # the marts count exactly the valid human events
    assert reference.daily == expected.daily
    assert sum(d["total_events"] for d in expected.daily.values()) > 100

    # the checks say so, without blocking: the quarantine (dbt test, warn) and the rejected rows (raw asset)
    quarantine_check = reference.checks["events_quarantine_rows"]
    assert quarantine_check == (False, dg.AssetCheckSeverity.WARN, sum(expected.quarantined.values()))
    rejected_check = reference.checks["raw_events_rejected"]
    assert rejected_check == (False, dg.AssetCheckSeverity.WARN, sum(expected.rejected.values()))
    errors = [name for name, (passed, severity, _) in reference.checks.items()
              if not passed and severity == dg.AssetCheckSeverity.ERROR]
    assert errors == []

    # a full refresh without a window: the same events_cleaned; the quarantine adds the raw row
    # before 2000 that no partition reads; the row of 2099 is not processed before its day
    assert reference.full_refresh_cleaned_same
    assert reference.full_refresh_quarantine == expected.quarantined + Counter({("1999-06-01", "timestamp before 2000-01-01"): 1})


def test_the_limits_are_exact():
    """The oracle's rules at their edges (the pipeline run above applies them to these rows)."""
    event = hostile._event(hostile.datetime(2026, 10, 5, 11))
    at_limit = {**event, "url": "u" * hostile.MAX_VALUE_LENGTH}
    assert hostile.quarantine_reason(at_limit) is None
    assert hostile.quarantine_reason({**event, "url": "u" * (hostile.MAX_VALUE_LENGTH + 1)}) == "value too long"
    assert hostile.quarantine_reason({**event, "parameters": "[1]"}) == "malformed parameters"
    assert hostile.quarantine_reason({**event, "parameters": ""}) is None
    assert hostile.quarantine_reason({**event, "client_id": "", "hash": None}) == "missing visitor key"


def test_the_length_limit_on_the_pipelines_own_tables(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    """max_value_length (8192) on the tables a Dagster run leaves: a value of exactly 8192
    characters is kept in staging.events_cleaned whole, one of 8193 puts its row in
    staging.events_quarantine as 'value too long', in a column, a record field and an ab_test
    field alike, and characters are counted, not bytes ('é' is two bytes in UTF-8)."""
    limit = hostile.MAX_VALUE_LENGTH
    assert limit == 8192
    site = "https://shop.example/"

    def at(minute: int, **overrides) -> dict:
        return {**crafted._event(hostile.datetime(2026, 10, 5, 11, minute), client_id=f"c-{minute}"), **overrides}

    rows = [
        at(0),                                                          # an ordinary event
        at(1, url=site + "u" * (limit - len(site))),                    # 8192: kept
        at(2, url=site + "u" * (limit + 1 - len(site))),                # 8193: quarantined
        at(3, referrer="é" * limit),                                    # 8192 characters, 16384 bytes: kept
        at(4, referrer="é" * (limit + 1)),
        at(5, ab_test=[{"name": "n", "variant": "v" * limit, "def": "d"}]),
        at(6, ab_test=[{"name": "n", "variant": "v" * (limit + 1), "def": "d"}]),
        at(7, location={**crafted._BERLIN, "city": "b" * limit}),
        at(8, location={**crafted._BERLIN, "city": "b" * (limit + 1)}),
        at(9, client_id="c" * limit),
        at(10, client_id="c" * (limit + 1)),
    ]
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports", rows)))
    staging = [dg.AssetKey(["raw", "events"]), dg.AssetKey(["staging", "events_screened"]),
               dg.AssetKey(["staging", "events_cleaned"]), dg.AssetKey(["staging", "events_quarantine"])]
    result = run_days(dagster_instance, hostile.DAY1, asset_selection=staging)
    assert_success(result)

    cleaned = query(warehouse_path, """
        select minute(timestamp) as minute, length(url) as url, length(referrer) as referrer, strlen(referrer) as referrer_bytes,
               length(ab_test[1].variant) as variant, length(city) as city, length(client_id) as client_id
        from staging.events_cleaned order by timestamp""")
    assert [r["minute"] for r in cleaned] == [0, 1, 3, 5, 7, 9]
    kept = {r["minute"]: r for r in cleaned}
    assert (kept[1]["url"], kept[3]["referrer"], kept[3]["referrer_bytes"], kept[5]["variant"], kept[7]["city"],
            kept[9]["client_id"]) == (limit, limit, 2 * limit, limit, limit, limit)
    quarantined = query(warehouse_path, """
        select minute(timestamp) as minute, reason,
               greatest(length(url), coalesce(length(referrer), 0), coalesce(length(ab_test[1].variant), 0),
                        length(location.city), length(client_id)) as longest
        from staging.events_quarantine order by timestamp""")
    assert [(r["minute"], r["reason"], r["longest"]) for r in quarantined] == [
        (minute, "value too long", limit + 1) for minute in (2, 4, 6, 8, 10)]
    # the checks of the two tables say so: the quarantine warns with its count, and every raw row is accounted for
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["events_quarantine_rows"].metadata["dagster_dbt/failed_row_count"].value == 5
    assert evaluations["assert_raw_rows_are_accounted_for"].passed


def test_invalid_utf8_in_an_export_is_one_error_naming_file_and_line(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    """Exports are machine-written UTF-8: a line that is not is a damaged file. The load fails
    with one sentence naming the file and the line, and changes nothing."""
    exports = tmp_path / "exports"
    exports.mkdir()
    good = json.dumps({"timestamp": "2026-10-05 10:00:00 UTC", "client_id": "c1", "hash": "h1"}).encode()
    (exports / "events-000.json").write_bytes(good + b"\n" + good.replace(b"c1", b"c\xff\xfe1") + b"\n")
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(exports))
    result = run_days(dagster_instance, hostile.DAY1, asset_selection=[dg.AssetKey(["raw", "events"])])
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    error = failure.event_specific_data.error
    assert error.cls_name == "Failure"
    assert "events-000.json" in error.message and "line 2 is not valid UTF-8" in error.message

"""Hostile raw events through the whole pipeline (Dagster, one run): it completes, every row that
cannot be used is in raw.events_rejected or staging.events_quarantine with its reason, checks
report both counts, and every valid row reaches the marts, counted independently in Python
(hostile_events.expected_outcome)."""

from __future__ import annotations

import json
from collections import Counter

import dagster as dg
import pytest

from measure_dagster_tests import hostile_events as hostile
from measure_dagster_tests.pipeline import run_days


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

"""The dbt unit tests (`unit_tests:` beside the models): the logic-heavy SQL on hand-written rows.

- events_cleaned::visitor_key_and_consent_stitching (staging/_staging.yml): visitor key, consent
  given mid-visit, empty ids, streamed duplicates, bot flag;
- events_screened::quarantine_reasons (staging/_quarantine.yml): every reason, their order;
- session_aggregates::session_traffic_source_rules (core/_core.yml): utm tags, click ids, search
  engines, referrals, internal referrers, landing page without tracking parameters.

dbt mocks a model's inputs with the fixtures but reads their column types from the warehouse, so
the inputs exist first, empty: raw.events as the loader creates it, the staging models by
`dbt run --empty`. Dagster's runs leave unit tests out (DBT_EXCLUDE_RESOURCE_TYPES, resources/dbt.py).
"""

from __future__ import annotations

import re

import duckdb
import pytest

from measure_dagster.raw.schema import duckdb_create_table_sql
from measure_dagster_tests.conftest import WAREHOUSE, wipe_warehouse
from measure_dagster_tests.pipeline import dbt_process

UNIT_TESTS = {
    "events_cleaned::visitor_key_and_consent_stitching",
    "events_screened::quarantine_reasons",
    "session_aggregates::session_traffic_source_rules",
}


def results(output: str) -> dict[str, str]:
    """unit test -> PASS / FAIL, from dbt's log lines."""
    return dict((name, status) for status, name in re.findall(r"\b(PASS|FAIL)(?: \d+)? (\S+::\S+) \.", output))


@pytest.fixture(scope="module")
def unit_test_inputs():
    wipe_warehouse()
    with duckdb.connect(str(WAREHOUSE)) as con:
        con.execute("create schema if not exists raw")
        con.execute(duckdb_create_table_sql())
    built = dbt_process(["run", "--empty", "--select", "events_screened", "events_cleaned", "events_sessionated"])
    assert built.returncode == 0, built.stdout[-3000:]
    yield
    wipe_warehouse()


def test_unit_tests_pass(unit_test_inputs):
    completed = dbt_process(["test", "--select", "test_type:unit"])
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert results(completed.stdout) == dict.fromkeys(UNIT_TESTS, "PASS")


def test_unit_tests_hold_in_a_windowed_build(unit_test_inputs):
    """A plain `dbt build` of a partition window (as one might run dbt by hand) runs them too:
    their rows lie outside that window, which they ignore (overrides: in_partition_window)."""
    completed = dbt_process(["build", "--select", "events_screened", "events_cleaned", "events_quarantine", "session_aggregates",
                     "--event-time-start", "2026-11-01", "--event-time-end", "2026-11-02"])
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert results(completed.stdout) == dict.fromkeys(UNIT_TESTS, "PASS")


def test_unit_tests_catch_a_changed_rule(unit_test_inputs, tmp_path):
    """The same fixtures with two rules changed by vars (tblci no longer a click id, sessions
    timing out after a minute): the two tests of those rules fail, the third still passes."""
    changed = '{click_ids: {gclid: {source: google, medium: cpc}, li_fat_id: {source: linkedin, medium: paid-social}}, session_timeout_seconds: 60}'
    # other vars, other parse: in a target folder of its own, so the suite's partial parse stays valid
    completed = dbt_process(["test", "--select", "test_type:unit", "--vars", changed], {"DBT_TARGET_PATH": str(tmp_path / "target")})
    assert completed.returncode != 0
    assert results(completed.stdout) == {
        "events_cleaned::visitor_key_and_consent_stitching": "FAIL",
        "events_screened::quarantine_reasons": "PASS",
        "session_aggregates::session_traffic_source_rules": "FAIL",
    }

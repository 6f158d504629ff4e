"""Erasure and retention on BigQuery (the emulator), through Dagster, against DuckDB runs over the
data without the people (issue: privacy operations).

The collector's table holds the crafted traffic with the people of test_privacy.py (P, Q, R) and
S, whose second event is still in the streaming buffer when S is erased. bigquery_privacy_run.py
drives the code location for the emulator target: the daily run, the erasures (one killed
halfway), a re-run, retention and the next daily run. The oracles are independent of the
erasure's rules: no STRING column of any table holds any of their identifiers, and the tables
equal those DuckDB builds from the exports without them (both engines agree: test_bigquery.py).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

import dagster as dg
import pytest

from measure_dagster.settings import REPO_ROOT
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests.bigquery_emulator import load_raw_events, running_emulator, skip_reason
from measure_dagster_tests.bigquery_offline import emulator_environment, run_checked
from measure_dagster_tests.bigquery_privacy_run import FIGURES, retention_state_of
from measure_dagster_tests.conftest import wipe_warehouse
from measure_dagster_tests.crafted_events import _event
from measure_dagster_tests.pipeline import assert_success, query, run_days
from measure_dagster_tests.sql_gate import parameter_types, privacy_catalog
from measure_dagster_tests.test_bigquery import _rows
from measure_dagster_tests.test_privacy import EVENT_TABLES, IDENTIFIERS, MARTS, erased_people

SALT = "emulator-test-salt"


def person_s() -> list[dict]:
    t = datetime.fromisoformat
    return [_event(t("2026-10-06 10:00:00"), client_id="cS", hash="hS", url="https://shop.example/"),
            _event(t("2026-10-06 23:50:00"), client_id="cS", hash="hS", url="https://shop.example/pricing")]


@pytest.fixture(scope="module")
def privacy_run(tmp_path_factory) -> dict:
    if reason := skip_reason():
        pytest.skip(reason)
    with running_emulator(dataset_names=("measure_js",)) as emulator:
        load_raw_events(emulator.client(), f"{emulator.project}.measure_js.events",
                        crafted.crafted_rows() + erased_people() + person_s())
        env = emulator_environment(emulator, tmp_path_factory.mktemp("bigquery-privacy-target"), MEASURE_ERASURE_SALT=SALT)
        completed = run_checked([sys.executable, "-m", "measure_dagster_tests.bigquery_privacy_run"], env, REPO_ROOT,
                                timeout=3000)
        yield json.loads(next(line for line in completed.stdout.splitlines() if line.startswith("REPORT "))[7:])


def duckdb_figures(path) -> dict:
    return json.loads(json.dumps({name: _rows(query(path, sql)) for name, sql in FIGURES.items()}, default=str))


@pytest.fixture(scope="module")
def duckdb_references(tmp_path_factory) -> dict:
    """DuckDB through Dagster: both days without the people; day 2 alone (what retention keeps)."""
    from measure_dagster.settings import duckdb_path

    tmp = tmp_path_factory.mktemp("privacy-references")
    references = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, rows, days in (("without_people", crafted.crafted_rows(), (crafted.DAY1, crafted.DAY2)),
                                 ("retained", [r for r in crafted.crafted_rows()
                                               if r["timestamp"] is None or r["timestamp"].date().isoformat() >= crafted.DAY2],
                                  (crafted.DAY2,))):
            wipe_warehouse()
            monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp / name, rows)))
            with dg.DagsterInstance.ephemeral() as instance:
                assert_success(run_days(instance, *days))
            path = duckdb_path()
            references[name] = {
                "figures": duckdb_figures(path),
                "retention": retention_state_of(lambda sql, path=path: _rows(query(path, sql)), "raw.events"),
            }
        wipe_warehouse()
    return json.loads(json.dumps(references, default=str))


def test_erasure_on_bigquery_leaves_no_trace_and_equals_duckdb_without_the_people(privacy_run, warehouse_path,
                                                                                   duckdb_references):
    steps = privacy_run["steps"]
    for name in ("daily", "erase_uR", "finish_pending", "erase_hQ", "erase_cS_buffered", "finish_cS", "erase_uR_again"):
        assert steps[name]["success"], (name, steps[name]["failures"])
    # they reached the collector's table, staging and core
    assert {"measure_js.events.client_id", "staging.events_cleaned.visitor_key", "staging.user_map.user_id",
            "core.sessions.user_id"} <= set(privacy_run["before"])

    # R by user_id: both devices, 4 raw rows, by DML on the collector's table
    assert steps["erase_uR"]["metadata"]["rows_removed"]["raw.events"] == 4
    # P, killed after its rows went and before the rebuild: left `rows_deleted`, finished by the next run
    assert not steps["erase_cP_killed"]["success"]
    assert [(r["identifier_kind"], r["status"]) for r in steps["erase_cP_killed"]["log"]] == [
        ("user_id", "complete"), ("client_id", "rows_deleted")]
    assert (steps["erase_cP_killed"]["log"][1]["first_day"], steps["erase_cP_killed"]["log"][1]["last_day"]) == (
        crafted.DAY1, crafted.DAY2)
    assert steps["finish_pending"]["metadata"]["erasures_completed"] == 1
    # Q by hash: its undated row too (the NULL partition)
    assert steps["erase_hQ"]["metadata"]["rows_removed"]["raw.events"] == 3

    # S: the event of 10:00 goes; the one of 23:50 is in the streaming buffer (its oldest entry
    # 23:45, less the margin): left, counted and reported, the check warns; nothing else holds S
    buffered = steps["erase_cS_buffered"]
    assert buffered["metadata"]["rows_removed"]["raw.events"] == 1
    assert (buffered["metadata"]["rows_in_streaming_buffer"], buffered["metadata"]["erasures_completed"]) == (1, 0)
    (check,) = buffered["checks"]
    assert (check["passed"], check["severity"]) == (False, "WARN")
    assert check["metadata"]["rows_referencing_erased_keys"] == {"raw.events": 1}
    assert (buffered["log"][-1]["status"], buffered["log"][-1]["rows_in_streaming_buffer"]) == ("streaming_buffer", 1)
    assert privacy_run["buffered_raw_rows"] == 1 and privacy_run["buffered_found"] == {}
    # the next day's run (its schedule) deletes it
    finished = steps["finish_cS"]
    assert finished["metadata"]["erasures_completed"] == 1 and finished["metadata"]["rows_in_streaming_buffer"] == 0
    assert finished["log"][-1]["status"] == "complete" and json.loads(finished["log"][-1]["rows_removed"])["raw.events"] == 2
    assert all(c["passed"] for name in ("erase_uR", "finish_pending", "erase_hQ", "finish_cS") for c in steps[name]["checks"])

    # no trace in any table; the figures are DuckDB's over the exports without them
    after = privacy_run["after_erasures"]
    assert after["found"] == {}
    expected = duckdb_references["without_people"]["figures"]
    for name in FIGURES:
        assert after["figures"][name] == expected[name], name

    # the log: salted hashes only
    from measure_dagster.privacy.erasure import key_hash

    log = steps["erase_uR_again"]["log"]
    assert [r["status"] for r in log] == ["complete"] * 5
    assert log[0]["identifier_hash"] == key_hash(SALT, "user_id", "uR")
    assert not any(identifier in json.dumps(log) for identifier in IDENTIFIERS + ["cS"])
    # erasing again changes nothing
    assert steps["erase_uR_again"]["metadata"]["rows_removed_total"] == 0
    assert privacy_run["after_rerun"] == after["figures"]


def test_retention_on_bigquery_equals_duckdb_over_what_is_kept(privacy_run, duckdb_references):
    steps = privacy_run["steps"]
    assert steps["retention"]["success"], steps["retention"]["failures"]
    assert steps["daily_after_retention"]["success"], steps["daily_after_retention"]["failures"]
    # day 1's raw rows of the crafted traffic (the people's are erased already)
    removed = steps["retention"]["metadata"]["rows_removed"]
    assert removed["raw.events"] == crafted.RAW_ROWS_BY_DAY[crafted.DAY1]
    expected = duckdb_references["retained"]["retention"]
    for moment in ("after_retention", "after_next_run"):
        state = privacy_run[moment]
        assert state["users_incremental"] == expected["users_incremental"], moment
        # a visitor seen since the cut keeps its state, first-seen dates from before the cut included
        assert state["first_seen"] == {"cA": "2026-10-05 23:40:00", "cM": "2026-10-05 08:00:00"}, moment
        for table in EVENT_TABLES:
            assert state[table]["before_cut"] == 0, (moment, table)
        for table in {**EVENT_TABLES, **MARTS}:
            assert state[table]["from_cut"] == expected[table]["from_cut"], (moment, table)
        if moment == "after_retention":
            # the aggregates are kept (0 months: forever), day 1 included (a partition run whose
            # look-back reaches before the cut recomputes those days from what is kept: docs/privacy.md)
            assert all(state[table]["before_cut"] for table in MARTS), moment
    assert [(r["tier"], r["cut_date"]) for r in privacy_run["retention_log"]] == [("events", crafted.DAY2), ("visitors", crafted.DAY2)]


def test_privacy_statements_on_bigquery_pass_the_googlesql_analyzer(privacy_run, googlesql_analyzer, googlesql_summaries):
    """Every statement erasure and retention sent to BigQuery, with its query parameters' types,
    through Google's analyzer, over the tables as they were at the end (and those it creates)."""
    catalog = privacy_catalog(privacy_run["schemas"])
    failed, passed = {}, 0
    for index, (sql, parameters) in enumerate(privacy_run["statements"]):
        types = parameter_types(parameters)
        try:
            passed += googlesql_analyzer.analyze_script(sql, catalog, types) and 1
        except Exception as error:  # noqa: BLE001 - the analyzer's message is the failure
            failed[f"{index:03d}"] = f"{error}\n{sql[:400]}"
    googlesql_summaries.append(f"GoogleSQL analyzer, privacy statements on BigQuery: {passed} of "
                               f"{len(privacy_run['statements'])} statements passed")
    assert failed == {}
    sql = "\n".join(sql for sql, _ in privacy_run["statements"])
    assert "delete from `measure-test`.`measure_js`.`events` where ((timestamp >= timestamp(@first_day)" in sql
    assert len(privacy_run["statements"]) > 50

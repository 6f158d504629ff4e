"""Erasure (issue: privacy operations), through Dagster on crafted data.

Three people are added to the crafted traffic and erased by the job `erase_visitor`:
  P  consents mid-visit (hash-only first, then client cP), logs in as uP, comes back on day 2
     with a new daily hash; one of P's events is quarantined (a 9000-character url)
  Q  hash-only (hQ); one of Q's rows has no timestamp (raw.events_rejected)
  R  user uR on two devices: cR1 (desktop, day 1) and cR2 (phone, day 2), anonymous events on both
The oracle is independent of the erasure's own rules: no text column of any table contains any of
their identifiers, and every table equals the one a run over the exports without them builds.
"""

from __future__ import annotations

import shutil
from datetime import datetime

import dagster as dg
import duckdb
import pytest

from measure_dagster.definitions import defs
from measure_dagster.defs.privacy import erasure as erasure_defs
from measure_dagster.keys import ERASURE_LOG_KEY
from measure_dagster.privacy import erasure
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests.conftest import wipe_warehouse
from measure_dagster_tests.crafted_events import _PHONE, _PHONE_UA, _event
from measure_dagster_tests.pipeline import assert_success, query, run_days

IDENTIFIERS = ["cP", "hP-1", "hP-2", "uP", "hQ", "uR", "cR1", "cR2", "hR1", "hR2"]
OP = "monitoring__erasure_log"
# what is not a function of the events: the run log of dbt, the time of the freshness check, when
# rejected rows were loaded, the erasure's own log
NOT_COMPARED = {"monitoring.dbt_run_results", "monitoring.dbt_run_results_log", "monitoring.data_freshness", "monitoring.erasure_log", "monitoring.erased_keys"}


def erased_people() -> list[dict]:
    t = datetime.fromisoformat
    return [
        _event(t("2026-10-05 15:00:00"), hash="hP-1", url="https://shop.example/"),
        _event(t("2026-10-05 15:02:00"), client_id="cP", hash="hP-1", url="https://shop.example/pricing"),
        _event(t("2026-10-05 15:05:00"), client_id="cP", hash="hP-1", user_id="uP", name="purchase",
               url="https://shop.example/checkout", parameters='{"value": 20, "currency": "EUR", "transaction_id": "tP"}'),
        _event(t("2026-10-05 15:06:00"), client_id="cP", hash="hP-1", url="https://shop.example/" + "x" * 9000),
        _event(t("2026-10-06 09:30:00"), client_id="cP", hash="hP-2", user_id="uP", url="https://shop.example/account"),
        _event(t("2026-10-05 16:00:00"), hash="hQ", url="https://shop.example/blog", referrer="https://www.bing.com/"),
        _event(t("2026-10-05 16:10:00"), hash="hQ", url="https://shop.example/"),
        _event(None, hash="hQ"),
        _event(t("2026-10-05 17:00:00"), client_id="cR1", hash="hR1", url="https://shop.example/"),
        _event(t("2026-10-05 17:05:00"), client_id="cR1", hash="hR1", user_id="uR", url="https://shop.example/account"),
        _event(t("2026-10-06 18:00:00"), client_id="cR2", hash="hR2", user_id="uR", device=_PHONE, ua=_PHONE_UA),
        _event(t("2026-10-06 18:10:00"), client_id="cR2", hash="hR2", device=_PHONE, ua=_PHONE_UA, url="https://shop.example/blog"),
    ]


def tables(path) -> dict[str, list[tuple]]:
    """Every table's rows (sorted), the columns that are not functions of the events left out."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [f"{s}.{t}" for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables order by 1, 2").fetchall()]
        contents = {}
        for name in names:
            if name in NOT_COMPARED:
                continue
            columns = [c for (c,) in con.execute(f"select column_name from (describe {name})").fetchall() if c != "loaded_at"]
            rows = con.execute(f"select {', '.join(chr(34) + c + chr(34) for c in columns)} from {name}").fetchall()
            contents[name] = sorted(rows, key=repr)
    return contents


def identifiers_found(path) -> dict[str, int]:
    """Rows of any table with any of the erased identifiers in any text column (JSON included)."""
    found = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for schema, table, column in con.execute(
                "select table_schema, table_name, column_name from information_schema.columns "
                "where data_type = 'VARCHAR' order by 1, 2, 3").fetchall():
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}" in (select unnest(?::VARCHAR[])) '
                f'or list_has_any(regexp_extract_all("{column}", \'"([^"]*)"\', 1), ?::VARCHAR[])',
                [IDENTIFIERS, IDENTIFIERS]).fetchall()[0][0]
            if hits:
                found[f"{schema}.{table}.{column}"] = hits
    return found


def erase(instance, **identifier) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("erase_visitor")
    return job.execute_in_process(instance=instance, run_config={"ops": {OP: {"config": identifier}}}, raise_on_error=False)


def erasure_metadata(result: dg.ExecuteInProcessResult) -> dict:
    (event,) = [e for e in result.get_asset_materialization_events()
                if e.event_specific_data.materialization.asset_key == ERASURE_LOG_KEY]
    return {k: v.value for k, v in event.event_specific_data.materialization.metadata.items()}


def test_erasure_leaves_no_trace_and_equals_a_run_without_the_people(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    # the reference: the same runs over the exports without P, Q and R
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports")))
    assert_success(run_days(dagster_instance, crafted.DAY1, crafted.DAY2))
    reference_path = tmp_path / "reference.duckdb"
    shutil.copy(warehouse_path, reference_path)
    reference = tables(reference_path)
    assert identifiers_found(reference_path) == {}

    with dg.DagsterInstance.ephemeral() as instance:
        wipe_warehouse()
        # the same files (rejected rows name them), now with P, Q and R
        exports = crafted.write_ndjson(tmp_path / "exports", crafted.crafted_rows() + erased_people())
        monkeypatch.setenv("MEASURE_EVENTS_PATH", str(exports))
        assert_success(run_days(instance, crafted.DAY1, crafted.DAY2))
        before = identifiers_found(warehouse_path)
        # P, Q and R reach raw, rejected and quarantined rows, staging, core (stitching included)
        assert {"raw.events.client_id", "raw.events_rejected.raw_record", "staging.events_quarantine.client_id",
                "staging.events_cleaned.visitor_key", "staging.user_map.user_id", "core.sessions.user_id"} <= set(before)
        p_stitched = query(warehouse_path, "select count(*) as n from staging.events_cleaned "
                           "where visitor_key = 'cP' and client_id is null")[0]["n"]
        assert p_stitched == 1  # the hash-only event before P's consent took P's key

        # R by user_id: both devices go
        result = erase(instance, user_id="uR")
        assert_success(result)
        assert erasure_metadata(result)["rows_removed"]["raw.events"] == 4
        assert not any(value in str(identifiers_found(warehouse_path)) for value in ("uR", "cR1", "cR2"))
        assert identifiers_found(warehouse_path).keys() >= {"raw.events.client_id"}  # P and Q are still there

        # P by client_id, killed after its rows went and before the rebuild: the next run finishes it
        def killed(*args, **kwargs):
            raise RuntimeError("the process died here")

        monkeypatch.setattr(erasure_defs, "_rebuild", killed)
        assert not erase(instance, client_id="cP").success
        status = query(warehouse_path, "select status, first_day, last_day from monitoring.erasure_log order by requested_at")
        assert [row["status"] for row in status] == ["complete", "rows_deleted"]
        assert (str(status[1]["first_day"]), str(status[1]["last_day"])) == (crafted.DAY1, crafted.DAY2)
        monkeypatch.undo()
        monkeypatch.setenv("MEASURE_EVENTS_PATH", str(exports))
        assert_success(erase(instance))
        assert [r["status"] for r in query(warehouse_path, "select status from monitoring.erasure_log")] == ["complete"] * 2

        # Q by hash, its rejected row included
        assert_success(erase(instance, hash="hQ"))
        assert identifiers_found(warehouse_path) == {}
        assert tables(warehouse_path) == reference

        # the log: salted hashes, never an identifier; the blocking check ran and passed in every run
        log = query(warehouse_path, "select * from monitoring.erasure_log order by requested_at")
        assert [(r["identifier_kind"], r["status"]) for r in log] == [("user_id", "complete"), ("client_id", "complete"),
                                                                      ("hash", "complete")]
        assert all(len(r["identifier_hash"]) == 64 and r["run_id"] for r in log)
        salt = erasure.erasure_salt(warehouse_path)
        assert log[0]["identifier_hash"] == erasure.key_hash(salt, "user_id", "uR")

        # erasing again changes nothing
        result = erase(instance, user_id="uR")
        assert_success(result)
        assert erasure_metadata(result)["rows_removed_total"] == 0
        assert tables(warehouse_path) == reference

        # the exports still hold P, Q and R: loading the days again does not bring them back
        assert_success(run_days(instance, crafted.DAY1, crafted.DAY2))
        assert identifiers_found(warehouse_path) == {}
        assert tables(warehouse_path) == reference
        (check,) = [e for e in erase(instance).get_asset_check_evaluations()]
        assert check.passed and check.metadata["erasures"].value == 4


def test_the_check_fails_when_an_erased_key_comes_back(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    exports = crafted.write_ndjson(tmp_path / "with", crafted.crafted_rows() + erased_people())
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(exports))
    assert_success(run_days(dagster_instance, crafted.DAY1, crafted.DAY2))
    assert_success(erase(dagster_instance, hash="hQ"))
    # a row of Q written behind the pipeline's back
    with duckdb.connect(str(warehouse_path)) as con:
        con.execute("insert into core.sessions (visitor_key, session_id) values ('hQ', 'planted')")
    result = erase(dagster_instance)
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed and check.metadata["rows_referencing_erased_keys"].value == {"core.sessions": 1}
    assert not result.success  # blocking


def test_an_erasure_names_one_identifier(warehouse_path, dagster_instance):
    result = erase(dagster_instance, client_id="cA", user_id="u1")
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "name one identifier per erasure, got client_id, user_id" in failure.event_specific_data.error.message


# --- retention ------------------------------------------------------------------------------------

# the cut of both tiers is DAY2: one month before this "today"
RETENTION = {"events_months": 1, "visitors_months": 1, "aggregates_months": 0, "today": "2026-11-06"}
EVENT_TABLES = {"raw.events": "timestamp", "staging.events_screened": "event_date", "staging.events_quarantine": "event_date", "staging.events_cleaned": "event_date",
                "staging.events_sessionated": "event_date", "staging.purchases": "event_date",
                "staging.ab_test_exposures": "event_date", "core.session_aggregates": "session_date",
                "core.sessions": "session_date", "core.session_revenue": "session_date"}
MARTS = {"mart.daily_performance": "date", "mart.top_pages": "date", "mart.traffic_by_country": "date",
         "mart.conversions": "date", "mart.session_duration_distribution": "session_date", "staging.event_blocks": "date"}


def rows_from(path, table: str, column: str, day: str, before: bool = False) -> list[tuple]:
    """The rows of `table` from `day` on (or before it)."""
    with duckdb.connect(str(path), read_only=True) as con:
        return sorted(con.execute(f"select * from {table} where cast({column} as date) {'<' if before else '>='} ?",
                                  [day]).fetchall(), key=repr)


def test_retention_drops_the_expired_days_and_the_next_run_equals_a_refresh_of_what_is_kept(
        warehouse_path, dagster_instance, tmp_path, monkeypatch):
    # the reference: a run over what retention keeps, the events of DAY2 (the same file names)
    retained = [row for row in crafted.crafted_rows() if row["timestamp"] is None or row["timestamp"].date().isoformat() >= crafted.DAY2]
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports", retained)))
    assert_success(run_days(dagster_instance, crafted.DAY2))
    reference_path = tmp_path / "reference.duckdb"
    shutil.copy(warehouse_path, reference_path)

    with dg.DagsterInstance.ephemeral() as instance:
        wipe_warehouse()
        monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports")))
        assert_success(run_days(instance, crafted.DAY1, crafted.DAY2))
        marts_day1 = {table: rows_from(warehouse_path, table, column, crafted.DAY2, before=True) for table, column in MARTS.items()}
        assert all(marts_day1.values())
        result = defs.resolve_job_def("apply_retention").execute_in_process(
            instance=instance, run_config={"ops": {"monitoring__retention_log": {"config": RETENTION}}}, raise_on_error=False)
        assert_success(result)
        (materialization,) = [e.event_specific_data.materialization for e in result.get_asset_materialization_events()
                              if e.event_specific_data.materialization.asset_key == dg.AssetKey(["monitoring", "retention_log"])]
        assert materialization.metadata["rows_removed"].value["raw.events"] == crafted.RAW_ROWS_BY_DAY[crafted.DAY1]

        for after_next_run in (False, True):  # after retention, and after the next daily run
            for table, column in EVENT_TABLES.items():
                assert query(warehouse_path, f"select count(*) as n from {table} where cast({column} as date) < ?",
                             [crafted.DAY2])[0]["n"] == 0, table
                assert rows_from(warehouse_path, table, column, crafted.DAY2) == rows_from(reference_path, table, column, crafted.DAY2), table
            for table, column in MARTS.items():
                # the aggregates are kept: DAY1 as it was, DAY2 as the refresh over the retained events
                assert rows_from(warehouse_path, table, column, crafted.DAY2) == rows_from(reference_path, table, column, crafted.DAY2), table
                if not after_next_run:
                    # (a partition run whose look-back reaches before the cut, as DAY2's does here, recomputes
                    # those days from what is kept: in production the cut is 14 months behind the daily run)
                    assert rows_from(warehouse_path, table, column, crafted.DAY2, before=True) == marts_day1[table], table
            # visitors not seen since the cut (B, C and the day-1-only hashes) are gone from the state;
            # those seen since keep it, first-seen dates from before the cut included
            state = {r["visitor_key"]: r for r in query(warehouse_path, "select * from core.users_incremental")}
            assert set(state) == {r["visitor_key"] for r in query(reference_path, "select visitor_key from core.users_incremental")}
            assert str(state["cA"]["first_seen"]) == "2026-10-05 23:40:00" and str(state["cM"]["first_seen"]) == "2026-10-05 08:00:00"
            for table in ("staging.user_map", "staging.user_map_days", "core.visitor_days", "core.users", "core.clients"):
                keys = {r["visitor_key"] for r in query(warehouse_path, f"select visitor_key from {table}")}
                assert keys <= set(state), table
            assert_success(run_days(instance, crafted.DAY2))

        log = query(warehouse_path, "select tier, cut_date from monitoring.retention_log order by tier")
        assert [(r["tier"], str(r["cut_date"])) for r in log] == [("events", crafted.DAY2), ("visitors", crafted.DAY2)]


def test_every_table_with_identifiers_has_a_retention_tier(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    from measure_dagster.privacy import retention
    from measure_dagster.project import dbt_project
    from measure_dagster.settings import MeasureSettings

    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports")))
    assert_success(run_days(dagster_instance, crafted.DAY1))
    ruled = {rule.name for rule in retention.rules(dbt_project(MeasureSettings.from_env()).manifest_path)
             if rule.tier in ("events", "visitors")}
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        personal = {f"{schema}.{table}" for schema, table in erasure.identifier_tables(con)}
    assert personal and personal <= ruled, personal - ruled


def test_cli_erase_runs_the_job_and_reports(warehouse_path, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from measure_dagster.settings import REPO_ROOT

    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    cli = str(Path(sys.executable).with_name("measure-dagster"))
    completed = subprocess.run([cli, "erase", "--hash", "h-nobody"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                               timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "measure-dagster: erased 0 rows {}; erasures completed: 1; days rebuilt: none .. none" in completed.stdout
    assert "measure-dagster: check erased_visitors_absent passed" in completed.stdout
    assert "h-nobody" not in completed.stdout
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        (run,) = instance.get_runs()
        assert run.job_name == "erase_visitor" and run.is_success
    refused = subprocess.run([cli, "erase", "--hash", "a", "--user-id", "b"], cwd=REPO_ROOT, env=env, capture_output=True,
                             text=True, timeout=120, check=False)
    assert refused.returncode == 2 and "not allowed with argument" in refused.stderr


def test_retention_cut_is_the_same_day_months_before():
    from datetime import date

    from measure_dagster.privacy.retention import cuts, months_before

    assert months_before(date(2027, 12, 4), 14) == date(2026, 10, 4)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)  # a shorter month: its last day
    assert months_before(date(2028, 3, 31), 1) == date(2028, 2, 29)
    assert months_before(date(2026, 1, 15), 1) == date(2025, 12, 15)
    assert cuts(date(2026, 11, 6), {"events": 1, "visitors": 14, "aggregates": 0}) == {
        "events": date(2026, 10, 6), "visitors": date(2025, 9, 6)}


def test_a_request_names_exactly_one_identifier():
    assert erasure.ErasureRequest.of(user_id=" u1 ") == erasure.ErasureRequest("user_id", "u1")
    assert erasure.ErasureRequest.of() is None
    with pytest.raises(erasure.ErasureRequestError, match="got client_id, hash"):
        erasure.ErasureRequest.of(client_id="c", hash="h")
    assert erasure.key_hash("salt", "user_id", "u1") != erasure.key_hash("salt", "client_id", "u1")

"""The BigQuery target, proven offline.

1. Every model (and test and analysis) compiles for the `dev` target with no network: a
   service-account key file holding a freshly generated RSA key, `dbt compile --no-introspect
   --no-populate-cache`, Google's endpoints unreachable through a dead proxy.
2. The compiled SQL is BigQuery's own (bigquery_dialect.py): a check that fails when a
   DuckDB-only construct enters the shared SQL, shown to catch `epoch_us(` and `::varchar` in
   model copies. The emulator cannot be that check: it runs on DuckDB and accepts both.
3. On the emulator (local-bigquery, scripts/bq_emulator.sh), through dbt-bigquery's own client:
   the crafted events streamed into `measure_js.events` (partitioned by DAY on timestamp), a full
   `dbt build`, then the code location loaded for MEASURE_TARGET=emulator in its own process,
   observing raw/events and running the daily job for one partition (dbt's --event-time-start/
   --event-time-end, as Dagster passes the window): the insert_overwrite MERGE replaces literal
   partitions, and the figures stay those of the full build.
4. The same crafted events through DuckDB (loaded by the Dagster raw asset, built by the same
   `dbt build`) give identical core.sessions and mart.daily_performance, session_id included.

The emulator tests skip only when the emulator is not installed (`make test` installs it).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from measure_dagster.keys import RAW_EVENTS_KEY
from measure_dagster.settings import DBT_PROJECT_DIR, REPO_ROOT
from measure_dagster_tests import bigquery_dialect, session_scenarios
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests.bigquery_emulator import (
    load_raw_events,
    running_emulator,
    skip_reason,
)
from measure_dagster_tests.bigquery_offline import (
    DBT,
    compile_offline,
    emulator_environment,
    run_checked,
)
from measure_dagster_tests.googlesql import Catalog, bigquery_schema_columns
from measure_dagster_tests.pipeline import assert_success, dbt, query, run_days
from measure_dagster_tests.sql_gate import (
    RAW_SCHEMA,
    logged_statements,
    run_logged_gate,
)

CANARIES = {
    # DuckDB-only constructs, written into model copies the way they could slip into shared SQL
    "canary_epoch_us": "select epoch_us(timestamp) as micros from {{ ref('events_cleaned') }}\n",
    "canary_varchar_cast": "select event_id::varchar as event_key from {{ ref('events_cleaned') }}\n",
}
PARTITION = crafted.DAY2
# purchases, conversions and experiments: the same rows on both engines (their figures:
# test_conversions_experiments.py; the crafted purchases have no value, the hero test one visitor)
ECOMMERCE_FIGURES = {
    "purchases": "select * from staging.purchases order by event_id",
    "session_revenue": "select * from core.session_revenue order by session_id",
    "conversions": "select * from mart.conversions order by date, source, medium, campaign",
    "experiment_visitors": "select * from core.experiment_visitors order by test_name, visitor_key",
    "experiments": "select * from mart.experiments order by test_name, variant",
}


# --- 1 and 2: offline compile, and the SQL is BigQuery's ---------------------------------------

@pytest.fixture(scope="module")
def bigquery_compile(tmp_path_factory) -> dict[str, dict]:
    """Every node compiled for the dev target (service-account, fake key), in a copy of the dbt
    project with the canary models added; manifest nodes by name."""
    work = tmp_path_factory.mktemp("bigquery-compile")
    project = work / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (project / "models" / "canaries").mkdir()
    for name, sql in CANARIES.items():
        (project / "models" / "canaries" / f"{name}.sql").write_text(sql)
    manifest = compile_offline(project, work, "dev")
    return {node["name"]: node for node in manifest["nodes"].values()}


def test_every_model_compiles_for_bigquery_offline(bigquery_compile):
    models = {name: node for name, node in bigquery_compile.items() if node["resource_type"] == "model"}
    ours = set(models) - set(CANARIES)
    expected = {path.stem for path in (DBT_PROJECT_DIR / "models").rglob("*.sql")}
    assert ours == expected
    assert all(models[name].get("compiled_code") for name in ours)
    tests = [node for node in bigquery_compile.values() if node["resource_type"] == "test"]
    assert len(tests) > 40 and all(node.get("compiled_code") for node in tests)

    # BigQuery's spelling, from the cross-engine macros, and the dev target's datasets
    cleaned = models["events_cleaned"]["compiled_code"]
    assert "unix_micros(" in cleaned and "regexp_contains(" in cleaned and "to_hex(md5(" in cleaned
    # the raw source is read by events_screened alone, events_cleaned reads that
    assert "`measure-offline`.`measure_js`.`events`" in models["events_screened"]["compiled_code"]
    assert "`measure-offline`.`analytics_dev_staging`.`events_screened`" in cleaned
    assert models["events_cleaned"]["schema"] == "analytics_dev_staging"
    # partitioning and clustering as BigQuery configs
    assert models["events_cleaned"]["config"]["partition_by"] == {"field": "event_date", "data_type": "date", "granularity": "day"}
    assert models["events_cleaned"]["config"]["cluster_by"] == ["visitor_key"]
    assert models["events_sessionated"]["config"]["cluster_by"] == ["visitor_key", "session_id"]
    # the specification's daily_performance_partitioned: day partitions on `date`
    partitioned = models["daily_performance_partitioned"]["config"]
    assert partitioned["partition_by"] == {"field": "date", "data_type": "date", "granularity": "day"}
    assert partitioned["incremental_strategy"] == "insert_overwrite"


def test_compiled_sql_is_bigquery_sql(bigquery_compile):
    """Fails when a DuckDB-only construct enters the shared SQL (models, tests, analyses)."""
    checked = {
        name: bigquery_dialect.problems(node["compiled_code"])
        for name, node in bigquery_compile.items()
        if node.get("compiled_code") and name not in CANARIES
    }
    assert len(checked) > 60
    assert {name: found for name, found in checked.items() if found} == {}


def test_duckdb_only_sql_in_a_model_is_caught(bigquery_compile):
    epoch = bigquery_dialect.problems(bigquery_compile["canary_epoch_us"]["compiled_code"])
    varchar = bigquery_dialect.problems(bigquery_compile["canary_varchar_cast"]["compiled_code"])
    assert any("epoch_us() is not a BigQuery function" in p for p in epoch), epoch
    assert any("`::` cast" in p for p in varchar), varchar


@pytest.mark.parametrize("sql, problem", [
    ("select regexp_matches(url, 'a') from t", "regexp_matches() is not a BigQuery function"),
    ("select strftime(timestamp, '%Y') from t", "strftime() is not a BigQuery function"),
    ("select cast(to_json(ab_test) as varchar) from t", "cast to varchar"),
    ("select cast(x as double) from t", "cast to double"),
    ("select date_diff('minute', a, b) + epoch_ms(a) from t", "epoch_ms() is not a BigQuery function"),
    ("select * from t where url ilike '%shop%'", "ILIKE"),
    ("select * exclude (url) from t", "* exclude"),
    ("select {'a': 1} as s", "struct/map literal"),
    ("select parameters->>'title' from t", "JSON arrow"),
])
def test_dialect_check_names_duckdb_constructs(sql, problem):
    assert any(problem in found for found in bigquery_dialect.problems(sql))


def test_dialect_check_accepts_bigquery_sql():
    sql = """
        select to_hex(md5(concat(visitor_key, '|', cast(unix_micros(ts) as string)))) as id,
               safe_cast(x as int64), safe.parse_date('%Y%m%d', d), net.host(url),
               regexp_contains(lower(ua), 'bot'), string_agg(distinct name, ', ' order by name)
        from `p`.`d`.`t`, unnest(ab_test) as test
        where date(ts) in (date '2026-10-05') qualify row_number() over (partition by id order by ts) = 1
    """
    assert bigquery_dialect.problems(sql) == []


# --- 3 and 4: the emulator ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def emulator():
    if reason := skip_reason():
        pytest.skip(reason)
    with running_emulator(dataset_names=("measure_js",)) as emu:
        # the collector's table, the crafted rows streamed in
        load_raw_events(emu.client(), f"{emu.project}.measure_js.events", crafted.crafted_rows())
        yield emu


@pytest.fixture(scope="module")
def emulator_env(emulator, tmp_path_factory) -> dict[str, str]:
    """MEASURE_TARGET=emulator, for dbt (profiles.yml) and Dagster (definitions.py) alike."""
    return emulator_environment(emulator, tmp_path_factory.mktemp("bigquery-dbt-target"))


def _value(value):
    """One engine's value in a form both share: UTC-naive timestamps, rounded floats."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, (float, Decimal)):
        return None if math.isnan(value) else round(float(value), 9)
    if isinstance(value, (list, tuple)):
        return tuple(_value(v) for v in value)
    return value


def _rows(rows) -> list[dict]:
    return [{key: _value(value) for key, value in dict(row).items()} for row in rows]


def bigquery_figures(client) -> dict[str, list[dict]]:
    def select(sql):
        return _rows(client.query_and_wait(sql))

    return {
        "sessions": select("select * from core.sessions order by session_id"),
        # the per-visitor state, merged on the visitor by a partition run
        "users": select("select * from core.users order by visitor_key"),
        "users_incremental": select("select * from core.users_incremental order by visitor_key"),
        "user_map": select("select * from staging.user_map order by visitor_key, user_id"),
        "clients": select("select * from core.clients order by visitor_key"),
        "daily_performance": select("select * from mart.daily_performance order by date"),
        "daily_performance_partitioned": select("select * from mart.daily_performance_partitioned order by date"),
        **{name: select(sql) for name, sql in ECOMMERCE_FIGURES.items()},
        "cleaned": select("select count(*) as n, countif(is_bot) as bots from staging.events_cleaned")[0],
        "bots_in_users": select("select count(*) as n from core.users where visitor_key in ('hC', 'cD')")[0]["n"],
        "event_ids": [r["event_id"] for r in select("select event_id from staging.events_cleaned order by event_id")],
    }


@pytest.fixture(scope="module")
def full_build(emulator, emulator_env) -> dict[str, list[dict]]:
    """`dbt build` of everything, no window, on the emulator; the figures it leaves."""
    # 24 models and their tests, each statement a round trip to the emulator: minutes on 2 shared cores
    run_checked([DBT, "build", "--target", "emulator", "--profiles-dir", "."], emulator_env, DBT_PROJECT_DIR, timeout=900)
    return bigquery_figures(emulator.client())


def test_full_build_on_the_emulator_gives_the_hand_computed_figures(emulator, full_build):
    sessions = {(s["visitor_key"], s["session_start"].strftime("%Y-%m-%d %H:%M:%S")): s for s in full_build["sessions"]}
    assert set(sessions) == set(crafted.EXPECTED_SESSIONS)
    for key, expected in crafted.EXPECTED_SESSIONS.items():
        assert {k: sessions[key][k] for k in expected} == expected, key
    daily = {str(row["date"]): row for row in full_build["daily_performance"]}
    assert set(daily) == set(crafted.EXPECTED_DAILY_PERFORMANCE)
    for day, expected in crafted.EXPECTED_DAILY_PERFORMANCE.items():
        assert {k: daily[day][k] for k in expected} == expected, day
    assert full_build["daily_performance_partitioned"] == full_build["daily_performance"]
    assert (full_build["cleaned"]["n"], full_build["cleaned"]["bots"]) == (crafted.CLEANED_EVENTS, crafted.BOT_EVENTS)
    assert full_build["bots_in_users"] == 0

    # the tables as BigQuery sees them: partitioned by day, clustered
    client = emulator.client()
    cleaned = client.get_table(f"{emulator.project}.staging.events_cleaned")
    assert (cleaned.time_partitioning.type_, cleaned.time_partitioning.field) == ("DAY", "event_date")
    assert cleaned.clustering_fields == ["visitor_key"]
    assert client.get_table(f"{emulator.project}.staging.events_sessionated").clustering_fields == ["visitor_key", "session_id"]
    copy = client.get_table(f"{emulator.project}.mart.daily_performance_partitioned")
    assert (copy.time_partitioning.type_, copy.time_partitioning.field) == ("DAY", "date")


def duckdb_figures(path) -> dict[str, list[dict]]:
    return {
        **{name: _rows(query(path, sql)) for name, sql in ECOMMERCE_FIGURES.items()},
        "sessions": _rows(query(path, "select * from core.sessions order by session_id")),
        "daily_performance": _rows(query(path, "select * from mart.daily_performance order by date")),
        "users": _rows(query(path, "select * from core.users order by visitor_key")),
        "user_map": _rows(query(path, "select * from staging.user_map order by visitor_key, user_id")),
        "event_ids": [r["event_id"] for r in query(path, "select event_id from staging.events_cleaned order by event_id")],
    }


def test_duckdb_and_bigquery_give_identical_figures(full_build, warehouse_path, dagster_instance, tmp_path, monkeypatch):
    """The same rows and the same command on both engines: `dbt build` without a window. On
    DuckDB the raw asset loads the crafted rows (as BigQuery exports) through Dagster. (DuckDB's
    partition runs equal its full build: test_partitions.py; BigQuery's: the next test.)"""
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports")))
    assert_success(run_days(dagster_instance, crafted.DAY1, crafted.DAY2, asset_selection=[RAW_EVENTS_KEY]))
    dbt(["build"])
    duckdb = duckdb_figures(warehouse_path)
    for table in ("sessions", "daily_performance", "users", "user_map", *ECOMMERCE_FIGURES):
        bq_rows, duck_rows = full_build[table], duckdb[table]
        assert bq_rows and [sorted(r) for r in bq_rows] == [sorted(r) for r in duck_rows], f"{table}: columns or rows differ"
        for bq_row, duck_row in zip(bq_rows, duck_rows):
            assert bq_row == duck_row, table
    # the same md5 hex event ids (the length-prefixed fingerprint) and session ids on both engines
    assert len(full_build["event_ids"]) == crafted.CLEANED_EVENTS and full_build["event_ids"] == duckdb["event_ids"]
    assert [s["session_id"] for s in full_build["sessions"]] == [s["session_id"] for s in duckdb["sessions"]]


@pytest.fixture(scope="module")
def partition_run(emulator, emulator_env, full_build) -> dict:
    """The code location as loaded for MEASURE_TARGET=emulator: observe raw/events, then the
    daily job for one day (after the full build, so every partitioned model takes its incremental
    insert_overwrite path with the window's literal partitions). Its report."""
    completed = run_checked([sys.executable, "-m", "measure_dagster_tests.bigquery_dagster_run",
                             "2026-10-04", crafted.DAY2, PARTITION], emulator_env, REPO_ROOT, timeout=700)
    return json.loads(next(line for line in completed.stdout.splitlines() if line.startswith("REPORT "))[7:])


def test_partition_run_through_dagster_on_the_emulator(emulator, emulator_env, full_build, partition_run):
    report = partition_run

    # definitions.py chose the BigQuery pieces
    assert report["target"] == "emulator"
    assert {"bigquery", "dbt", "raw_event_stats"} <= set(report["resources"])
    assert report["raw_events"] == {"observable": True, "materializable": False}
    assert not report["daily_job_selects_raw_events"]
    assert report["daily_job_raw_checks"] == ["raw_events_freshness", "raw_events_volume"]

    # observation: rows per day as each day's data version, the newest event as metadata
    assert report["observe_success"]
    rows = {day: o["metadata"]["dagster/row_count"] for day, o in report["observations"].items()}
    assert rows == {"2026-10-04": 0, **crafted.RAW_ROWS_BY_DAY}
    assert report["latest_data_versions"] == {day: str(n) for day, n in rows.items()}
    newest = datetime.fromtimestamp(report["observations"][crafted.DAY2]["metadata"]["newest_event_timestamp"], timezone.utc)
    assert newest == datetime(2026, 10, 6, 9, 10, tzinfo=timezone.utc)

    (run,) = report["runs"]
    assert run["success"], "\n".join(run["failures"])
    assert {"staging/events_cleaned", "staging/events_sessionated", "mart/daily_performance", "core/sessions"} <= set(run["materialized"])
    # each table's row count and columns, as BigQuery reports them after the run (both days: the full build's and this run's)
    tables = run["table_metadata"]
    assert tables["mart/daily_performance"]["row_count"] == 2
    assert "avg_session_duration" in tables["mart/daily_performance"]["columns"]
    assert tables["core/sessions"]["row_count"] == len(crafted.EXPECTED_SESSIONS)
    assert tables["staging/events_cleaned"]["row_count"] == crafted.CLEANED_EVENTS
    # every dbt test ran as an asset check; none that blocks failed (warn-severity tests may warn,
    # as on DuckDB: the quarantine test flags the crafted row without a visitor key)
    assert len(run["checks"]) > 40
    assert {key: severity for key, severity in run["failed_check_severities"].items() if severity != "WARN"} == {}
    # the source checks read BigQuery through BigQueryRawEventStats: as on DuckDB, the volume of
    # 10-06 passes (18 rows against 11 / 7 a day) and the weeks-old newest event fails freshness (a warning)
    assert (run["checks"]["raw/events:raw_events_volume"], run["checks"]["raw/events:raw_events_freshness"]) == (True, False)
    assert run["check_metadata"]["raw/events:raw_events_volume"] | {"ratio": None} == {
        "day": crafted.DAY2, "events": 18, "trailing_week_average": 1.57, "ratio": None, "min_ratio": 0.5,
        "expected_min_events": round(0.5 * 11 / 7, 2)}
    assert run["check_metadata"]["raw/events:raw_events_freshness"]["newest_event"] == "2026-10-06 09:10:00"

    # the root project's bq_generate_incremental_build_sql override took effect: a MERGE that
    # replaces the window's literal partitions, not the dynamic script that scans for them
    target = Path(emulator_env["DBT_TARGET_PATH"])
    run_sql = {path.stem: re.sub(r"\s+", " ", path.read_text())
               for path in target.glob("dbt_partitioned_models-*/run/measure_js/models/*/*.sql")}
    assert "when not matched by source and date(dbt_internal_dest.event_date) in ( date '2026-10-06' ) then delete" in run_sql["events_cleaned"]
    assert "in ( date '2026-10-04', date '2026-10-05', date '2026-10-06' )" in run_sql["daily_performance"]
    assert not [name for name, sql in run_sql.items() if "dbt_partitions_for_replacement" in sql]

    # and the figures are exactly those of the full build: the session across midnight keeps its id
    after = bigquery_figures(emulator.client())
    assert after["sessions"] == full_build["sessions"]
    for state in ("users", "users_incremental", "user_map", "clients"):
        assert after[state] == full_build[state] and after[state], state
    assert after["daily_performance"] == full_build["daily_performance"]
    assert after["daily_performance_partitioned"] == full_build["daily_performance_partitioned"]
    for name in ECOMMERCE_FIGURES:
        assert after[name] == full_build[name], name


def test_statements_of_the_emulator_runs_pass_the_googlesql_analyzer(emulator, emulator_env, partition_run,
                                                                    googlesql_analyzer, googlesql_summaries):
    """What dbt-bigquery itself generates, as it ran: the full build's CREATE TABLE ... AS, and the
    partition run's __dbt_tmp table, insert_overwrite MERGE and DROP, the tests' queries and the
    run-results hooks (CREATE TABLE IF NOT EXISTS, INSERT), through Google's analyzer in the order
    they ran, starting from the collector's raw schema."""
    statements = logged_statements(Path(emulator_env["DBT_TARGET_PATH"]))
    catalog = Catalog()
    catalog.add_table([emulator.project, "measure_js", "events"], bigquery_schema_columns(json.loads(RAW_SCHEMA.read_text())))
    result = run_logged_gate(googlesql_analyzer, statements, catalog)
    googlesql_summaries.append(f"GoogleSQL analyzer, statements of the emulator runs: {len(result.passed)} of {result.total} statements passed")
    assert result.failed == {}
    sql = "\n".join(statement for _, statement in statements)
    # the run-time statements the compiled manifest cannot show were among them
    assert re.search(r"merge into `[^`]+`\.`staging`\.`events_cleaned`", sql)
    assert re.search(r"create or replace table `[^`]+`\.`staging`\.`events_cleaned__dbt_tmp", sql)
    assert "insert into `" in sql and "dbt_run_results_log" in sql
    # events_screened's query for the look-back days it holds, and the screening of the one it
    # lacks (10-04: no raw rows, never screened)
    assert re.search(r"select distinct cast\(event_date as string\) from\s+`[^`]+`\.`staging`\.`events_screened`", sql)
    assert "timestamp >= timestamp '2026-10-04 00:00:00' and timestamp < timestamp '2026-10-05 00:00:00'" in sql
    assert result.total > 200


# --- Measure.js's session definition on the emulator (last: it rebuilds every table) -----------

UPSTREAM_SESSIONS = {"split_session_on_new_source": True, "require_pageview": True}


def emulator_scenario_sessions(client) -> dict:
    """core.sessions of the session scenarios on the emulator, as the parity test reads DuckDB's:
    (visitor_key, start) -> the compared figures."""
    out = {}
    for row in _rows(client.query_and_wait("select * from core.sessions")):
        figures = {name: row[name] for name in session_scenarios.COMPARED}
        figures["session_end"] = row["session_end"].strftime("%Y-%m-%d %H:%M:%S")
        figures["landing_page"] = row["landing_page"].replace(session_scenarios.SITE, "", 1)
        out[(row["visitor_key"], row["session_start"].strftime("%Y-%m-%d %H:%M:%S"))] = figures
    return out


def assert_scenarios_match_the_reference(client, upstream_mode: bool) -> None:
    ours = session_scenarios.by_scenario(emulator_scenario_sessions(client))
    for sc in session_scenarios.SCENARIOS:
        assert ours[sc.name] == session_scenarios.expected_sessions(sc, upstream_mode), f"{sc.name}: {sc.why}"


def test_upstream_session_mode_partitions_equal_its_full_build_on_the_emulator(emulator, emulator_env, partition_run):
    """The parity scenarios (test_upstream_parity.py) on the emulator, compared with the
    independent reference of upstream's rules: in upstream mode (split on a new source, no
    session without a pageview; first-pageview attribution, campaign-only tags, tblci and
    li_fat_id among them), then in the default mode. In upstream mode, a full build, then the
    partitions one by one in reverse order, give the same sessions and daily figures; the visits
    across midnight of session_scenarios.ACROSS_MIDNIGHT split as computed by hand
    (test_partitions.py). Then the default mode, by partition runs over upstream mode's tables."""
    from datetime import timedelta

    client = emulator.client()
    extra = [{**row, "timestamp": row["timestamp"].replace(" UTC", "").replace(" ", "T") + "Z"}
             for row in session_scenarios.raw_rows([*session_scenarios.SCENARIOS, *session_scenarios.ACROSS_MIDNIGHT])]
    assert client.insert_rows_json(f"{emulator.project}.measure_js.events", extra) == []
    dbt_vars = ["--vars", json.dumps(UPSTREAM_SESSIONS)]
    common = ["--target", "emulator", "--profiles-dir", "."]
    run_checked([DBT, "build", *common, "--full-refresh", *dbt_vars], emulator_env, DBT_PROJECT_DIR, timeout=900)
    full = bigquery_figures(client)
    assert_scenarios_match_the_reference(client, upstream_mode=True)

    starts = {}
    for row in full["sessions"]:
        starts.setdefault(row["visitor_key"], []).append(row["session_start"].strftime("%Y-%m-%d %H:%M:%S"))
    assert sorted(starts["c-split-after-midnight"]) == ["2026-10-05 23:50:00", "2026-10-06 00:10:00", "2026-10-06 00:25:00"]
    assert starts["c-pageview-after-midnight"] == ["2026-10-06 23:50:00"]

    for day in ("2026-10-07", crafted.DAY2, crafted.DAY1):
        end = (datetime.fromisoformat(day) + timedelta(days=1)).strftime("%Y-%m-%d")
        run_checked([DBT, "build", *common, "--select", "tag:partitioned", "--event-time-start", day, "--event-time-end", end,
                     *dbt_vars], emulator_env, DBT_PROJECT_DIR, timeout=900)
    run_checked([DBT, "build", *common, "--exclude", "tag:partitioned", *dbt_vars], emulator_env, DBT_PROJECT_DIR, timeout=900)
    after = bigquery_figures(client)
    assert after["sessions"] == full["sessions"]
    assert after["daily_performance"] == full["daily_performance"]

    # the default session definition over the same events, the reference with both rules off,
    # reached by partition runs over the upstream mode's tables: the sessions it split become one
    # again, so the per-visitor state must drop the rows of sessions no run produces any more (a
    # key-matching merge keeps them; the state's MERGE deletes them, as delete+insert on DuckDB)
    # (one partition run over every day of the scenarios, as a backfill of the range runs)
    run_checked([DBT, "run", *common, "--select", "events_sessionated+", "--event-time-start", "2026-10-01",
                 "--event-time-end", "2026-11-01"], emulator_env, DBT_PROJECT_DIR, timeout=900)
    assert_scenarios_match_the_reference(client, upstream_mode=False)

"""Production defects of the BigQuery path, each shown to be fixed.

1. raw_events_volume judges complete days (the run's partitions, else yesterday), never the
   newest day of the table, which the streaming collector is still filling: on DuckDB and on the
   emulator, through Dagster, with the same rows.
2./5. Every dbt query job carries maximum_bytes_billed and a timeout; a multi-day window (a
   single-run backfill) gets the per-day values times its days, capped by the backfill settings:
   figures from settings, and the limits of the jobs the emulator received.
3. MEASURE_BQ_LOCATION is required on dev and prod (Dagster and dbt say so); the emulator keeps US.
4. Only prod (and the two targets that cannot reach production: local, emulator) writes
   unprefixed datasets; any other target, e.g. a new `ci`, gets its dataset as prefix.
6. The jobs are labelled with their dbt model and Dagster run; monitoring.dbt_run_results keeps
   the run id and the job's bytes and slot figures (NULL on DuckDB), the materializations carry
   them as bigquery/* metadata.
7. On BigQuery an hourly schedule observes the last days of raw/events; late rows change a day's
   data version, and automation requests the built partitions that read that day.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from measure_dagster import settings
from measure_dagster.defs.checks.raw_events import build_raw_event_checks
from measure_dagster.defs.dbt.assets import PARTITIONED_SELECTION
from measure_dagster.defs.privacy.rebuild import rebuild_days
from measure_dagster.defs.resources.dbt import RUN_ID_VARIABLE, ProjectDbtCliResource
from measure_dagster.defs.resources.dbt_overrides import DbtCliResourceWithoutStartupCosts
from measure_dagster.raw import files
from measure_dagster.settings import DBT_PROJECT_DIR, REPO_ROOT
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests.bigquery_emulator import (
    load_raw_events,
    running_emulator,
    skip_reason,
)
from measure_dagster_tests.bigquery_offline import (
    DBT,
    OFFLINE,
    emulator_environment,
    static_token_credentials,
)
from measure_dagster_tests.bigquery_offline import offline_environment as _environment
from measure_dagster_tests.bigquery_offline import run_checked as _run
from measure_dagster_tests.pipeline import assert_success, query, run_days

_, raw_events_volume = build_raw_event_checks(settings.MeasureSettings())

GIB = 2**30

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
    assert quiet.metadata["expected_min_events"].value == 10.0
    assert quiet.description == f"5 events on {low_day.isoformat()}, expected at least 10 (0.5 x the trailing-week average of 20)"
    assert {k: quiet.metadata[k].value for k in ("day", "events", "trailing_week_average", "ratio")} == {
        "day": low_day.isoformat(), "events": 5, "trailing_week_average": 20.0, "ratio": 0.25}
    assert run_volume_check(raw_asset, resources, partition_tags(yesterday)).passed
    # a backfill's range: every day of it, the quiet one named
    backfill = run_volume_check(raw_asset, resources, partition_tags(today - timedelta(days=7), yesterday))
    assert not backfill.passed
    assert (backfill.metadata["days_checked"].value, backfill.metadata["low_days"].value) == (7, low_day.isoformat())


def test_volume_check_judges_complete_days_on_duckdb(warehouse_path):
    from measure_dagster.defs.raw_events.duckdb import build_raw_events_asset
    from measure_dagster.defs.resources.raw_event_stats import DuckDBRawEventStats as RawEventStats
    from measure_dagster.defs.resources.warehouse import DuckDBWarehouse

    raw_events = build_raw_events_asset(settings.MeasureSettings.from_env())

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

    from measure_dagster.defs.raw_events.bigquery import build_raw_events_bigquery
    from measure_dagster.defs.resources.raw_event_stats import BigQueryRawEventStats

    raw_events_bigquery = build_raw_events_bigquery(settings.MeasureSettings())

    emu = emulator_client_env
    today = datetime.now(timezone.utc).date()
    table_ref = f"{emu.project}.measure_js.events_volume"
    load_raw_events(emu.client(), table_ref, history_rows(volume_history(today)))
    bigquery = BigQueryResource(project=emu.project, location="US", gcp_credentials=static_token_credentials())
    resources = {"bigquery": bigquery, "raw_event_stats": BigQueryRawEventStats(bigquery=bigquery, table_ref=table_ref)}
    assert os.environ["BIGQUERY_EMULATOR_HOST"] == emu.api_endpoint
    assert_volume_verdicts(raw_events_bigquery, resources, today)


# --- 2 and 5: job limits that follow the window ---------------------------------------------------

def test_job_limits_scale_with_the_window_up_to_the_backfill_caps(monkeypatch):
    for name in ("MEASURE_BQ_MAXIMUM_BYTES_BILLED", "MEASURE_BQ_TIMEOUT_SECONDS",
                 "MEASURE_BQ_BACKFILL_MAXIMUM_BYTES_BILLED", "MEASURE_BQ_BACKFILL_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    limits = settings.bigquery_job_limits
    assert limits(1) == {"maximum_bytes_billed": 100 * GIB, "job_execution_timeout_seconds": 300}
    assert limits(3) == {"maximum_bytes_billed": 300 * GIB, "job_execution_timeout_seconds": 900}
    # a month: 3000 GiB capped at 1 TiB, 9000 s is below the 6 h cap
    assert limits(30) == {"maximum_bytes_billed": 1024 * GIB, "job_execution_timeout_seconds": 9000}
    assert limits(365)["job_execution_timeout_seconds"] == 6 * 3600
    monkeypatch.setenv("MEASURE_BQ_BACKFILL_MAXIMUM_BYTES_BILLED", str(10 * 2**40))
    monkeypatch.setenv("MEASURE_BQ_BACKFILL_TIMEOUT_SECONDS", "3600")
    assert limits(30) == {"maximum_bytes_billed": 3000 * GIB, "job_execution_timeout_seconds": 3600}
    assert settings.bigquery_job_limit_env(2) == {
        "MEASURE_BQ_WINDOW_MAXIMUM_BYTES_BILLED": str(200 * GIB), "MEASURE_BQ_WINDOW_TIMEOUT_SECONDS": "600"}


def test_privacy_rebuilds_get_their_windows_limits_and_the_run_id(monkeypatch):
    """An erasure's or retention's rebuild is not a dbt asset's run: its dbt invocations get the
    job limits of the days they rebuild, and the privacy run's id, as the daily job's would."""
    for name in ("MEASURE_BQ_BACKFILL_MAXIMUM_BYTES_BILLED", "MEASURE_BQ_BACKFILL_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEASURE_BQ_MAXIMUM_BYTES_BILLED", str(GIB))
    monkeypatch.setenv("MEASURE_BQ_TIMEOUT_SECONDS", "100")
    seen = []

    class NoResults:
        def wait(self):
            return self

        def get_artifact(self, name):
            return {"results": []}

    def cli(self, args, **kwargs):  # what dbt's process would see in its environment
        seen.append((args[:3], {k: os.environ.get(k) for k in (
            RUN_ID_VARIABLE, "MEASURE_BQ_WINDOW_MAXIMUM_BYTES_BILLED", "MEASURE_BQ_WINDOW_TIMEOUT_SECONDS")}))
        return NoResults()

    monkeypatch.setattr(DbtCliResourceWithoutStartupCosts, "cli", cli)
    context = type("Context", (), {"run_id": "privacy-run-1", "log_event": lambda self, event: None})()
    dbt = ProjectDbtCliResource(project_dir=str(DBT_PROJECT_DIR), target=settings.EMULATOR_TARGET, dbt_executable=DBT)
    rebuild_days(context, dbt, settings.MeasureSettings(), date(2026, 10, 1), date(2026, 10, 3), "erasure")
    assert [env for _, env in seen] == [
        # the partitioned models over 3 days, then the full-history ones (1 day, as in the daily job)
        {RUN_ID_VARIABLE: "privacy-run-1", "MEASURE_BQ_WINDOW_MAXIMUM_BYTES_BILLED": str(3 * GIB),
         "MEASURE_BQ_WINDOW_TIMEOUT_SECONDS": "300"},
        {RUN_ID_VARIABLE: "privacy-run-1", "MEASURE_BQ_WINDOW_MAXIMUM_BYTES_BILLED": str(GIB),
         "MEASURE_BQ_WINDOW_TIMEOUT_SECONDS": "100"},
    ]
    assert [args for args, _ in seen][0] == ["build", "--select", PARTITIONED_SELECTION]


@pytest.mark.parametrize("name, value, message", [
    ("MEASURE_BQ_MAXIMUM_BYTES_BILLED", "10GB", "MEASURE_BQ_MAXIMUM_BYTES_BILLED must be a positive whole number; got '10GB'"),
    ("MEASURE_BQ_MAXIMUM_BYTES_BILLED", "0", "MEASURE_BQ_MAXIMUM_BYTES_BILLED must be a positive whole number; got '0'"),
    ("MEASURE_BQ_TIMEOUT_SECONDS", "-5", "MEASURE_BQ_TIMEOUT_SECONDS must be a positive whole number"),
    ("MEASURE_BQ_BACKFILL_TIMEOUT_SECONDS", "60", "MEASURE_BQ_BACKFILL_TIMEOUT_SECONDS must be at least MEASURE_BQ_TIMEOUT_SECONDS"),
])
def test_bad_job_limits_fail_the_load_with_the_variable_named(monkeypatch, name, value, message):
    monkeypatch.setenv("MEASURE_TARGET", "prod")
    monkeypatch.setenv("MEASURE_BQ_PROJECT", "measure-prod")
    monkeypatch.setenv("MEASURE_BQ_LOCATION", "europe-west1")
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        settings.MeasureSettings.from_env()


# --- 3. the location ------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["dev", "prod"])
def test_location_is_required_on_dev_and_prod(monkeypatch, target):
    monkeypatch.setenv("MEASURE_TARGET", target)
    monkeypatch.setenv("MEASURE_BQ_PROJECT", "measure-prod")
    monkeypatch.delenv("MEASURE_BQ_LOCATION", raising=False)
    with pytest.raises(ValueError, match=f"MEASURE_BQ_LOCATION must be set on the BigQuery target '{target}'.*europe-west1"):
        settings.MeasureSettings.from_env()
    monkeypatch.setenv("MEASURE_BQ_LOCATION", "europe-west1")
    assert settings.bigquery_location() == "europe-west1"
    monkeypatch.setenv("MEASURE_TARGET", "emulator")
    monkeypatch.delenv("MEASURE_BQ_LOCATION")
    assert settings.bigquery_location() == "US"


def _parse(project_dir: Path, target: str, env: dict, tmp: Path, check: bool = True) -> subprocess.CompletedProcess:
    args = [DBT, "parse", "--profiles-dir", ".", "--target", target,
            "--target-path", str(tmp / f"target-{target}"), "--log-path", str(tmp / "logs")]
    if check:
        return _run(args, env, project_dir, timeout=180)
    return subprocess.run(args, cwd=project_dir, env=env, capture_output=True, text=True, timeout=180, check=False)


def test_dbt_refuses_a_bigquery_profile_without_location(tmp_path):
    env = _environment(MEASURE_TARGET="prod", MEASURE_BQ_METHOD="oauth", MEASURE_BQ_PROJECT="measure-offline")
    env.pop("MEASURE_BQ_LOCATION", None)
    completed = _parse(DBT_PROJECT_DIR, "prod", env, tmp_path, check=False)
    assert completed.returncode != 0
    assert "MEASURE_BQ_LOCATION" in completed.stdout + completed.stderr


# --- 4. dataset prefixes --------------------------------------------------------------------------

CI_OUTPUT = """
    ci:
      type: bigquery
      method: oauth-secrets
      token: dummy
      project: measure-offline
      dataset: analytics_ci
      location: europe-west1
      threads: 1
"""


def test_only_prod_writes_unprefixed_datasets(tmp_path):
    """dbt parse (no network) for prod, dev and a target added later (`ci`): the datasets of a model,
    a seedless layer model and the run-results log the hooks write."""
    import shutil

    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    profiles = project / "profiles.yml"
    profiles.write_text(profiles.read_text().replace("\n  outputs:\n", "\n  outputs:\n" + CI_OUTPUT, 1))
    env = _environment(MEASURE_BQ_METHOD="oauth", MEASURE_BQ_PROJECT="measure-offline", MEASURE_BQ_LOCATION="europe-west1")
    schemas = {}
    for target in ("prod", "dev", "ci"):
        _parse(project, target, {**env, "MEASURE_TARGET": target}, tmp_path)
        manifest = json.loads((tmp_path / f"target-{target}" / "manifest.json").read_text())
        nodes = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
        schemas[target] = {name: nodes[name]["schema"] for name in ("events_cleaned", "sessions", "daily_performance", "dbt_run_results")}
    assert schemas["prod"] == {"events_cleaned": "staging", "sessions": "core", "daily_performance": "mart", "dbt_run_results": "monitoring"}
    assert schemas["dev"] == {"events_cleaned": "analytics_dev_staging", "sessions": "analytics_dev_core",
                              "daily_performance": "analytics_dev_mart", "dbt_run_results": "analytics_dev_monitoring"}
    assert schemas["ci"] == {"events_cleaned": "analytics_ci_staging", "sessions": "analytics_ci_core",
                             "daily_performance": "analytics_ci_mart", "dbt_run_results": "analytics_ci_monitoring"}


# --- 6 on DuckDB: the run-results log, same columns, no BigQuery figures ---------------------------

RUN_RESULTS_COLUMNS = ["invocation_id", "unique_id", "model_name", "resource_type", "status", "run_started_at",
                       "run_completed_at", "execution_seconds", "rows_affected", "message", "dagster_run_id",
                       "bytes_processed", "bytes_billed", "slot_ms"]


def test_run_results_on_duckdb_name_the_dagster_run_and_have_no_bigquery_figures(warehouse_path, dagster_instance, monkeypatch, tmp_path):
    # a log written before the cost columns existed: the on-run-start hook adds them
    with duckdb.connect(str(warehouse_path)) as con:
        con.execute("create schema monitoring")
        con.execute("create table monitoring.dbt_run_results_log (invocation_id varchar, unique_id varchar, model_name varchar, "
                    "resource_type varchar, status varchar, run_started_at timestamp, run_completed_at timestamp, "
                    "execution_seconds double, rows_affected bigint, message varchar)")
        con.execute("insert into monitoring.dbt_run_results_log (invocation_id, unique_id, model_name) values ('before', 'model.measure_js.old', 'old')")
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(crafted.write_ndjson(tmp_path / "exports")))
    result = run_days(dagster_instance, crafted.DAY1)
    assert_success(result)
    assert [c["column_name"] for c in query(warehouse_path, "select column_name from information_schema.columns "
            "where table_schema = 'monitoring' and table_name = 'dbt_run_results' order by ordinal_position")] == RUN_RESULTS_COLUMNS
    rows = query(warehouse_path, "select model_name, dagster_run_id, bytes_processed, bytes_billed, slot_ms from monitoring.dbt_run_results")
    ours = [r for r in rows if r["dagster_run_id"] == result.run_id]
    assert {"events_cleaned", "sessions", "daily_performance"} <= {r["model_name"] for r in ours}
    assert {(r["bytes_processed"], r["bytes_billed"], r["slot_ms"]) for r in ours} == {(None, None, None)}
    assert {r["model_name"] for r in rows if r["dagster_run_id"] is None} == {"old"}
    # and no bigquery/* metadata where DuckDB has no such figures
    metadata = [e.step_materialization_data.materialization.metadata for e in result.get_asset_materialization_events()]
    assert metadata and not [key for m in metadata for key in m if key.startswith("bigquery/")]


# --- 2, 5, 6, 7 on the emulator, through Dagster in a process of its own ---------------------------

PER_DAY_BYTES, PER_DAY_SECONDS = 5_000_000_000, 400


def late_rows() -> list[dict]:
    """Two events of a new visitor on DAY1, streamed after the day was built."""
    base = crafted.crafted_rows()[0]
    rows = []
    for minute in (0, 5):
        row = {**base, "client_id": "cLate", "hash": f"hLate-{minute}",
               "timestamp": datetime(2026, 10, 5, 12, minute).isoformat() + "Z"}
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def production_report(emulator, tmp_path_factory) -> dict:
    load_raw_events(emulator.client(), f"{emulator.project}.measure_js.events", crafted.crafted_rows())
    work = tmp_path_factory.mktemp("bigquery-production")
    (work / "late.json").write_text(json.dumps(late_rows(), default=str))
    env = emulator_environment(emulator, work / "target", MEASURE_BQ_MAXIMUM_BYTES_BILLED=str(PER_DAY_BYTES),
                               MEASURE_BQ_TIMEOUT_SECONDS=str(PER_DAY_SECONDS))
    for name in ("MEASURE_BQ_BACKFILL_MAXIMUM_BYTES_BILLED", "MEASURE_BQ_BACKFILL_TIMEOUT_SECONDS", "MEASURE_BQ_OBSERVE_DAYS",
                 "MEASURE_BQ_WINDOW_MAXIMUM_BYTES_BILLED", "MEASURE_BQ_WINDOW_TIMEOUT_SECONDS"):
        env.pop(name, None)
    completed = _run([sys.executable, "-m", "measure_dagster_tests.bigquery_production_run",
                      crafted.DAY1, crafted.DAY2, str(work / "late.json")], env, REPO_ROOT, timeout=500)
    report = next(line for line in completed.stdout.splitlines() if line.startswith("REPORT "))[7:]
    (work / "report.json").write_text(report)  # for a look after a failure
    return json.loads(report)


def test_jobs_carry_window_limits_and_labels(production_report):
    run = production_report["run"]
    assert run["success"], "\n".join(run["failures"])
    jobs = production_report["jobs"]
    assert jobs, "no job labelled with the run id"
    models = {job["labels"].get("dbt_model") for job in jobs}
    assert {"events_cleaned", "events_sessionated", "daily_performance", "sessions", "users"} <= models
    assert all(job["labels"]["dbt_invocation_id"] for job in jobs)
    # the partitioned models ran over the 2-day window: twice the per-day limits; the full-history
    # models (their own dbt invocation, not windowed) the per-day ones
    by_model = {}
    for job in jobs:
        by_model.setdefault(job["labels"]["dbt_model"], set()).add((job["maximum_bytes_billed"], job["job_timeout_ms"]))
    assert by_model["events_cleaned"] == {(str(2 * PER_DAY_BYTES), str(2 * PER_DAY_SECONDS * 1000))}
    assert by_model["daily_performance"] == {(str(2 * PER_DAY_BYTES), str(2 * PER_DAY_SECONDS * 1000))}
    # sessions is per-visitor state in the partitioned step now; clients stays full-history
    assert by_model["sessions"] == {(str(2 * PER_DAY_BYTES), str(2 * PER_DAY_SECONDS * 1000))}
    assert by_model["clients"] == {(str(PER_DAY_BYTES), str(PER_DAY_SECONDS * 1000))}


def test_run_results_and_metadata_carry_the_jobs_figures(production_report):
    run_id = production_report["run"]["run_id"]
    assert production_report["run_results_columns"] == RUN_RESULTS_COLUMNS
    results = {(r["model_name"], r["resource_type"]): r for r in production_report["run_results"]}
    assert {("events_cleaned", "model"), ("sessions", "model")} <= set(results)
    assert {r["dagster_run_id"] for r in results.values()} == {run_id}
    # each model's materialization names its query job; the job's statistics, as the emulator's
    # job API reports them, are the metadata's and the log's figures
    jobs = {job["job_id"]: job for job in production_report["jobs"]}
    metadata = production_report["run"]["bigquery_metadata"]
    checked = 0
    for asset, figures in metadata.items():
        name = asset.split("/")[-1]
        job = jobs[figures["bigquery/job_id"]]
        assert job["labels"]["dbt_model"] == name
        assert (figures["bigquery/bytes_processed"], figures["bigquery/bytes_billed"]) == (
            job["total_bytes_processed"], job["total_bytes_billed"]), asset
        assert figures.get("bigquery/slot_ms") == job["slot_millis"], asset  # the emulator reports no slots
        row = results[(name, "model")]
        assert (row["bytes_processed"], row["bytes_billed"], row["slot_ms"]) == (
            job["total_bytes_processed"], job["total_bytes_billed"], job["slot_millis"]), asset
        checked += 1
    assert checked == len(metadata) >= 15


def test_hourly_observation_lets_automation_follow_late_rows(production_report):
    assert "observe_raw_events_hourly" in production_report["schedules"]
    first, second = production_report["first_observation"], production_report["second_observation"]
    # at 00:30 on 10-07: the last three complete days, not today
    assert (first["tags"]["dagster/asset_partition_range_start"], first["tags"]["dagster/asset_partition_range_end"]) == (
        "2026-10-04", crafted.DAY2)
    # the data version of a day is its raw row count: the crafted rows of each day, then two late rows
    rows = Counter(str(row["timestamp"])[:10] for row in crafted.crafted_rows())
    assert first["success"] and first["data_versions"] == {"2026-10-04": "0", crafted.DAY1: str(rows[crafted.DAY1]),
                                                           crafted.DAY2: str(rows[crafted.DAY2])}
    assert second["data_versions"] == {"2026-10-04": "0", crafted.DAY1: str(rows[crafted.DAY1] + len(late_rows())),
                                       crafted.DAY2: str(rows[crafted.DAY2])}
    # nothing is asked for after the run itself; after the late rows of DAY1, the built partitions
    # that read DAY1 (directly, or through the session look-back), and the full-history models
    assert "staging/events_cleaned" not in production_report["requested_after_run"]
    requested = production_report["requested_after_late_rows"]
    assert requested["staging/events_cleaned"] == [crafted.DAY1]
    assert crafted.DAY1 in requested["staging/events_sessionated"]

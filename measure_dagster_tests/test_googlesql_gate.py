"""The GoogleSQL gate: every model, data test, analysis and hook, compiled offline for the `prod`
target, passes Google's own analyzer of BigQuery's SQL, in DAG order (sql_gate.py).

Three times: in full-refresh form (no window), in partition-window form (one daily window, as a
daily run compiles it) and in that form with Measure.js's session definition (the vars
split_session_on_new_source and require_pageview). The incremental statements dbt-bigquery generates at run time (the
CREATE of the __dbt_tmp table, the insert_overwrite MERGE) exist only in a real run: those of the
emulator run go through the same analyzer in test_bigquery.py.

Planted models prove the gate rejects what real BigQuery rejects: the TIMESTAMP/DATETIME union
that `data_freshness` once had, the non-BigQuery `HOUR(ts)` of the specification, a call with
the wrong number of arguments.
"""

from __future__ import annotations

import shutil

import pytest

from measure_dagster.settings import DBT_PROJECT_DIR
from measure_dagster_tests.bigquery_offline import compile_offline
from measure_dagster_tests.sql_gate import raw_catalog, run_gate

WINDOW = {"partition_start": "2026-10-06", "partition_end": "2026-10-07"}
# Measure.js's session definition (README parity): the SQL branches these vars switch on
UPSTREAM_SESSIONS = {"split_session_on_new_source": True, "require_pageview": True}
# model name -> (SQL as a model file, what the analyzer says)
PLANTED = {
    "planted_timestamp_datetime_union": (
        "select max(timestamp) as latest_record from {{ source('raw', 'events') }}\n"
        "union all\n"
        "select {{ dbt.dateadd('day', 1, 'cast(max(date) as ' ~ dbt.type_timestamp() ~ ')') }} from {{ ref('daily_performance') }}\n",
        "Column 1 in UNION ALL has incompatible types: TIMESTAMP, DATETIME",
    ),
    "planted_hour_function": (
        "select hour(timestamp) as hour_of_day, count(*) as events from {{ source('raw', 'events') }} group by 1\n",
        "Function not found: hour",
    ),
    "planted_wrong_arity": (
        "select regexp_contains(url) as matched from {{ ref('events_cleaned') }}\n",
        "No matching signature for function REGEXP_CONTAINS",
    ),
    "planted_reader_of_a_rejected_model": (
        "select hour_of_day from {{ ref('planted_hour_function') }}\n",
        "Table not found",
    ),
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, dict]:
    """Manifests of the prod target: full-refresh form (with the planted models) and window form."""
    work = tmp_path_factory.mktemp("googlesql-gate")
    project = work / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    window_work, full_work, upstream_work = work / "window", work / "full", work / "upstream"
    for folder in (window_work, full_work, upstream_work):
        folder.mkdir()
    window = compile_offline(project, window_work, "prod", ["--vars", str(WINDOW)])
    upstream = compile_offline(project, upstream_work, "prod", ["--vars", str({**WINDOW, **UPSTREAM_SESSIONS})])
    (project / "models" / "planted").mkdir()
    for name, (sql, _) in PLANTED.items():
        (project / "models" / "planted" / f"{name}.sql").write_text(sql)
    full = compile_offline(project, full_work, "prod")
    return {"full-refresh": full, "partition-window": window, "upstream-sessions-window": upstream}


def _ours(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in manifest["nodes"].items()
            if not node["original_file_path"].startswith("models/planted/")}


@pytest.mark.parametrize("form", ["full-refresh", "partition-window", "upstream-sessions-window"])
def test_every_statement_passes_the_googlesql_analyzer(form, compiled, googlesql_analyzer, googlesql_summaries):
    manifest = compiled[form]
    result = run_gate(googlesql_analyzer, manifest)
    ours = _ours(manifest)
    failed = {uid: message for uid, message in result.failed.items() if uid in ours}
    passed = [uid for uid in result.passed if uid in ours]
    googlesql_summaries.append(f"GoogleSQL analyzer, prod target, {form} form: {len(passed)} of {len(passed) + len(failed)} statements passed")
    assert failed == {}
    # none skipped: every model, test and analysis of the project, and the on-run-start hook
    # (the on-run-end hook renders only at run time: the emulator run's goes through the gate)
    gated = {uid for uid, node in ours.items() if node["resource_type"] in ("model", "test", "analysis")}
    assert gated <= set(passed)
    assert {node["resource_type"] for uid, node in ours.items() if uid in passed} == {"model", "test", "analysis", "operation"}
    models = {node["name"] for node in ours.values() if node["resource_type"] == "model"}
    assert models == {path.stem for path in (DBT_PROJECT_DIR / "models").rglob("*.sql")}
    assert len(passed) > 100


def test_the_window_form_is_a_different_statement(compiled):
    """The window form compiles the partition predicates into the event-grained models."""
    full, window = (_ours(compiled[form]) for form in ("full-refresh", "partition-window"))
    cleaned = "model.measure_js.events_cleaned"
    assert "2026-10-06" in window[cleaned]["compiled_code"] and "2026-10-06" not in full[cleaned]["compiled_code"]
    # and the session vars switch the split and the pageview filter on
    sessionated, aggregates = "model.measure_js.events_sessionated", "model.measure_js.session_aggregates"
    upstream = _ours(compiled["upstream-sessions-window"])
    assert "is_source_event" in upstream[sessionated]["compiled_code"] and "is_source_event" not in window[sessionated]["compiled_code"]
    assert "having count(" in upstream[aggregates]["compiled_code"] and "having count(" not in window[aggregates]["compiled_code"]


def test_the_gate_rejects_planted_errors(compiled, googlesql_analyzer):
    manifest = compiled["full-refresh"]
    result = run_gate(googlesql_analyzer, manifest)
    rejected = {manifest["nodes"][uid]["name"]: message for uid, message in result.failed.items()}
    assert set(rejected) == set(PLANTED)
    for name, (_, message) in PLANTED.items():
        assert message in rejected[name], (name, rejected[name])
    # the schema of the model it replaced passed: the fix, not the gate, made data_freshness pass
    freshness = dict(result.schemas["data_freshness"])
    assert [name for name in freshness] == ["table_name", "latest_record", "hours_behind", "checked_since"]
    assert str(freshness["latest_record"]) == str(freshness["checked_since"]) == "type_kind: TYPE_TIMESTAMP\n"


# Event-grained tables: one row per event (or per session), growing with every day of history.
EVENT_TABLES = {"events", "events_screened", "events_cleaned", "events_sessionated"}
# data_freshness reads the raw timestamps back from today (a filter on current_date, not on the run's days)
READS_RAW_TIMESTAMPS_WHOLE = {"data_freshness"}


def test_a_daily_run_reads_no_event_table_whole(compiled, googlesql_analyzer):
    """In partition-window form, every scan of an event table by a model or a test keeps only
    some days (the analyzer's partition filter): the per-visitor state merges partials, and the
    tests read the run's days. A model that joined all earlier events (as users_incremental and
    user_map once did) fails here, naming the scan."""
    manifest = compiled["partition-window"]
    catalog = raw_catalog(manifest)
    assert not run_gate(googlesql_analyzer, manifest, catalog).failed
    whole = []
    for node in _ours(manifest).values():
        if node["resource_type"] not in ("model", "test") or node["name"] in READS_RAW_TIMESTAMPS_WHOLE:
            continue
        for scan in googlesql_analyzer.table_scans(node["compiled_code"], catalog):
            if scan.table.split(".")[-1] in EVENT_TABLES and scan.days is None:
                whole.append(f"{node['name']}: {scan.table}")
    assert whole == []
    # and the state models do read their partials (the check above is not vacuous for them)
    scans = {node["name"]: {scan.table.split(".")[-1] for scan in googlesql_analyzer.table_scans(node["compiled_code"], catalog)}
             for node in _ours(manifest).values() if node["name"] in ("users_incremental", "user_map")}
    assert scans == {"users_incremental": {"visitor_days", "user_map"}, "user_map": {"user_map_days"}}


def test_a_daily_run_reads_the_raw_day_once(compiled, googlesql_analyzer):
    """In partition-window form, one model reads the raw source beyond its timestamps: the
    quarantine rule reads every string column and BigQuery bills whole columns, so
    events_screened reads the window's raw rows once and everything else reads it. The others
    that scan the source read `timestamp` alone (data_freshness, the rows-accounted-for test's
    count per day), and the look-backs read a few columns of events_screened."""
    manifest = compiled["partition-window"]
    catalog = raw_catalog(manifest)
    assert not run_gate(googlesql_analyzer, manifest, catalog).failed  # fills the catalog in DAG order
    raw_scans = {}  # node -> every scan of the raw source: (columns, days)
    screened_lookbacks = {}
    for node in _ours(manifest).values():
        if node["resource_type"] not in ("model", "test"):
            continue
        for scan in googlesql_analyzer.table_scans(node["compiled_code"], catalog):
            table = scan.table.split(".")[-1]
            if table == "events":
                raw_scans.setdefault(node["name"], []).append((sorted(scan.columns), scan.days))
            elif table == "events_screened" and node["name"] in ("events_sessionated", "purchases"):
                screened_lookbacks.setdefault(node["name"], []).append((sorted(scan.columns), scan.days))
    whole_rows = {name: [days for columns, days in scans if columns != ["timestamp"]] for name, scans in raw_scans.items()}
    assert {name: days for name, days in whole_rows.items() if days} == {"events_screened": [1]}
    assert set(raw_scans) == {"events_screened", "data_freshness", "assert_raw_rows_are_accounted_for"}
    # their only reads of it: the look-back, the 2 days before the window, a few columns (purchases' includes `parameters`)
    assert screened_lookbacks == {
        "events_sessionated": [(["client_id", "event_date", "hash", "quarantine_reason", "timestamp"], 2)],
        "purchases": [(["event_date", "event_name", "parameters", "quarantine_reason", "timestamp"], 2)],
    }

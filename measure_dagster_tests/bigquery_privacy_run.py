"""Erasure and retention on a BigQuery target (the emulator), through Dagster, in a process of its own.

    MEASURE_TARGET=emulator BIGQUERY_EMULATOR_HOST=... MEASURE_BQ_GCP_CREDENTIALS=... \\
        MEASURE_ERASURE_SALT=... python -m measure_dagster_tests.bigquery_privacy_run

The code location is loaded for the emulator target (as bigquery_dagster_run.py does), over the
collector's table test_privacy_bigquery.py streamed: the crafted traffic with the people P, Q, R
and S of test_privacy.py (S: two events on day 2, the second still in the streaming buffer).
The steps run as an operator would run them; one JSON line reports what each step did and what
the tables held after it, for the test to compare with DuckDB runs over the data without them.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from datetime import datetime, timedelta

FIGURES = {
    "sessions": "select * from core.sessions order by session_id",
    "users": "select * from core.users order by visitor_key",
    "user_map": "select * from staging.user_map order by visitor_key, user_id",
    "daily_performance": "select * from mart.daily_performance order by date",
    "purchases": "select * from staging.purchases order by event_id",
    "event_ids": "select event_id from staging.events_cleaned order by event_id",
}
DATASETS = ("measure_js", "staging", "core", "mart", "monitoring")
# S's second event is at 23:50 on day 2; the buffer's oldest entry 5 minutes before it
BUFFER_OLDEST_ENTRY = datetime.fromisoformat("2026-10-06 23:45:00+00:00")


def figures(client) -> dict:
    from measure_dagster_tests.test_bigquery import _rows

    return {name: _rows(client.query_and_wait(sql)) for name, sql in FIGURES.items()}


def identifiers_found(client, project: str, identifiers: list[str], skip: tuple[str, ...] = ()) -> dict[str, int]:
    """Rows of any table with an identifier in a top-level STRING column, as a value or a JSON string."""
    from google.cloud import bigquery

    found = {}
    for dataset in DATASETS:
        for item in client.list_tables(f"{project}.{dataset}"):
            table = client.get_table(item.reference)
            if table.table_type != "TABLE" or f"{dataset}.{table.table_id}" in skip:
                continue
            columns = [f.name for f in table.schema if f.field_type == "STRING" and f.mode != "REPEATED"]
            if not columns:
                continue
            # one query per table with a count per column: ~30 emulator queries a call, not ~160
            matches = ", ".join(
                f"if(`{column}` in unnest(@ids) or exists(select 1 from unnest(regexp_extract_all(`{column}`, "
                f"r'\"([^\"]*)\"')) as v where v in unnest(@ids)), 1, 0) as `{column}`" for column in columns)
            sums = ", ".join(f"coalesce(sum(`{column}`), 0) as `{column}`" for column in columns)
            sql = f"select {sums} from (select {matches} from `{project}`.`{dataset}`.`{table.table_id}`)"
            config = bigquery.QueryJobConfig(query_parameters=[bigquery.ArrayQueryParameter("ids", "STRING", identifiers)])
            (row,) = client.query_and_wait(sql, job_config=config)
            for column in columns:
                if row[column]:
                    found[f"{dataset}.{table.table_id}.{column}"] = row[column]
    return found


def schemas(client, project: str) -> dict[str, list[dict]]:
    """Every table's schema, for the GoogleSQL gate's catalog."""
    return {f"{dataset}.{item.table_id}": [f.to_api_repr() for f in client.get_table(item.reference).schema]
            for dataset in DATASETS for item in client.list_tables(f"{project}.{dataset}")}


@contextmanager
def streaming_buffer_on(raw_table: str, oldest_entry: datetime):
    """The collector's table as BigQuery reports it while rows are in its streaming buffer
    (tables.get's `streamingBuffer`), which the emulator never reports."""
    from google.cloud import bigquery

    original = bigquery.Client.get_table

    def get_table(self, table, *args, **kwargs):
        found = original(self, table, *args, **kwargs)
        if f"{found.project}.{found.dataset_id}.{found.table_id}" == raw_table:
            found._properties["streamingBuffer"] = {"estimatedRows": "1", "estimatedBytes": "100",
                                                    "oldestEntryTime": str(int(oldest_entry.timestamp() * 1000))}
        return found

    bigquery.Client.get_table = get_table
    try:
        yield
    finally:
        bigquery.Client.get_table = original


def main() -> int:
    from measure_dagster_tests.bigquery_offline import prepare_target_manifest

    prepare_target_manifest()

    import dagster as dg

    from measure_dagster import settings
    from measure_dagster.definitions import defs
    from measure_dagster.defs.privacy import erasure as erasure_defs
    from measure_dagster.keys import ERASURE_LOG_KEY, RETENTION_LOG_KEY
    from measure_dagster.privacy import bigquery as privacy_bigquery
    from measure_dagster_tests import crafted_events as crafted
    from measure_dagster_tests.pipeline import run_days
    from measure_dagster_tests.test_privacy import IDENTIFIERS, RETENTION

    statements: list[tuple[str, dict]] = []
    query = privacy_bigquery.PrivacyTables.query

    def recorded(self, sql, **parameters):
        if "@salt" in sql:
            parameters["salt"] = self.salt
        statements.append((sql, {name: privacy_bigquery._parameter(name, value).to_api_repr()
                                 for name, value in parameters.items()}))
        return query(self, sql, **parameters)

    privacy_bigquery.PrivacyTables.query = recorded
    raw_table = settings.raw_events_table_ref()
    project = settings.bigquery_project()
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    client = bigquery.Client(project=project, credentials=AnonymousCredentials(),
                             client_options={"api_endpoint": os.environ["BIGQUERY_EMULATOR_HOST"]})
    report: dict = {"steps": {}}

    def step(name: str, result: dg.ExecuteInProcessResult) -> None:
        materialized = {}
        for event in result.get_asset_materialization_events():
            materialization = event.event_specific_data.materialization
            if materialization.asset_key in (ERASURE_LOG_KEY, RETENTION_LOG_KEY):
                materialized = {key: value.value for key, value in materialization.metadata.items()}
        report["steps"][name] = {
            "success": result.success,
            "failures": [f"{e.step_key}: {e.event_specific_data.error.to_string()[-3000:]}"
                         for e in result.all_events if e.is_step_failure],
            "metadata": materialized,
            "checks": [{"name": e.asset_check_key.name, "passed": e.passed, "severity": e.severity.value,
                        "metadata": {key: value.value for key, value in e.metadata.items()}}
                       for e in result.get_asset_check_evaluations() if e.asset_check_key.asset_key == ERASURE_LOG_KEY],
            "log": [dict(row) for row in client.query_and_wait(
                "select identifier_kind, status, cast(first_day as string) as first_day, cast(last_day as string) as last_day, "
                "rows_removed, rows_in_streaming_buffer, identifier_hash from monitoring.erasure_log order by requested_at")]
            if name != "daily" else [],
        }

    def erase(instance, **identifier):
        return defs.resolve_job_def("erase_visitor").execute_in_process(
            instance=instance, run_config={"ops": {"monitoring__erasure_log": {"config": identifier}}}, raise_on_error=False)

    with dg.instance_for_test() as instance:
        step("daily", run_days(instance, crafted.DAY1, crafted.DAY2))
        report["before"] = identifiers_found(client, project, IDENTIFIERS + ["cS"])
        step("erase_uR", erase(instance, user_id="uR"))

        def killed(*args, **kwargs):
            raise RuntimeError("the process died here")

        rebuild = erasure_defs._rebuild
        erasure_defs._rebuild = killed
        step("erase_cP_killed", erase(instance, client_id="cP"))
        erasure_defs._rebuild = rebuild
        step("finish_pending", erase(instance))
        step("erase_hQ", erase(instance, hash="hQ"))
        with streaming_buffer_on(raw_table, BUFFER_OLDEST_ENTRY):
            step("erase_cS_buffered", erase(instance, client_id="cS"))
            report["buffered_found"] = identifiers_found(client, project, ["cS"], skip=("measure_js.events",))
            report["buffered_raw_rows"] = client.query_and_wait(
                "select count(*) as n from measure_js.events where client_id = 'cS'").__next__()["n"]
        step("finish_cS", erase(instance))
        report["after_erasures"] = {"figures": figures(client), "found": identifiers_found(client, project, IDENTIFIERS + ["cS"])}
        step("erase_uR_again", erase(instance, user_id="uR"))
        report["after_rerun"] = figures(client)

        step("retention", defs.resolve_job_def("apply_retention").execute_in_process(
            instance=instance, run_config={"ops": {"monitoring__retention_log": {"config": RETENTION}}}, raise_on_error=False))
        report["after_retention"] = retention_state(client)
        step("daily_after_retention", run_days(instance, crafted.DAY2))
        report["after_next_run"] = retention_state(client)
        report["retention_log"] = [dict(row) for row in client.query_and_wait(
            "select tier, cast(cut_date as string) as cut_date, rows_removed from monitoring.retention_log order by tier")]
    report["statements"] = statements
    report["schemas"] = schemas(client, project)
    report["streaming_buffer_margin_minutes"] = privacy_bigquery.STREAMING_BUFFER_MARGIN / timedelta(minutes=1)
    print("REPORT " + json.dumps(report, default=str), flush=True)
    return 0


# the event-level tables on BigQuery, by the date retention cuts them at (test_privacy.EVENT_TABLES)
def retention_state(client) -> dict:
    from measure_dagster_tests.test_bigquery import _rows

    return retention_state_of(lambda sql: _rows(client.query_and_wait(sql)), "measure_js.events")


def retention_state_of(select, raw_table: str) -> dict:
    """What retention leaves, on either engine (`select`: sql -> rows): rows before the cut (day 2)
    per table, the rows from it on, and the visitors whose state is kept."""
    from measure_dagster_tests.test_privacy import EVENT_TABLES, MARTS

    state = {}
    for table, column in {**EVENT_TABLES, **MARTS}.items():
        name = raw_table if table == "raw.events" else table
        state[table] = {
            "before_cut": select(f"select count(*) as n from {name} where cast({column} as date) < date '2026-10-06'")[0]["n"],
            "from_cut": [] if table == "raw.events" else sorted(json.dumps(row, default=str, sort_keys=True) for row in select(
                f"select * from {name} where cast({column} as date) >= date '2026-10-06'")),
        }
    state["users_incremental"] = sorted(r["visitor_key"] for r in select("select visitor_key from core.users_incremental"))
    state["first_seen"] = {r["visitor_key"]: str(r["first_seen"]) for r in select(
        "select visitor_key, first_seen from core.users_incremental where visitor_key in ('cA', 'cM')")}
    return state


if __name__ == "__main__":
    sys.exit(main())

"""The production-like instance: dagster_home/postgres/dagster.yaml on Debian's PostgreSQL.

scripts/postgres.sh (what `make postgres` runs) starts a cluster of its own in a temporary
folder on a free port; `measure-dagster materialize` runs the daily job for one day and then a
backfill of the crafted two days, selected by MEASURE_DAGSTER_INSTANCE=postgres. Skipped only
when PostgreSQL cannot be installed, unless MEASURE_REQUIRE_POSTGRES=1 (CI), then it fails.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef

from measure_dagster.settings import REPO_ROOT
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests.conftest import WAREHOUSE
from measure_dagster_tests.pipeline import query
from measure_dagster_tests.test_pipeline_crafted import assert_crafted_figures

SCRIPT = str(REPO_ROOT / "scripts" / "postgres.sh")
CLI = str(Path(sys.executable).with_name("measure-dagster"))
RAW = dg.AssetKey(["raw", "events"])


@pytest.fixture(scope="module")
def postgres_url():
    base = Path(tempfile.mkdtemp(prefix="measure-pg-"))
    base.chmod(0o755)  # the server runs as the postgres user, which must reach its data folder
    env = {**os.environ, "MEASURE_PG_DATA": str(base / "data"), "MEASURE_PG_PORT": ""}
    installed = subprocess.run(["bash", SCRIPT, "install"], env=env, capture_output=True, text=True)
    if installed.returncode != 0:
        reason = f"PostgreSQL cannot be installed here: {installed.stderr.strip()[-500:]}"
        if os.environ.get("MEASURE_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    subprocess.run(["bash", SCRIPT, "start"], env=env, check=True, capture_output=True, text=True)
    url = subprocess.run(["bash", SCRIPT, "url"], env=env, check=True, capture_output=True, text=True).stdout.strip()
    yield url
    subprocess.run(["bash", SCRIPT, "stop"], env=env, check=False)
    shutil.rmtree(base, ignore_errors=True)


def _materialize(env: dict, *args: str) -> subprocess.CompletedProcess:
    completed = subprocess.run([CLI, "materialize", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed


def test_daily_job_and_backfill_on_postgres(postgres_url, warehouse_path, tmp_path):
    import psycopg2

    # the instance folder of the repository, copied so its compute logs stay in the test's folder
    home = tmp_path / "dagster_home_postgres"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster_home" / "postgres" / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "MEASURE_DAGSTER_INSTANCE": "postgres", "MEASURE_DAGSTER_PG_URL": postgres_url,
           "DAGSTER_HOME": str(home), "MEASURE_DUCKDB_PATH": str(WAREHOUSE),
           "MEASURE_EVENTS_PATH": str(crafted.write_ndjson(tmp_path / "exports"))}

    daily = _materialize(env, "--start", crafted.DAY1, "--end", crafted.DAY1)
    backfill = _materialize(env, "--start", crafted.DAY1, "--end", crafted.DAY2)
    assert f"DAGSTER_HOME={home}" in daily.stdout
    assert f"{crafted.DAY1} .. {crafted.DAY2}" in backfill.stdout
    assert_crafted_figures(warehouse_path)

    # the runs are rows of PostgreSQL's `runs` table, read without Dagster
    with psycopg2.connect(postgres_url.replace("postgresql+psycopg2://", "postgresql://")) as con, con.cursor() as cursor:
        cursor.execute("select status from runs order by create_timestamp")
        assert [status for (status,) in cursor.fetchall()] == ["SUCCESS", "SUCCESS"]
        cursor.execute("select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'")
        (materializations,) = cursor.fetchone()
    assert materializations > 0

    os.environ["MEASURE_DAGSTER_PG_URL"] = postgres_url
    try:
        with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert instance.get_materialized_partitions(RAW) == {crafted.DAY1, crafted.DAY2}
            # the row counts recorded in PostgreSQL = the rows in DuckDB: the daily run's of its day,
            # the backfill's of its window (raw/events reports the run's window for each partition)
            def recorded(day):
                records = instance.fetch_materializations(
                    dg.AssetRecordsFilter(asset_key=RAW, asset_partitions=[day]), limit=10).records
                return [record.asset_materialization.metadata["dagster/row_count"].value for record in records]

            def counted(sql_filter):
                return query(warehouse_path, f"select count(*) as n from raw.events where {sql_filter}")[0]["n"]

            day1 = counted(f"cast(timestamp as date) = date '{crafted.DAY1}'")
            both = counted(f"cast(timestamp as date) between date '{crafted.DAY1}' and date '{crafted.DAY2}'")
            assert (day1, both) == (11, 29)  # crafted_events.py: 11 rows on day 1, 18 on day 2
            assert recorded(crafted.DAY1) == [both, day1]  # newest first: the backfill, then the daily run
            assert recorded(crafted.DAY2) == [both]
    finally:
        os.environ.pop("MEASURE_DAGSTER_PG_URL", None)

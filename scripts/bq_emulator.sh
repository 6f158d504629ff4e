#!/usr/bin/env bash
# BigQuery emulator for offline tests: local-bigquery (PyPI) in its own venv at .venv-bqemu/.
#
#   scripts/bq_emulator.sh install   # idempotent; PyPI only; pinned versions
#   scripts/bq_emulator.sh serve [--port 9050] [--grpc-port 9060] [--project measure-test] [--data-dir DIR]
#   scripts/bq_emulator.sh check     # exit 0 when installed and importable
#   scripts/bq_emulator.sh clean     # remove .venv-bqemu/
#
# Why this shape:
# - local-bigquery 0.3.2 needs Python >= 3.13 and DuckDB 1.5.5 with the ducklake, icu and spatial
#   extensions. DuckDB would download those from its own extension site (unreachable here), so we
#   install PyPI's duckdb-extension-* 1.5.5 wheels and link their files into a private DuckDB
#   home (.venv-bqemu/duckdb-home/.duckdb/extensions/v1.5.5/<platform>/); the emulator is started
#   with HOME pointing there. (local-bigquery 0.4.0 needs DuckDB 2.x, for which PyPI has no
#   ducklake extension, so it cannot start offline.)
# - .venv-bqemu/launch_local_bigquery.py wraps the emulator's CLI with small patches: two needed by
#   dbt-bigquery, three for speed (see the comments in that file, written below).
#
# Python 3.13 is found via $BQ_EMULATOR_PYTHON, python3.13/3.14 on PATH, or pyenv's versions dir.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BQ_EMULATOR_VENV:-$ROOT/.venv-bqemu}"
DUCKDB_VERSION="1.5.5"
LAUNCHER="$VENV/launch_local_bigquery.py"
DUCKDB_HOME="$VENV/duckdb-home"
STAMP="$VENV/.bq_emulator_installed"

# Full pinned set (resolved 2026-11 with uv for CPython 3.13, linux x86_64).
read -r -d '' REQUIREMENTS <<'EOF' || true
local-bigquery==0.3.2
duckdb==1.5.5
duckdb-extension-ducklake==1.5.5
duckdb-extension-icu==1.5.5
duckdb-extension-spatial==1.5.5
annotated-doc==0.0.7
annotated-types==0.8.0
anyio==4.16.0
certifi==2026.10.19.post1
cffi==2.1.1
charset-normalizer==3.5.3
click==8.5.1
cryptography==50.0.2
fastapi==0.165.0
fastavro==1.13.1
google-api-core==2.44.0
google-auth==2.63.0
google-cloud-bigquery-storage==2.43.0
googleapis-common-protos==1.76.0
grpcio==1.85.3
grpcio-status==1.85.3
h11==0.16.0
idna==3.20
mini-racer==0.14.1
numpy==2.5.5
opentelemetry-api==1.45.2
prompt-toolkit==3.0.53
proto-plus==1.29.0
protobuf==7.36.2
pyarrow==26.0.1
pyasn1==0.6.5
pyasn1-modules==0.4.2
pycparser==3.12
pydantic==2.14.4
pydantic-core==2.50.5
pydantic-settings==2.16.3
pygments==2.21.0
python-dotenv==1.2.4
requests==2.34.2
sqlglot==30.30.0
starlette==1.10.0
typing-extensions==4.16.0
typing-inspection==0.4.5
urllib3==2.8.0
uvicorn==0.54.0
wcwidth==0.9.4
EOF

read -r -d '' LAUNCHER_PY <<'EOF' || true
"""Start local-bigquery 0.3.2 with two compatibility patches for dbt-bigquery 1.11/1.12 and three
that keep its per-query cost from growing with every table and query before it.

Written by scripts/bq_emulator.sh install; edit it there.
Usage: python launch_local_bigquery.py [local-bigquery CLI args, e.g. --port 9050 --data-dir DIR]
"""
import sys
import threading

import duckdb
import sqlglot
from sqlglot import exp

from local_bigquery.catalog import names, tabledata, tables
from local_bigquery.engine import database, types
from local_bigquery.jobs import runner
from local_bigquery.sql import script
from local_bigquery.sql.dialect import BigQueryDialect

# Patch 1: after CREATE TABLE AS SELECT, real BigQuery fills configuration.query.destinationTable
# with the created table; local-bigquery leaves it empty. dbt-bigquery (connections.py) calls
# client.get_table(query_job.destination) for CREATE_TABLE_AS_SELECT to report the row count and
# otherwise fails every table/incremental model with "'NoneType' object has no attribute 'path'".
_orig_query = runner._query


def _query(job, session, running):
    statistics = _orig_query(job, session, running)
    stats2 = statistics.query
    config = job.configuration.query
    if (stats2 is not None and stats2.statementType == "CREATE_TABLE_AS_SELECT"
            and stats2.ddlTargetTable is not None and config.destinationTable is None):
        config.destinationTable = stats2.ddlTargetTable
    return statistics


runner._query = _query

# Patch 3: local-bigquery stores every query's result as a table of its own catalog
# (emulator._results) and never drops one, and it answers each table lookup by listing every
# table and column of every catalog (duckdb_tables(), duckdb_columns()). So each query cost more
# than the one before: a lookup took 10 ms with 800 results kept, 40 ms with 4,000; a third of
# the emulator's time went there in the privacy test's run. BigQuery keeps anonymous results out of
# any listing. Here, every RESULTS_SWEEP_EVERY jobs, the results of all but the newest
# RESULTS_KEPT jobs are dropped: clients read a job's results as soon as it is done.
RESULTS_KEPT = 200
RESULTS_SWEEP_EVERY = 50
_sweep_lock = threading.Lock()
_jobs_since_sweep = 0


def _sweep_results():
    stale = database.fetch(
        "SELECT results.table_name FROM duckdb_tables() AS results LEFT JOIN emulator.jobs "
        "ON results.table_name = jobs.project_id || ':' || jobs.job_id "
        "WHERE results.database_name = 'emulator' AND results.schema_name = $1 "
        "ORDER BY coalesce(jobs.creation_time, 0) DESC OFFSET $2",
        [tables.RESULTS, RESULTS_KEPT],
    )
    for (table,) in stale:
        project_id, _, job_id = table.partition(":")
        try:  # what tables.delete() does, without its lookup: the listing above found the table
            database.execute(f"DROP TABLE IF EXISTS {database.quote('emulator', tables.RESULTS, table)}")
            tables.forget(project_id, tables.RESULTS, job_id)
        except Exception as error:  # a conflict with a concurrent job: the next sweep drops it
            print(f"launch_local_bigquery: result {table} kept: {error}", file=sys.stderr)


def _query_and_sweep(job, session, running):
    global _jobs_since_sweep
    statistics = _query(job, session, running)
    with _sweep_lock:
        _jobs_since_sweep += 1
        if _jobs_since_sweep >= RESULTS_SWEEP_EVERY:
            _jobs_since_sweep = 0
            _sweep_results()
    return statistics


runner._query = _query_and_sweep


# Patch 4: a table's NOT NULL columns from its own pragma_table_info, instead of a listing of every
# column of every catalog (duckdb_columns()) at each read of a table's schema: the same fields
# (compared on every table, view and kept result of a test run's data), 4.1 ms -> 1.3 ms a call.
def _columns(project_id: str, dataset_id: str, table_id: str):
    table = tables.name(project_id, dataset_id, table_id)
    literal = "'" + table.replace("'", "''") + "'"
    with database.cursor() as cur:
        try:
            required = {column for (column,) in cur.execute(
                f'SELECT name FROM pragma_table_info({literal}) WHERE "notnull"').fetchall()}
            relation = cur.sql(f"SELECT * FROM {table} LIMIT 0")
        except duckdb.CatalogException:
            raise tables.not_found("Table", names.label(project_id, dataset_id, table_id)) from None
        return [types.field(column, kind, column in required) for column, kind in zip(relation.columns, relation.types)
                if column != tables.INGESTION_TIME or dataset_id == tables.RESULTS]


tables.columns = tabledata.columns = _columns

# Patch 5: a dataset's tables and views, from a listing of its catalog cached until the catalog's
# next DuckLake snapshot, instead of duckdb_tables() + duckdb_views() over every catalog at each
# table lookup (8-9 ms a call: DuckLake lists each table's statistics; a third of the emulator's
# time in a Dagster run). Every commit that changes a DuckLake catalog, data or schema, makes a
# new snapshot, and snapshot ids only grow: the id is read before the listing, so a listing is
# never older than the id it is kept under. A query's results (the emulator's own DuckDB
# catalog, never changed once written) are counted directly.
_orig_objects = database.objects
_catalog_listings: dict[str, tuple[int, dict[str, list[tuple[str, str, int]]]]] = {}
_LISTING_SQL = (
    "SELECT schema_name, table_name, 'TABLE', estimated_size FROM duckdb_tables() WHERE database_name = $1 "
    "UNION ALL SELECT schema_name, view_name, 'VIEW', 0 FROM duckdb_views() WHERE database_name = $1 AND NOT internal")


def _objects(project_id: str, dataset_id: str, table_id: str | None = None):
    if project_id == "emulator":
        if dataset_id != tables.RESULTS or table_id is None:
            return _orig_objects(project_id, dataset_id, table_id)
        try:
            ((count,),) = database.fetch(f"SELECT count(*) FROM {database.quote(project_id, dataset_id, table_id)}")
        except duckdb.CatalogException:
            return []
        return [(table_id, "TABLE", count)]
    try:
        ((snapshot,),) = database.fetch(f"SELECT id FROM {database.quote(project_id)}.current_snapshot()")
    except duckdb.Error:  # not a DuckLake catalog (or not attached): the listing as local-bigquery makes it
        return _orig_objects(project_id, dataset_id, table_id)
    cached = _catalog_listings.get(project_id)
    if cached is None or cached[0] != snapshot:
        listing: dict[str, list[tuple[str, str, int]]] = {}
        for schema, name, kind, size in database.fetch(_LISTING_SQL, [project_id]):
            listing.setdefault(schema, []).append((name, kind, size))
        cached = _catalog_listings[project_id] = (snapshot, listing)
    return sorted(row for row in cached[1].get(dataset_id, ()) if table_id is None or row[0] == table_id)


database.objects = _objects

# Patch 2: scripting `SET (a[, b]) = (SELECT AS STRUCT x[, y] ...)`, which dbt-bigquery's dynamic
# insert_overwrite emits, fails with "Undeclared variable: ". Run it as one
# `SET a = (SELECT x ...)` per variable instead (same result for these statements).
_orig_set = script.Interpreter.set


def _set(self, statement):
    tree = sqlglot.parse_one(statement.text, dialect=BigQueryDialect)
    items = tree.expressions
    if len(items) == 1:
        target, value = items[0].this.this, items[0].this.expression
        names = ([target.this] if isinstance(target, exp.Paren)
                 else list(target.expressions) if isinstance(target, exp.Tuple) else None)
        select = value.this if isinstance(value, exp.Subquery) else None
        if (names and isinstance(select, exp.Select) and select.args.get("kind") == "STRUCT"
                and len(select.expressions) == len(names)):
            for index, name in enumerate(names):
                single = select.copy()
                single.set("kind", None)
                single.set("expressions", [single.expressions[index]])
                self.assign(self.variable(name.name), exp.Subquery(this=single))
            return
    return _orig_set(self, statement)


script.Interpreter.set = _set

if __name__ == "__main__":
    from local_bigquery.cli import main

    main(sys.argv[1:])
EOF

find_python() {
  local c v
  for c in "${BQ_EMULATOR_PYTHON:-}" python3.13 python3.14 \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.14*/bin/python /usr/bin/python3.13; do
    [ -n "$c" ] || continue
    command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || continue
    # pyenv shims exist for versions that are not active; run them to be sure
    v="$("$c" -c 'import sys; print("%d.%d %s" % (*sys.version_info[:2], sys.executable))' 2>/dev/null)" || continue
    case "${v%% *}" in 3.13|3.14|3.15) echo "${v#* }"; return 0 ;; esac
  done
  return 1
}

stamp_value() {
  printf 'v3\n%s\n%s\n' "$REQUIREMENTS" "$LAUNCHER_PY" | sha256sum | cut -d' ' -f1
}

is_installed() {
  [ -x "$VENV/bin/python" ] && [ -f "$LAUNCHER" ] && [ -f "$STAMP" ] \
    && [ "$(cat "$STAMP")" = "$(stamp_value)" ] \
    && "$VENV/bin/python" -c 'import importlib.util as u, sys; sys.exit(not (u.find_spec("local_bigquery") and u.find_spec("duckdb")))' >/dev/null 2>&1
}

link_extensions() {
  local platform site ext src dest
  platform="$("$VENV/bin/python" -c 'import duckdb; print(duckdb.sql("PRAGMA platform").fetchone()[0])')"
  site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  dest="$DUCKDB_HOME/.duckdb/extensions/v$DUCKDB_VERSION/$platform"
  mkdir -p "$dest"
  for ext in ducklake icu spatial; do
    src="$site/duckdb_extension_$ext/extensions/v$DUCKDB_VERSION/$ext.duckdb_extension"
    [ -f "$src" ] || { echo "bq_emulator: missing $src" >&2; exit 1; }
    ln -sfn "$src" "$dest/$ext.duckdb_extension"
  done
}

cmd_install() {
  if is_installed; then
    echo "bq_emulator: already installed in $VENV"
    return 0
  fi
  local py start
  start=$(date +%s)
  py="$(find_python)" || {
    echo "bq_emulator: need CPython >= 3.13 (local-bigquery requires it); set BQ_EMULATOR_PYTHON" >&2
    exit 1
  }
  echo "bq_emulator: installing local-bigquery 0.3.2 into $VENV with $py"
  local req="$(mktemp)"
  printf '%s\n' "$REQUIREMENTS" > "$req"
  if command -v uv >/dev/null 2>&1; then
    [ -x "$VENV/bin/python" ] || uv venv -q -p "$py" "$VENV"
    uv pip install -q --python "$VENV/bin/python" -r "$req"
  else
    [ -x "$VENV/bin/python" ] || "$py" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
  fi
  rm -f "$req"
  # Start-up is ~3 s with .pyc files and ~6 s without; PYTHONDONTWRITEBYTECODE is often set, so
  # they would never be written at run time. (uv skips --compile-bytecode for already-installed
  # packages, so compile explicitly.)
  "$VENV/bin/python" -m compileall -q -j 0 \
    "$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null || true
  printf '%s\n' "$LAUNCHER_PY" > "$LAUNCHER"
  printf '*\n' > "$VENV/.gitignore"
  link_extensions
  # Smoke check: the three extensions load offline with HOME pointing at the private DuckDB home.
  HOME="$DUCKDB_HOME" "$VENV/bin/python" - <<'EOF'
import duckdb
con = duckdb.connect(config={"TimeZone": "UTC"})
for ext in ("ducklake", "spatial"):
    con.execute(f"LOAD {ext}")
EOF
  "$VENV/bin/python" -c "import ast,sys; ast.parse(open(sys.argv[1]).read())" "$LAUNCHER"
  stamp_value > "$STAMP"
  echo "bq_emulator: installed in $(( $(date +%s) - start ))s"
}

cmd_serve() {
  is_installed || { echo "bq_emulator: not installed; run scripts/bq_emulator.sh install" >&2; exit 1; }
  local port=9050 grpc_port=9060 project=measure-test data_dir=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --port) port="$2"; shift 2 ;;
      --grpc-port) grpc_port="$2"; shift 2 ;;
      --project) project="$2"; shift 2 ;;
      --data-dir) data_dir="$2"; shift 2 ;;
      *) echo "bq_emulator: unknown option $1" >&2; exit 2 ;;
    esac
  done
  [ -n "$data_dir" ] || data_dir="$(mktemp -d /tmp/bq-emulator.XXXXXX)"
  echo "bq_emulator: http://127.0.0.1:$port (project $project, data $data_dir)" >&2
  exec env HOME="$DUCKDB_HOME" "$VENV/bin/python" "$LAUNCHER" serve --host 127.0.0.1 \
    --port "$port" --grpc-port "$grpc_port" --project "$project" --data-dir "$data_dir"
}

case "${1:-}" in
  install) cmd_install ;;
  serve) shift; cmd_serve "$@" ;;
  check) if is_installed; then echo "bq_emulator: installed in $VENV"; else echo "bq_emulator: not installed" >&2; exit 1; fi ;;
  clean) rm -rf "$VENV" ;;
  *) echo "usage: $0 {install|serve [--port N] [--grpc-port N] [--project P] [--data-dir D]|check|clean}" >&2; exit 2 ;;
esac

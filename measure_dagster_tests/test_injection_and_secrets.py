"""Injection: everything that reaches SQL (partition keys, run config, dbt vars, environment
values, file paths from MEASURE_EVENTS_PATH) is validated or passed as data: crafted values are
refused before any SQL runs, or arrive as one string literal / one bound parameter.
Secrets: a dummy service-account key (in a key file and base64 in an env var) never shows in
what Dagster shows or logs, in error messages, or in dbt's output, logs and artifacts (dbt
reading the key for real: signing token requests with it, against the BigQuery emulator). The
webserver binds to 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import pytest
import sqlglot
from sqlglot import exp

from measure_dagster import settings
from measure_dagster.definitions import defs
from measure_dagster.defs.schedules.jobs import measure_daily_job
from measure_dagster.settings import DBT_PROJECT_DIR, REPO_ROOT
from measure_dagster_tests import crafted_events as crafted
from measure_dagster_tests.pipeline import assert_success, query, run_days

RAW = dg.AssetKey(["raw", "events"])
DBT = str(Path(sys.executable).with_name("dbt"))
PAYLOAD = "x'); drop table raw.events; --\\' or ''='"
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "http_proxy": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


def _raw_count(path) -> int:
    return query(path, "select count(*) as n from raw.events")[0]["n"]


# ---------------------------------------------------------------------------------------------
# injection

def test_crafted_partition_keys_and_run_config_never_reach_sql(warehouse_path, dagster_instance, monkeypatch):
    monkeypatch.setenv("MEASURE_SAMPLE_EVENTS_PER_DAY", "50")
    assert_success(run_days(dagster_instance, "2026-10-05", asset_selection=[RAW]))
    before = _raw_count(warehouse_path)
    job = defs.resolve_job_def(measure_daily_job.name)

    for key in ("2026-10-05'; drop table raw.events; --", "2026-10-05 or 1=1", "2026-10-05\n--", "../../etc/passwd"):
        with pytest.raises(Exception, match="(?i)partition"):
            job.execute_in_process(instance=dagster_instance, partition_key=key, asset_selection=[RAW])
    with pytest.raises(Exception, match="does not match format"):
        run_days(dagster_instance, "2026-10-05", "2026-10-06'; drop table raw.events; --", asset_selection=[RAW])

    for config in ({"events_per_day": "1; drop table raw.events"}, {"seed": "1 or 1=1"}, {"allow_empty": "true; --"},
                   {"events_per_day": -1}):
        # refused by the config schema before the run, or by the typed config before the asset's body
        try:
            result = run_days(dagster_instance, "2026-10-05", asset_selection=[RAW],
                              run_config={"ops": {"raw__events": {"config": config}}})
        except dg.DagsterInvalidConfigError:
            continue
        [failure] = [e for e in result.all_events if e.is_step_failure]
        assert "validation error for RawEventsConfig" in str(failure.event_specific_data.error), config
    assert _raw_count(warehouse_path) == before


def test_an_events_path_full_of_sql_is_only_a_path(warehouse_path, dagster_instance, tmp_path, monkeypatch):
    folder = crafted.write_ndjson(tmp_path / "it's; drop table raw.events; --" / "x' or '1'='1")
    monkeypatch.setenv("MEASURE_EVENTS_PATH", str(folder))
    assert_success(run_days(dagster_instance, crafted.DAY1, crafted.DAY2, asset_selection=[RAW]))
    assert _raw_count(warehouse_path) == crafted.RAW_ROWS_WITH_TIMESTAMP
    sources = {r["source_file"] for r in query(warehouse_path, "select source_file from raw.events_rejected")}
    assert sources == {str(folder / "events-000.json")}


def test_crafted_environment_values_are_refused(monkeypatch):
    crafted_values = {
        "MEASURE_PARTITIONS_START": ("2026-10-01'; drop table raw.events; --", settings.partitions_start),
        "MEASURE_SAMPLE_EVENTS_PER_DAY": ("10; drop table raw.events", settings.sample_events_per_day),
        "MEASURE_TARGET": ("local; drop table raw.events", settings.target),
        "MEASURE_DUCKDB_LOCK_TIMEOUT_SECONDS": ("1; --", settings.duckdb_lock_timeout_seconds),
        "MEASURE_DUCKDB_PATH": ('/tmp/x"; drop table raw.events; --.duckdb', settings.duckdb_path),
        # dbt-duckdb pastes the profile's settings into SET statements
        "MEASURE_DUCKDB_MEMORY_LIMIT": ("3GB'; drop table raw.events; --", settings.validate_duckdb_memory_limit),
    }
    for name, (value, read) in crafted_values.items():
        monkeypatch.setenv(name, value)
        with pytest.raises(ValueError, match=name):
            read()
        monkeypatch.undo()
    for size in ("3GB", "512MiB", "2.5 GB"):
        monkeypatch.setenv("MEASURE_DUCKDB_MEMORY_LIMIT", size)
        settings.validate_duckdb_memory_limit()
    monkeypatch.delenv("MEASURE_DUCKDB_MEMORY_LIMIT")
    # BigQuery names become identifiers in dbt's SQL: refused by name, the value not repeated
    for name, value in (("MEASURE_BQ_RAW_DATASET", "measure_js`; drop table x; --"), ("MEASURE_BQ_PROJECT", "p`.`d"),
                        ("MEASURE_BQ_DATASET", "analytics; select 1"), ("MEASURE_BQ_LOCATION", "US' --")):
        monkeypatch.setenv(name, value)
        with pytest.raises(ValueError, match=name) as error:
            settings.MeasureSettings.from_env()
        assert value not in str(error.value)
        monkeypatch.delenv(name)
    # the collector's table for Dagster's own BigQuery queries: a quoted identifier, or refused
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    from measure_dagster.raw.bigquery import quoted_table

    client = bigquery.Client(project="measure-test", credentials=AnonymousCredentials())
    assert quoted_table(client, "measure-test.measure_js.events") == "`measure-test.measure_js.events`"
    with pytest.raises(ValueError):
        quoted_table(client, "measure-test.measure_js`; drop table x; --.events")


def _dbt(args: list[str], target_path: Path, env: dict | None = None) -> subprocess.Popen:
    """dbt with its own target and log paths (the shared partial-parse state stays as it is)."""
    return subprocess.Popen([DBT, *args, "--profiles-dir", ".", "--target-path", str(target_path), "--log-path", str(target_path)],
                            cwd=DBT_PROJECT_DIR, env=env or os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _string_literals(sql: str, dialect: str) -> set[str]:
    """The string literals of compiled SQL, which must be one statement."""
    statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    assert len(statements) == 1, "the compiled model is more than one statement"
    return {literal.this for literal in statements[0].find_all(exp.Literal) if literal.is_string}


def test_crafted_dbt_vars_are_refused_or_one_string_literal(tmp_path):
    processes = {
        # the bot pattern: pasted into SQL through string_literal, so it stays one literal
        "pattern": _dbt(["compile", "--select", "events_cleaned", "--vars", json.dumps({"bot_user_agent_pattern": PAYLOAD})],
                        tmp_path / "pattern"),
        # the partition window: dates only
        "window": _dbt(["compile", "--select", "events_cleaned", "--vars",
                        json.dumps({"partition_start": "2026-10-05' or 1=1 --", "partition_end": "2026-10-06"})], tmp_path / "window"),
        # numbers pasted into SQL and test configs: whole numbers only
        "number": _dbt(["compile", "--select", "events_quarantine_rows", "--vars", json.dumps({"quarantine_warn_rows": "0 or 1=1"})],
                       tmp_path / "number"),
        # Dagster's window flags are dates (strftime); by hand, dbt's own option parsing refuses others
        "flag": _dbt(["compile", "--select", "events_cleaned", "--event-time-start", "2026-10-05'; drop table raw.events; --",
                      "--event-time-end", "2026-10-06"], tmp_path / "flag"),
    }
    outputs = {name: (p.communicate(timeout=300)[0], p.returncode) for name, p in processes.items()}

    output, code = outputs["pattern"]
    assert code == 0, output[-3000:]
    compiled = (tmp_path / "pattern" / "compiled" / "measure_js" / "models" / "staging" / "events_cleaned.sql").read_text()
    assert PAYLOAD.lower() in _string_literals(compiled, "duckdb")

    output, code = outputs["window"]
    assert code != 0 and "var partition_start must be a date YYYY-MM-DD" in output
    output, code = outputs["number"]
    assert code != 0 and "var quarantine_warn_rows must be a whole number >= 0" in output
    output, code = outputs["flag"]
    assert code != 0 and "event-time-start" in output and "drop table" not in "".join(
        p.read_text(errors="replace") for p in (tmp_path / "flag").rglob("*.sql"))


# ---------------------------------------------------------------------------------------------
# secrets

def _fake_service_account() -> dict:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    return {
        "type": "service_account", "project_id": "measure-secret-test", "private_key_id": "0123456789abcdef" * 2 + "feedface",
        "private_key": pem, "client_email": "pipeline@measure-secret-test.iam.gserviceaccount.com", "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
    }


def _secret_fragments(key: dict, encoded: str) -> list[str]:
    body = [line for line in key["private_key"].splitlines() if "PRIVATE KEY" not in line]
    return ["PRIVATE KEY", key["private_key_id"], *body[1:-1:4], encoded[:48], encoded[200:248], "\\nMII"]


SECRETS_PROBE = textwrap.dedent("""
    import base64, json, os
    import dagster as dg
    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster._serdes import serialize_value
    from dagster_gcp import BigQueryResource

    from measure_dagster.definitions import defs
    from measure_dagster.defs.resources.definitions import build_resources
    from measure_dagster.settings import MeasureSettings

    # what the webserver receives: assets, metadata, checks, jobs, resources and their config
    print(serialize_value(RepositorySnap.from_def(defs.get_repository_def())))
    resources = build_resources(MeasureSettings.from_env())
    print(resources)

    @dg.asset
    def uses_the_key(bigquery: BigQueryResource):
        with bigquery.get_client() as client:  # no network: only the credentials are read
            print("client for", client.project, type(client._credentials).__name__)

    # the key in use, then damaged keys: Dagster's events and error messages must not quote them
    key = os.environ["MEASURE_BQ_GCP_CREDENTIALS"]
    damaged_pem = dict(json.loads(base64.b64decode(key)))
    damaged_pem["private_key"] = damaged_pem["private_key"][:-300] + "-----END PRIVATE KEY-----\\n"
    for variant in (key, key[:-7], base64.b64encode(base64.b64decode(key)[:-40]).decode(),
                    base64.b64encode(json.dumps(damaged_pem).encode()).decode()):
        os.environ["MEASURE_BQ_GCP_CREDENTIALS"] = variant
        result = dg.materialize([uses_the_key], resources={"bigquery": resources["bigquery"]}, raise_on_error=False)
        print("success" if result.success else "failure")
        for event in result.all_events:
            print(event.message)
            if event.is_step_failure:
                print(event.event_specific_data.error.to_string())
    print("probe done")
""")



def test_keys_never_show_in_what_dagster_prints(tmp_path):
    key = _fake_service_account()
    keyfile = tmp_path / "service-account.json"
    keyfile.write_text(json.dumps(key))
    encoded = base64.b64encode(json.dumps(key).encode()).decode()
    env = {**os.environ, **OFFLINE, "MEASURE_TARGET": "dev", "MEASURE_BQ_PROJECT": "measure-secret-test", "MEASURE_BQ_LOCATION": "europe-west1",
           "MEASURE_BQ_KEYFILE": str(keyfile), "MEASURE_BQ_GCP_CREDENTIALS": encoded, "DAGSTER_HOME": str(tmp_path / "home")}
    env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
    (tmp_path / "home").mkdir()

    probe = subprocess.run([sys.executable, "-c", SECRETS_PROBE], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
    probe_output = probe.stdout
    assert "probe done" in probe_output and "client for measure-secret-test" in probe_output, probe_output[-3000:]
    assert probe_output.count("\nfailure\n") == 3  # the damaged keys failed
    for fragment in _secret_fragments(key, encoded):
        assert fragment not in probe_output, f"secret fragment {fragment[:12]}... in what Dagster shows or raises"


class TokenEndpoint:
    """Google's OAuth token endpoint, played on 127.0.0.1: a service-account key's `token_uri`
    pointing here receives the JWT that google-auth signs with the key's private key, and answers
    with an access token."""

    ACCESS_TOKEN = "ya29.measure-secret-access-token-0123456789"

    def __init__(self) -> None:
        import http.server
        import threading
        import urllib.parse

        self.assertions: list[str] = []
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                endpoint.assertions += form.get("assertion", [])
                body = json.dumps({"access_token": endpoint.ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _signed_by(assertion: str, key: dict) -> dict:
    """The claims of a JWT (RS256) after checking its signature against the key's public key."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    def decoded(part: str) -> bytes:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

    header, payload, signature = assertion.split(".")
    public_key = serialization.load_pem_private_key(key["private_key"].encode(), password=None).public_key()
    public_key.verify(decoded(signature), f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())  # raises if not
    assert json.loads(decoded(header))["alg"] == "RS256"
    return json.loads(decoded(payload))


def test_the_key_dbt_reads_never_shows_in_its_output_logs_or_artifacts(tmp_path):
    """dbt for the dev target (service account, MEASURE_BQ_KEYFILE) really reads the key: it signs
    the token request with it, and talks to BigQuery (the emulator, BIGQUERY_EMULATOR_HOST) with
    the token it gets. `dbt debug` tests the connection; `dbt compile`, with introspection, builds
    the bot pattern payload into BigQuery SQL. Neither the key nor the token shows in their output,
    log files or artifacts."""
    from measure_dagster_tests.bigquery_emulator import running_emulator, skip_reason

    if reason := skip_reason():
        pytest.skip(reason)
    token_endpoint = TokenEndpoint()
    key = {**_fake_service_account(), "token_uri": token_endpoint.url}
    keyfile = tmp_path / "service-account.json"
    keyfile.write_text(json.dumps(key))
    encoded = base64.b64encode(json.dumps(key).encode()).decode()
    try:
        with running_emulator(project="measure-secret-test", dataset_names=("analytics_dev_staging",)) as emulator:
            env = {**os.environ, **OFFLINE, "MEASURE_TARGET": "dev", "MEASURE_BQ_METHOD": "service-account",
                   "MEASURE_BQ_PROJECT": "measure-secret-test", "MEASURE_BQ_LOCATION": "europe-west1",
                   "MEASURE_BQ_KEYFILE": str(keyfile), "BIGQUERY_EMULATOR_HOST": emulator.api_endpoint}
            for name in ("GOOGLE_APPLICATION_CREDENTIALS", "MEASURE_BQ_GCP_CREDENTIALS", "MEASURE_BQ_DATASET"):
                env.pop(name, None)
            debug = subprocess.run([DBT, "debug", "--target", "dev", "--profiles-dir", ".", "--log-path", str(tmp_path / "dbt-debug")],
                                   cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300, check=False)
            compile_dev = _dbt(["compile", "--target", "dev", "--select", "events_cleaned",
                                "--vars", json.dumps({"bot_user_agent_pattern": PAYLOAD})], tmp_path / "dbt-compile", env)
            compile_output = compile_dev.communicate(timeout=300)[0]
    finally:
        token_endpoint.close()

    debug_output = debug.stdout + debug.stderr
    assert debug.returncode == 0 and "All checks passed!" in debug_output, debug_output[-3000:]
    assert compile_dev.returncode == 0, compile_output[-3000:]
    # the key was read and used: every token request carries a JWT its private key signed
    assert len(token_endpoint.assertions) >= 2  # one per dbt process at least
    for assertion in token_endpoint.assertions:
        claims = _signed_by(assertion, key)
        assert claims["iss"] == key["client_email"] and "bigquery" in claims["scope"], claims

    written = "".join(p.read_text(errors="replace") for folder in ("dbt-debug", "dbt-compile")
                      for p in (tmp_path / folder).rglob("*") if p.is_file() and p.suffix != ".msgpack")
    assert "events_cleaned" in written  # the log files and artifacts are there to search
    secrets = [*_secret_fragments(key, encoded), TokenEndpoint.ACCESS_TOKEN, *token_endpoint.assertions]
    for fragment in secrets:
        for what, text in (("output", debug_output + compile_output), ("log files and artifacts", written)):
            assert fragment not in text, f"secret {fragment[:12]}... in dbt's {what}"
    # and the payload reached BigQuery SQL as one string literal
    compiled = next((tmp_path / "dbt-compile" / "compiled").rglob("events_cleaned.sql")).read_text()
    assert PAYLOAD.lower() in _string_literals(compiled, "bigquery")


def test_the_webserver_binds_to_localhost_unless_told_otherwise():
    dry_run = subprocess.run(["make", "-n", "dev"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    [command] = [line for line in dry_run.splitlines() if "dagster dev" in line]
    assert " -h 127.0.0.1 " in f"{command} "
    told = subprocess.run(["make", "-n", "dev", "HOST=0.0.0.0"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    assert " -h 0.0.0.0 " in f"{told} "

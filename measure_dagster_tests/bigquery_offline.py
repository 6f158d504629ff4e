"""dbt against BigQuery with no network: credentials that never reach Google, and dbt runs whose
calls to Google's endpoints fail at once (the emulator on 127.0.0.1 is reached directly)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

DBT = str(Path(sys.executable).with_name("dbt"))
# Nothing may leave the machine: Google's endpoints are unreachable through this proxy (the
# discard port refuses at once), the emulator on 127.0.0.1 is reached directly.
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9",
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
# settings of the developer's own environment that must not leak into a test's dbt run
_BIGQUERY_ENVIRONMENT = ("GOOGLE_APPLICATION_CREDENTIALS", "BIGQUERY_EMULATOR_HOST", "MEASURE_BQ_GCP_CREDENTIALS",
                         "MEASURE_BQ_KEYFILE", "MEASURE_BQ_METHOD", "MEASURE_BQ_DATASET", "MEASURE_BQ_LOCATION",
                         "DBT_TARGET_PATH", "DBT_LOG_PATH")


def offline_environment(**values: str) -> dict[str, str]:
    env = {**os.environ, **OFFLINE, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **values}
    for name in _BIGQUERY_ENVIRONMENT:
        if name not in values:
            env.pop(name, None)
    return env


def run_checked(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    completed = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, f"{' '.join(args[:3])} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-2000:]}"
    return completed


def fake_service_account_key() -> dict:
    """A key file google-auth accepts (its private key must parse); it never reaches Google."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {
        "type": "service_account", "project_id": "measure-offline", "private_key_id": "0" * 40,
        "private_key": pem.decode(), "client_email": "dbt@measure-offline.iam.gserviceaccount.com",
        "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token",
    }


def static_token_credentials() -> str:
    """MEASURE_BQ_GCP_CREDENTIALS for the emulator: base64 credentials (as dagster-gcp takes a key)
    holding a token valid until 2099, so google-auth never asks Google for one."""
    info = {"type": "authorized_user", "client_id": "offline", "client_secret": "offline",
            "refresh_token": "offline", "token": "dummy", "expiry": "2099-01-01T00:00:00Z"}
    return base64.b64encode(json.dumps(info).encode()).decode()


def emulator_environment(emulator, target_dir: Path, **values: str) -> dict[str, str]:
    """MEASURE_TARGET=emulator for dbt (profiles.yml) and Dagster alike, offline; dbt's artefacts
    (and partial-parse state) in target_dir, never in dbt_project/target; every statement dbt
    sends logged as JSON events to target_dir/dbt.log (the GoogleSQL gate reads them)."""
    return offline_environment(
        MEASURE_TARGET="emulator",
        MEASURE_BQ_PROJECT=emulator.project,
        BIGQUERY_EMULATOR_HOST=emulator.api_endpoint,
        MEASURE_BQ_GCP_CREDENTIALS=static_token_credentials(),
        DBT_TARGET_PATH=str(target_dir),
        DBT_LOG_PATH=str(target_dir),
        DBT_LOG_FORMAT_FILE="json",
        **values,
    )


def compile_offline(project_dir: Path, work: Path, target: str, extra_args: list[str] = (), **env: str) -> dict:
    """`dbt compile` of every node for a BigQuery target (service account, fake key) with no
    network; returns the manifest. dbt's artefacts go to `work`, never to project_dir/target."""
    keyfile = work / "service-account.json"
    if not keyfile.exists():
        keyfile.write_text(json.dumps(fake_service_account_key()))
    environment = offline_environment(MEASURE_TARGET=target, MEASURE_BQ_METHOD="service-account",
                                      MEASURE_BQ_KEYFILE=str(keyfile), MEASURE_BQ_PROJECT="measure-offline",
                                      MEASURE_BQ_LOCATION="europe-west1", **env)
    target_path = work / "target"
    run_checked([DBT, "compile", "--no-introspect", "--no-populate-cache", "--profiles-dir", ".", "--target", target,
                 "--target-path", str(target_path), "--log-path", str(work / "logs"), *extra_args],
                environment, project_dir, timeout=180)
    return json.loads((target_path / "manifest.json").read_text())


def prepare_target_manifest() -> None:
    """`dbt parse` for MEASURE_TARGET into DBT_TARGET_PATH, where the code location reads its
    manifest (settings.dbt_target_path), as a deployment prepares it (`make manifest` with
    MEASURE_TARGET set): the manifest's relation names are the target's. For the runners that load
    the code location for an emulator target in a process of their own."""
    from measure_dagster.settings import DBT_PROJECT_DIR

    run_checked([DBT, "parse", "--quiet", "--profiles-dir", ".", "--target", os.environ["MEASURE_TARGET"]],
                dict(os.environ), DBT_PROJECT_DIR, timeout=300)

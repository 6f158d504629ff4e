"""Run the offline BigQuery emulator (local-bigquery, installed by `scripts/bq_emulator.sh install`).

    from measure_dagster_tests.bigquery_emulator import running_emulator, skip_reason

    if reason := skip_reason():
        pytest.skip(reason)
    with running_emulator(project="measure-test", dataset_names=("raw", "analytics")) as emu:
        client = emu.client()                      # google-cloud-bigquery Client, no credentials
        profile = emu.dbt_output(dataset="analytics")  # dbt-bigquery target (method oauth-secrets)

The emulator runs as a subprocess of its own venv (.venv-bqemu/, Python 3.13) on free 127.0.0.1
ports, with an empty data directory that is removed afterwards. It starts in about 5-8 s (most of
it DuckDB loading the spatial and ducklake extensions on the first request) and uses ~300 MB RSS.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
INSTALL_SCRIPT = PROJECT_ROOT / "scripts" / "bq_emulator.sh"
EMULATOR_VENV = Path(os.environ.get("BQ_EMULATOR_VENV", PROJECT_ROOT / ".venv-bqemu"))
EMULATOR_PYTHON = EMULATOR_VENV / "bin" / "python"
LAUNCHER = EMULATOR_VENV / "launch_local_bigquery.py"
DUCKDB_HOME = EMULATOR_VENV / "duckdb-home"
STAMP = EMULATOR_VENV / ".bq_emulator_installed"

# Settings local-bigquery reads from the environment; the CLI flags we pass cover the rest.
_EMULATOR_ENV_VARS = ("CALLER", "GROUPS", "POSTGRES_URI", "POSTGRES_CONNECTION_ID",
                      "GCS_LOCAL_ROOT", "STORAGE_EMULATOR_HOST", "DEFAULT_DATASET_ID")


class EmulatorNotInstalled(RuntimeError):
    pass


class EmulatorFailedToStart(RuntimeError):
    pass


@dataclass(frozen=True)
class EmulatorInfo:
    api_endpoint: str  # e.g. http://127.0.0.1:40123 (REST; what client_options/api_endpoint take)
    project: str
    grpc_address: str  # Storage Read/Write API, plain gRPC (insecure channel)
    data_dir: Path
    log_path: Path
    pid: int

    def client(self, project: str | None = None):
        """A google-cloud-bigquery Client pointed at the emulator, with anonymous credentials."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=project or self.project,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.api_endpoint},
        )

    def dbt_output(self, dataset: str, threads: int = 2, **extra: Any) -> dict[str, Any]:
        """A dbt-bigquery profile target for this emulator (put it under profiles.yml outputs).

        `oauth-secrets` with a static token makes google-auth send `Authorization: Bearer dummy`
        and never call a token endpoint; dbt-bigquery passes `api_endpoint` to the client's
        ClientOptions (dbt/adapters/bigquery/clients.py).
        """
        return {
            "type": "bigquery",
            "method": "oauth-secrets",
            "token": "dummy",
            "project": self.project,
            "dataset": dataset,
            "api_endpoint": self.api_endpoint,
            "location": "US",
            "threads": threads,
            "job_retries": 0,
            "job_execution_timeout_seconds": 300,
            "priority": "interactive",
            **extra,
        }

    def create_dataset(self, dataset: str, project: str | None = None) -> None:
        _create_dataset(self.api_endpoint, project or self.project, dataset)


def skip_reason() -> str | None:
    """None when the emulator is installed, else a message saying how to install it."""
    missing = [p for p in (EMULATOR_PYTHON, LAUNCHER, STAMP) if not p.exists()]
    if missing:
        return (f"BigQuery emulator not installed ({missing[0]} missing); "
                f"run `{INSTALL_SCRIPT.relative_to(PROJECT_ROOT)} install`")
    return None


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for the emulator and the GoogleSQL analyzer)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(method: str, url: str, body: dict | None = None, timeout: float = 5.0) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        try:
            payload = json.loads(e.read() or b"{}")
        except ValueError:
            payload = {}
        return e.code, payload


def _create_dataset(endpoint: str, project: str, dataset: str) -> None:
    status, payload = _request(
        "POST", f"{endpoint}/bigquery/v2/projects/{project}/datasets",
        {"datasetReference": {"projectId": project, "datasetId": dataset}, "location": "US"},
        timeout=30,
    )
    if status not in (200, 409):
        raise RuntimeError(f"creating dataset {project}.{dataset} failed: {status} {payload}")


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the emulator and nothing else
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def running_emulator(
    project: str = "measure-test",
    dataset_names: Iterable[str] = (),
    *,
    startup_timeout: float = 90.0,
    data_dir: str | Path | None = None,
    keep_data: bool = False,
) -> Iterator[EmulatorInfo]:
    """Start the emulator on free 127.0.0.1 ports, wait until it answers, create the datasets,
    yield an EmulatorInfo, and stop it (and delete its temporary data dir) on exit."""
    if reason := skip_reason():
        raise EmulatorNotInstalled(reason)
    work = Path(tempfile.mkdtemp(prefix="bq-emulator-"))
    data = Path(data_dir) if data_dir else work / "data"
    log_path = work / "emulator.log"
    env = {k: v for k, v in os.environ.items() if k not in _EMULATOR_ENV_VARS}
    # DuckDB looks for extensions under $HOME/.duckdb; the install script linked PyPI's copies there.
    env["HOME"] = str(DUCKDB_HOME)
    proc = None
    try:
        for attempt in range(3):  # a free port can be taken between probing and binding
            port, grpc_port = free_port(), free_port()
            endpoint = f"http://127.0.0.1:{port}"
            with open(log_path, "ab") as log:
                proc = subprocess.Popen(
                    [str(EMULATOR_PYTHON), str(LAUNCHER), "serve", "--host", "127.0.0.1",
                     "--port", str(port), "--grpc-port", str(grpc_port),
                     "--project", project, "--data-dir", str(data)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    env=env, cwd=str(work), start_new_session=True,
                )
            deadline = time.monotonic() + startup_timeout
            ready = False
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    # The first request also opens the emulator's DuckDB catalog (the slow part).
                    status, _ = _request("GET", f"{endpoint}/bigquery/v2/projects/{project}/datasets",
                                         timeout=startup_timeout)
                    if status == 200:
                        ready = True
                        break
                except (urllib.error.URLError, ConnectionError, OSError):
                    pass
                time.sleep(0.1)
            if ready:
                break
            exited = proc.poll() is not None
            _stop(proc)
            log_tail = _tail(log_path)
            if exited and "address already in use" in log_tail.lower() and attempt < 2:
                continue
            raise EmulatorFailedToStart(
                f"BigQuery emulator did not become ready within {startup_timeout:.0f}s "
                f"(exit code {proc.returncode}); log {log_path}:\n{log_tail}")
        for dataset in dataset_names:
            _create_dataset(endpoint, project, dataset)
        yield EmulatorInfo(api_endpoint=endpoint, project=project,
                           grpc_address=f"127.0.0.1:{grpc_port}", data_dir=data,
                           log_path=log_path, pid=proc.pid)
    finally:
        if proc is not None:
            _stop(proc)
        if not keep_data:
            shutil.rmtree(work, ignore_errors=True)


def load_raw_events(client, table_ref: str, rows: Iterable[dict]) -> None:
    """Create the collector's table (bq_table_schema.json, DAY partitions on `timestamp`) and
    stream `rows` into it (insertAll), nested records and all; timestamps may be naive UTC
    datetimes or None, as crafted_events.crafted_rows() has them."""
    from google.cloud import bigquery

    from measure_dagster.raw import schema

    table = bigquery.Table(table_ref, schema=[bigquery.SchemaField.from_api_repr(f) for f in schema.bq_fields()])
    table.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY, field="timestamp")
    client.create_table(table)
    payload = [{**row, "timestamp": row["timestamp"].isoformat() + "Z" if row["timestamp"] else None} for row in rows]
    errors = client.insert_rows_json(table_ref, payload)
    if errors:
        raise RuntimeError(f"streaming into {table_ref} failed: {errors[:3]}")


if __name__ == "__main__":  # python -m measure_dagster_tests.bigquery_emulator: start, report, stop
    if reason := skip_reason():
        raise SystemExit(reason)
    t0 = time.monotonic()
    with running_emulator(dataset_names=("raw",)) as emu:
        print(f"ready in {time.monotonic() - t0:.1f}s at {emu.api_endpoint} (pid {emu.pid})")

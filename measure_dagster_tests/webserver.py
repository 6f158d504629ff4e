"""A `dagster-webserver` on 127.0.0.1 against a throwaway Dagster instance, for the browser test.

The instance launches runs itself: Dagster's default run coordinator queues runs for the daemon,
which nothing starts here, so the temporary dagster.yaml names the DefaultRunCoordinator (a run
launched from the UI starts at once, in a subprocess of the code server). The repo's
`duckdb` pool keeps its limit of 1 at op granularity, which the run worker enforces itself.
Daemon-only features (run monitoring, freshness) are left out.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
WEBSERVER = Path(sys.executable).with_name("dagster-webserver")

INSTANCE_YAML = """\
# temporary instance of the browser test (measure_dagster_tests/webserver.py)
run_coordinator:
  module: dagster._core.run_coordinator
  class: DefaultRunCoordinator
run_launcher:
  module: dagster
  class: DefaultRunLauncher
concurrency:
  pools:
    default_limit: 1
    granularity: op
telemetry:
  enabled: false
"""


@dataclass
class Webserver:
    url: str
    dagster_home: Path
    log_path: Path
    process: subprocess.Popen

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError as error:
            return f"(no webserver log: {error})"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _code_location_loaded(url: str) -> bool:
    """True once the webserver answers GraphQL and every workspace location is LOADED."""
    query = "{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"
    request = urllib.request.Request(
        f"{url}/graphql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read().decode())
    except (urllib.error.URLError, OSError, TimeoutError, ValueError):
        return False
    entries = ((body.get("data") or {}).get("workspaceOrError") or {}).get("locationEntries") or []
    if not entries or any(entry["loadStatus"] != "LOADED" for entry in entries):
        return False
    errors = [entry["locationOrLoadError"] for entry in entries if (entry["locationOrLoadError"] or {}).get("__typename") == "PythonError"]
    if errors:
        raise RuntimeError(f"the code location failed to load in the webserver: {errors[0].get('message', '')[:3000]}")
    return True


def _stop(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM, then SIGKILL, the webserver's process group (code server and run workers too)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


@contextmanager
def running_webserver(
    tmp_dir: Path, env: Mapping[str, str], unset: Iterable[str] = (), startup_timeout: float = 120.0
) -> Iterator[Webserver]:
    """Start dagster-webserver -w workspace.yaml (repo root) with `env` over os.environ, minus the
    variables in `unset`; wait until the code location is loaded; stop it (process group) on exit."""
    dagster_home = tmp_dir / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text(INSTANCE_YAML)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_dir / "webserver.log"
    full_env = {key: value for key, value in os.environ.items() if key not in set(unset)}
    full_env.update(env)
    full_env["DAGSTER_HOME"] = str(dagster_home)
    # dbt and dagster next to this interpreter, whatever PATH the test runner had
    full_env["PATH"] = f"{WEBSERVER.parent}{os.pathsep}{full_env.get('PATH', '')}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(WEBSERVER), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
            cwd=REPO_ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
    server = Webserver(url=url, dagster_home=dagster_home, log_path=log_path, process=process)
    try:
        deadline = time.monotonic() + startup_timeout
        while not _code_location_loaded(url):
            if process.poll() is not None:
                raise RuntimeError(f"dagster-webserver exited with {process.returncode}:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"dagster-webserver not ready at {url} after {startup_timeout:.0f}s:\n{server.log_tail()}")
            time.sleep(1.0)
        yield server
    finally:
        _stop(process)

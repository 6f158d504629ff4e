"""The Dagster UI in a real browser, after what `make dev` does first (the sample's whole graph
materialized through `measure-dagster materialize --if-missing`): the first screen, the asset
graph, shows the layers and models, materialized, their checks passing and their partitions
filled; and one partition materialized from the UI succeeds.

dagster-webserver (-w workspace.yaml, a temporary instance: measure_dagster_tests/webserver.py)
is driven by Debian's headless Chromium through Playwright (`executable_path`; Playwright's own
browser downloads fail here). `make test` installs Chromium (scripts/install_chromium.sh). Where
/usr/bin/chromium is missing the test is skipped with the reason, except on CI (CI or
MEASURE_REQUIRE_BROWSER set), where it must run and so fails.

Steps, each screenshotted into the test's tmp dir (paths printed on failure):
0. The sample (EVENTS_PER_DAY generated events a day, 2026-10-01 to yesterday) materialized
   through the project's CLI into the webserver's instance, as `make dev` does before the UI
   starts (its own time limit, SAMPLE_TIMEOUT_SECONDS, outside the UI budget).
1. Lineage page: the group nodes raw, staging, core, mart; with all groups expanded (the
   graph's ⌥E shortcut) the model nodes (events, events_cleaned, events_sessionated, sessions,
   users, clients, daily_performance); zoomed in until the nodes show their status, each
   node in view is materialized ("Materialized", or partitions "100% filled") with all its
   checks passed, and no asset of the page reads "Never materialized".
2. Asset raw/events → "Materialize…" → Custom partition 2026-10-05 → Config → "Add config"
   (`execution: {config: {in_process: {}}}`, see EXECUTOR_CONFIG) → "Launch 1 run": one run of
   the raw events step and its two checks for that day.
   With MEASURE_UI_MATERIALIZE=job: job measure_daily → "Materialize all…" → same dialog, the
   whole graph (every dbt model and check) for the day. Not the default: it took 2 min in
   process, over 3 min with the multiprocess executor, on 2 cores shared with other work.
3. Runs page → that run's page until its status reads Success (fails at once on Failure).
4. Jobs → erase_visitor → Launchpad: the config of one logged-in user of the sample typed into
   the editor → "Launch Run" → the run's page until Success; the user's rows are gone.
5. The DuckDB file holds raw events of every day of the sample (job: also daily_performance's
   rows), and the instance records the run, successful, for partition 2026-10-05, as the latest
   materialization of raw/events.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from measure_dagster_tests.conftest import WAREHOUSE, wipe_warehouse
from measure_dagster_tests.webserver import running_webserver

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
CLI = str(Path(sys.executable).with_name("measure-dagster"))
FIRST_DAY = "2026-10-01"
SAMPLE_TIMEOUT_SECONDS = float(os.environ.get("MEASURE_UI_SAMPLE_TIMEOUT") or 900)
LOCATION = "measure_dagster"
JOB = "measure_daily"
PARTITION = "2026-10-05"
GROUPS = ("raw", "staging", "core", "mart")
MODELS = ("events", "events_cleaned", "events_sessionated", "sessions", "users", "clients", "daily_performance")
EVENTS_PER_DAY = 200
ON_REQUEST = ("erasure_log", "retention_log")
# what the test materializes from the UI: "raw_events" (default) or "job" (the whole graph)
MATERIALIZE = os.environ.get("MEASURE_UI_MATERIALIZE", "raw_events")
# The run's executor: in_process (default) runs every step in the run's process, which loads
# the code location once; the job's own multiprocess executor starts a process per step, each
# loading it again (~25 s apiece on 2 busy cores). MEASURE_UI_EXECUTOR=multiprocess keeps it.
EXECUTOR_CONFIG = {
    "in_process": "execution: {config: {in_process: {}}}",
    "multiprocess": "",
}[os.environ.get("MEASURE_UI_EXECUTOR", "in_process")]
# The whole test, webserver start to DuckDB check, fits in this many seconds plus the sample's
# materialization (its own limit); every wait is bounded by what is left. The first-screen check
# zooms and waits for the nodes' status: 240 s, not 175, on 2 cores shared with other work; the
# erasure from the launchpad 150 s more.
BUDGET_SECONDS = float(os.environ.get("MEASURE_UI_TEST_BUDGET") or (390 if MATERIALIZE != "job" else 510))


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.start = time.monotonic()
        self.end = self.start + seconds

    def left(self, cap: float) -> float:
        """Seconds for the next wait: at most `cap`, at least 1, never past the deadline (+1)."""
        return max(1.0, min(cap, self.end - time.monotonic()))

    def left_ms(self, cap: float) -> float:
        return self.left(cap) * 1000

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def passed(self) -> bool:
        return time.monotonic() > self.end

    def extend(self, seconds: float) -> None:
        self.end += seconds


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = (
        f"BROWSER TEST NOT RUN: {CHROMIUM} is missing. Install Debian's `chromium` package "
        "(`make test` does it through scripts/install_chromium.sh: apt-get install chromium "
        "chromium-driver, as root); Playwright's own browser downloads do not work here."
    )
    if os.environ.get("CI") or os.environ.get("MEASURE_REQUIRE_BROWSER"):
        pytest.fail(message + " CI (CI or MEASURE_REQUIRE_BROWSER set) installs Chromium, so there the test must run.")
    pytest.skip(message)


def test_asset_graph_and_one_partition_materialized_from_the_ui(tmp_path):
    require_chromium()
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError as error:
        pytest.fail(f"BROWSER TEST NOT RUN: the Python package playwright is missing ({error}); it is in the `test` extra (make install)")

    deadline = Deadline(BUDGET_SECONDS)
    screenshots_dir = tmp_path / "screenshots"
    screenshots_dir.mkdir()
    shots: list[Path] = []

    wipe_warehouse()
    env = {
        "MEASURE_DUCKDB_PATH": str(WAREHOUSE),
        "MEASURE_PARTITIONS_START": FIRST_DAY,
        "MEASURE_SAMPLE_EVENTS_PER_DAY": str(EVENTS_PER_DAY),
        "MEASURE_TARGET": "local",
    }
    # generated sample data; not `dagster dev` (whose DbtProject.prepare_if_dev re-parses dbt)
    unset = ("MEASURE_EVENTS_PATH", "DAGSTER_IS_DEV_CLI")

    with running_webserver(tmp_path / "webserver", env, unset=unset, startup_timeout=deadline.left(90)) as server:
        deadline.extend(_materialize_sample(server.dagster_home, env, unset))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=deadline.left_ms(60))
            context = browser.new_context(viewport={"width": 1600, "height": 1400})
            # the "Join the Dagster community" dialog the UI shows on localhost, dismissed in advance
            context.add_init_script("window.localStorage.setItem('communityNux', '\"1\"')")
            page = context.new_page()

            def shot(name: str) -> Path:
                path = screenshots_dir / f"{len(shots) + 1:02d}-{name}.png"
                page.screenshot(path=str(path), full_page=False, timeout=30_000)
                shots.append(path)
                print(f"[{deadline.elapsed():5.0f}s] {path}")
                return path

            try:
                run_id = _drive_ui(page, expect, server.url, deadline, shot)
                erased_user = _a_logged_in_user()
                erase_run_id = _erase_from_the_launchpad(page, expect, server.url, erased_user, deadline, shot)
            except BaseException as error:
                details = [f"browser test failed after {deadline.elapsed():.0f}s at {page.url}"]
                try:
                    details.append(f"failure screenshot: {shot('failure')}")
                    html = screenshots_dir / "failure.html"
                    html.write_text(page.content())
                    details.append(f"failure page HTML: {html}")
                except Exception as shot_error:  # the browser itself may be gone
                    details.append(f"(no failure screenshot: {shot_error})")
                details.append("screenshots: " + ", ".join(str(p) for p in shots))
                details.append(f"webserver log: {server.log_path}\n--- its tail ---\n{server.log_tail()}")
                report = "\n".join(details)
                print(report)
                error.add_note(report)
                raise
            finally:
                browser.close()

        _check_instance(server.dagster_home, run_id)
        _check_erasure(server.dagster_home, erase_run_id, erased_user)
    _check_warehouse()
    print(f"browser test took {deadline.elapsed():.0f}s")


def _materialize_sample(dagster_home: Path, env: dict, unset) -> float:
    """What `make dev` does before the UI starts, into the webserver's instance; its seconds."""
    started = time.monotonic()
    run_env = {k: v for k, v in os.environ.items() if k not in unset} | env | {"DAGSTER_HOME": str(dagster_home)}
    completed = subprocess.run([CLI, "materialize", "--if-missing"], env=run_env, capture_output=True, text=True,
                               timeout=SAMPLE_TIMEOUT_SECONDS, check=False)
    assert completed.returncode == 0, f"measure-dagster materialize --if-missing failed:\n{completed.stdout[-3000:]}{completed.stderr[-3000:]}"
    seconds = time.monotonic() - started
    print(f"sample materialized in {seconds:.0f}s")
    return seconds


def _assert_nodes_show_materialized(page, expect, deadline: Deadline) -> list[str]:
    """Zoom into the expanded graph until its nodes show their status (far out they show only
    their names); every node in view must be materialized with all its checks passed."""
    full_nodes = page.locator("foreignObject:not(.group)").filter(has_text="Latest event")
    for _ in range(8):
        if full_nodes.count():
            break
        page.mouse.move(1000, 700)
        page.keyboard.down("Control")
        page.mouse.wheel(0, -150)
        page.wait_for_timeout(500)
        page.keyboard.up("Control")
        page.wait_for_timeout(1500)
    expect(full_nodes.first).to_be_visible(timeout=deadline.left_ms(30))
    page.wait_for_timeout(2000)  # the status fetches of the nodes now in view
    # the erasure and retention logs are materialized by their own jobs, on request: never at first
    texts = [text for node in full_nodes.all() if not any(log in (text := node.text_content() or "") for log in ON_REQUEST)]
    assert len(texts) >= 3, texts
    for text in texts:
        assert "Never materialized" not in text, text
        assert "Materialized" in text or "100% filled" in text, f"a node of the first screen is not materialized: {text}"
        checks = re.search(r"Asset checks\s*(\d+) / (\d+) Passed", text)
        assert checks and checks.group(1) == checks.group(2), f"a node of the first screen has checks not passed: {text}"
    never = page.locator("foreignObject:not(.group)").filter(has_text="Never materialized").all()
    never = [text for node in never if not any(log in (text := node.text_content() or "") for log in ON_REQUEST)]
    assert not never, f"assets of the graph are not materialized: {never}"
    return [text.split("Latest event")[0] for text in texts]


def _drive_ui(page, expect, url: str, deadline: Deadline, shot) -> str:
    # 1. the asset graph: one node per group (layer), then, expanded, one per model
    page.goto(f"{url}/asset-groups", timeout=deadline.left_ms(60))
    group_nodes = page.locator("foreignObject.group")
    for group in GROUPS:
        expect(group_nodes.filter(has=page.get_by_text(group, exact=True)).first).to_be_visible(timeout=deadline.left_ms(60))
    shot("asset-graph-groups")
    page.keyboard.press("Alt+e")  # "Expand all groups" (⌥E) of the graph's menu
    # the expanded graph outgrows the viewport, and nodes outside it are not rendered: zoom out
    # (ctrl + mouse wheel over the graph) so that every layer is in view
    page.mouse.move(1000, 500)
    page.keyboard.down("Control")
    page.mouse.wheel(0, 250)
    page.wait_for_timeout(500)
    page.keyboard.up("Control")
    model_nodes = page.locator("foreignObject:not(.group)")
    for model in MODELS:
        expect(model_nodes.filter(has=page.get_by_text(model, exact=True)).first).to_be_visible(timeout=deadline.left_ms(30))
    shot("asset-graph-models")
    # the first screen after the sample's materialization: materialized assets, checks passed
    materialized = _assert_nodes_show_materialized(page, expect, deadline)
    print(f"materialized on the first screen: {', '.join(materialized)}")
    shot("asset-graph-materialized")

    # 2. one partition launched from the asset's page (or the daily job's)
    if MATERIALIZE == "job":
        page.goto(f"{url}/locations/{LOCATION}/jobs/{JOB}", timeout=deadline.left_ms(60))
    else:
        page.goto(f"{url}/assets/raw/events", timeout=deadline.left_ms(60))
    # the button's accessible name starts with its icon's label: match its text
    materialize = page.get_by_role("button").filter(has_text=re.compile(r"^\s*Materialize"))
    materialize.first.click(timeout=deadline.left_ms(60))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=deadline.left_ms(60))
    dialog.get_by_role("button", name="Custom", exact=True).click(timeout=deadline.left_ms(30))
    partitions = dialog.get_by_placeholder("No matching partitions")
    if not partitions.count():  # once a selection exists the placeholder is gone
        partitions = dialog.locator("input[type=text]").first
    partitions.fill(PARTITION, timeout=deadline.left_ms(30))
    partitions.press("Enter")
    expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible(timeout=deadline.left_ms(30))
    if EXECUTOR_CONFIG:
        # Config → "Add config" → the config editor (CodeMirror): one line of run config
        dialog.get_by_text("Config", exact=True).click(timeout=deadline.left_ms(30))
        dialog.get_by_role("button", name="Add config").click(timeout=deadline.left_ms(30))
        editor = page.get_by_role("dialog").filter(has_text="Config Editor")
        editor.locator(".CodeMirror").first.click(timeout=deadline.left_ms(30))
        page.keyboard.insert_text(EXECUTOR_CONFIG)
        expect(editor.get_by_text("No errors", exact=True)).to_be_visible(timeout=deadline.left_ms(30))
        shot("run-config")
        editor.get_by_role("button", name="Save config").click(timeout=deadline.left_ms(30))
        expect(dialog.get_by_text("Config saved", exact=True)).to_be_visible(timeout=deadline.left_ms(30))
    launch = dialog.get_by_role("button", name="Launch 1 run")
    expect(launch).to_be_enabled(timeout=deadline.left_ms(30))
    shot("launch-dialog")
    launch.click(timeout=deadline.left_ms(30))
    expect(dialog).to_be_hidden(timeout=deadline.left_ms(60))
    shot("launched")

    # 3. the run, from the Runs page, until it succeeds
    page.goto(f"{url}/runs", timeout=deadline.left_ms(60))
    run_link = page.locator('a[href*="/runs/"]').first
    expect(run_link).to_be_visible(timeout=deadline.left_ms(60))
    expect(page.get_by_text(f"partition: {PARTITION}").first).to_be_visible(timeout=deadline.left_ms(30))
    shot("runs")
    run_path = run_link.get_attribute("href") or ""
    run_id = run_path.rstrip("/").rsplit("/", 1)[-1]
    assert re.fullmatch(r"[0-9a-f-]{36}", run_id), f"not a run link: {run_path!r}"
    _wait_for_success(page, expect, url, run_id, deadline, shot, f"{JOB} for {PARTITION}")
    shot("run-success")
    return run_id


def _wait_for_success(page, expect, url: str, run_id: str, deadline: Deadline, shot, what: str) -> None:
    page.goto(f"{url}/runs/{run_id}", timeout=deadline.left_ms(60))
    success = page.get_by_text("Success", exact=True)
    failure = page.get_by_text(re.compile(r"^(Failure|Canceled|Canceling)$"))
    last_shot = time.monotonic()
    while True:
        if success.count():
            break
        if failure.count():
            shot("run-failed")
            raise AssertionError(f"run {run_id} of {what} did not succeed: {failure.first.inner_text()}")
        if deadline.passed():
            shot("run-timeout")
            raise AssertionError(f"run {run_id} not successful within the test's budget of {BUDGET_SECONDS:.0f}s")
        if time.monotonic() - last_shot > 30:
            shot("run-in-progress")
            last_shot = time.monotonic()
        page.wait_for_timeout(2000)
    expect(success.first).to_be_visible(timeout=deadline.left_ms(10))


def _erase_from_the_launchpad(page, expect, url: str, user_id: str, deadline: Deadline, shot) -> str:
    """Jobs → erase_visitor → Launchpad: the typed config, one identifier; the run must succeed."""
    page.goto(f"{url}/locations/{LOCATION}/jobs/erase_visitor/playground", timeout=deadline.left_ms(60))
    editor = page.locator(".CodeMirror").first
    editor.click(timeout=deadline.left_ms(60))
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(f'ops: {{monitoring__erasure_log: {{config: {{user_id: "{user_id}"}}}}}}\n{EXECUTOR_CONFIG}')
    launch = page.get_by_role("button", name=re.compile("Launch Run"))
    expect(launch).to_be_enabled(timeout=deadline.left_ms(30))
    shot("erase-launchpad")
    launch.click(timeout=deadline.left_ms(30))
    page.wait_for_url(re.compile(r".*/runs/[0-9a-f-]{36}"), timeout=deadline.left_ms(60))
    run_id = page.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
    _wait_for_success(page, expect, url, run_id, deadline, shot, f"erase_visitor of {user_id}")
    shot("erase-success")
    return run_id


def _check_instance(dagster_home: Path, run_id: str) -> None:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None, f"run {run_id} not in the instance at {dagster_home}"
        assert run.status == dg.DagsterRunStatus.SUCCESS, run.status
        assert run.tags.get("dagster/partition") == PARTITION, run.tags
        if MATERIALIZE == "job":
            assert run.job_name == JOB, run.job_name
        else:
            assert run.asset_selection == {dg.AssetKey(["raw", "events"])}, run.asset_selection
        # the UI's run made the latest materialization of raw/events, for its partition
        [latest] = instance.fetch_materializations(dg.AssetKey(["raw", "events"]), limit=1).records
        assert (latest.partition_key, latest.run_id) == (PARTITION, run_id)


def _a_logged_in_user() -> str:
    with duckdb.connect(str(WAREHOUSE), read_only=True) as con:
        return con.execute("select min(user_id) from staging.events_cleaned where user_id is not null").fetchall()[0][0]


def _check_erasure(dagster_home: Path, run_id: str, user_id: str) -> None:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.job_name == "erase_visitor" and run.status == dg.DagsterRunStatus.SUCCESS, run
        assert run.run_config["ops"]["monitoring__erasure_log"]["config"] == {"user_id": user_id}
    with duckdb.connect(str(WAREHOUSE), read_only=True) as con:
        assert con.execute("select count(*) from raw.events where user_id = ?", [user_id]).fetchall()[0][0] == 0
        assert con.execute("select count(*) from staging.events_cleaned where user_id = ?", [user_id]).fetchall()[0][0] == 0
        assert con.execute("select status from monitoring.erasure_log").fetchall() == [("complete",)]


def _check_warehouse() -> None:
    first, yesterday = date.fromisoformat(FIRST_DAY), datetime.now(UTC).date() - timedelta(days=1)
    sample_days = [(first + timedelta(days=n)).isoformat() for n in range((yesterday - first).days + 1)]
    with duckdb.connect(str(WAREHOUSE), read_only=True) as con:
        days = dict(con.execute("select cast(timestamp as date)::varchar, count(*) from raw.events group by 1 order by 1").fetchall())
        assert list(days) == sample_days, days
        assert days[PARTITION] >= EVENTS_PER_DAY * 0.5, days
        performance = [d for (d,) in con.execute("select cast(date as varchar) from mart.daily_performance order by 1").fetchall()]
        assert performance == sample_days, performance

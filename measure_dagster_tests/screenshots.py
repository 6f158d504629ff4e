"""The README's pictures, taken by headless Chromium from a real UI (`make screenshots`):

    python -m measure_dagster_tests.screenshots docs/img

A throwaway instance and DuckDB file get what `make dev` does (the whole graph materialized
for every day of the sample) plus a backfill of one week through `measure-dagster materialize`;
then dagster-webserver (measure_dagster_tests/webserver.py) is photographed: the asset graph,
mart/daily_performance with its checks, and the backfill's run page. Each page is checked
before it is taken (materialized assets on the first screen, passing checks, a successful run),
so a picture of a broken UI is never saved.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from measure_dagster_tests.webserver import REPO_ROOT, running_webserver

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CLI = str(Path(sys.executable).with_name("measure-dagster"))
BACKFILL = ("2026-11-24", "2026-11-30")
MODELS = ("events_cleaned", "events_sessionated", "sessions", "daily_performance")


def _materialize(env: dict, *args: str) -> str:
    completed = subprocess.run([CLI, "materialize", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"measure-dagster materialize {' '.join(args)} failed:\n{completed.stdout[-3000:]}{completed.stderr[-3000:]}")
    return re.search(r"^UI: \S+/runs/(\S+)$", completed.stdout, re.MULTILINE).group(1)


def capture(out_dir: Path, work_dir: Path, events_per_day: int = 100) -> dict[str, Path]:
    from playwright.sync_api import expect, sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "MEASURE_DUCKDB_PATH": str(work_dir / "warehouse" / "measure.duckdb"),
        "MEASURE_SAMPLE_EVENTS_PER_DAY": str(events_per_day),
        "MEASURE_TARGET": "local",
    }
    unset = ("MEASURE_EVENTS_PATH", "DAGSTER_IS_DEV_CLI")
    shots: dict[str, Path] = {}
    with running_webserver(work_dir / "webserver", env, unset=unset, startup_timeout=180) as server:
        run_env = {k: v for k, v in os.environ.items() if k not in unset} | env | {"DAGSTER_HOME": str(server.dagster_home)}
        _materialize(run_env, "--if-missing")  # what `make dev` does first
        backfill_run = _materialize(run_env, "--start", BACKFILL[0], "--end", BACKFILL[1])
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1600, "height": 1000})
            context.add_init_script("window.localStorage.setItem('communityNux', '\"1\"')")
            page = context.new_page()

            def shot(name: str) -> None:
                page.wait_for_timeout(1500)  # let the graph's layout and the status fetches settle
                shots[name] = out_dir / f"{name}.png"
                page.screenshot(path=str(shots[name]))

            # 1. the first screen: the asset graph, every group expanded, assets materialized
            page.goto(f"{server.url}/asset-groups", timeout=60_000)
            expect(page.locator("foreignObject.group").first).to_be_visible(timeout=60_000)
            page.keyboard.press("Alt+e")
            nodes = page.locator("foreignObject:not(.group)")
            for model in MODELS:
                expect(nodes.filter(has=page.get_by_text(model, exact=True)).first).to_be_visible(timeout=30_000)
            expect(nodes.filter(has_text=re.compile(r"Materialized|partitions?")).first).to_be_visible(timeout=30_000)
            assert not page.get_by_text("Never materialized").count(), "an asset of the graph is not materialized"
            shot("asset-graph")

            # 2. mart/daily_performance: its latest materialization, its checks
            page.goto(f"{server.url}/assets/mart/daily_performance", timeout=60_000)
            expect(page.get_by_text("Latest materialization").first).to_be_visible(timeout=60_000)
            shot("daily-performance")
            page.goto(f"{server.url}/assets/mart/daily_performance?view=checks", timeout=60_000)
            expect(page.locator("body")).to_contain_text("not_null_daily_performance_date", timeout=60_000)
            shot("daily-performance-checks")
            # the figures per partition, plotted from the materializations' numeric metadata
            page.goto(f"{server.url}/assets/mart/daily_performance?view=events", timeout=60_000)
            expect(page.locator("body")).to_contain_text("avg_session_duration", timeout=60_000)
            shot("daily-performance-events")

            # 3. the backfill's run page
            page.goto(f"{server.url}/runs/{backfill_run}", timeout=60_000)
            expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=60_000)
            shot("backfill-run")
            browser.close()
    return shots


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0] if argv else REPO_ROOT / "docs" / "img").resolve()
    with tempfile.TemporaryDirectory(prefix="measure-screenshots-") as work:
        for name, path in capture(out_dir, Path(work)).items():
            print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

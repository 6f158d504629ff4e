"""The package's structure: every module imports alone, without work or side effects; the code
location builds for any target in one process; dagster-dbt's internals that dbt_overrides.py
overrides are still there."""

from __future__ import annotations

import inspect
import os
import pkgutil
import subprocess
import sys
from functools import cached_property

import pytest

import measure_dagster
from measure_dagster.settings import REPO_ROOT, MeasureSettings

MODULES = sorted(info.name for info in pkgutil.walk_packages(measure_dagster.__path__, prefix="measure_dagster."))
# importing the code location's module builds it: that is its job (workspace.yaml, `dg`)
BUILDS_THE_CODE_LOCATION = {"measure_dagster.definitions"}

IMPORT_ALONE = """
import os, sys
before = dict(os.environ)
import {module}
assert dict(os.environ) == before, "the import changed os.environ"
"""
# the DbtProject is built lazily: importing a module builds none
NO_DBT_PROJECT = """
project = sys.modules.get("measure_dagster.project")
assert project is None or project.dbt_project.cache_info().currsize == 0, "the import built the DbtProject"
"""


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_alone_in_a_fresh_process(module):
    """No import cycle, no environment written; no DbtProject built unless the module is the code location."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    probe = IMPORT_ALONE.format(module=module)
    if module not in BUILDS_THE_CODE_LOCATION:
        probe += NO_DBT_PROJECT
    completed = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_module_list_covers_the_package():
    assert {"measure_dagster.definitions", "measure_dagster.defs.dbt.assets", "measure_dagster.defs.resources.dbt"} <= set(MODULES)


def test_another_target_in_the_same_process():
    """build_defs(settings) gives that target's code location; the default one is unchanged."""
    from measure_dagster.definitions import build_defs, defs
    from measure_dagster.keys import RAW_EVENTS_KEY

    bigquery = MeasureSettings(target="emulator", duckdb_path=MeasureSettings.from_env().duckdb_path,
                               partitions_start="2026-10-03", bigquery_project="measure-test", bigquery_location="US",
                               raw_events_table_ref="measure-test.measure_js.events")
    emulator_defs = build_defs(bigquery)
    raw_events = emulator_defs.resolve_asset_graph().get(RAW_EVENTS_KEY)
    assert raw_events.is_observable and not raw_events.is_materializable
    assert raw_events.partitions_def.start.strftime("%Y-%m-%d") == "2026-10-03"
    assert {"bigquery", "dbt", "raw_event_stats"} <= set(emulator_defs.resources)
    assert "warehouse" not in emulator_defs.resources
    assert "observe_raw_events_hourly" in {s.name for s in emulator_defs.schedules}

    local = defs.resolve_asset_graph().get(RAW_EVENTS_KEY)
    assert local.is_materializable and local.partitions_def.start.strftime("%Y-%m-%d") == os.environ["MEASURE_PARTITIONS_START"]
    assert "warehouse" in defs.resources and "bigquery" not in defs.resources


def test_dagster_dbt_internals_that_dbt_overrides_replaces():
    """dbt_overrides.py replaces two private members of DbtCliResource: when dagster-dbt renames or
    changes them, this fails (and the override would silently stop saving its seconds)."""
    from dagster_dbt import DbtCliResource

    from measure_dagster.defs.resources.dbt_overrides import DbtCliResourceWithoutStartupCosts

    cli_version = inspect.getattr_static(DbtCliResource, "_cli_version")
    assert isinstance(cli_version, cached_property)
    assert list(inspect.signature(cli_version.func).parameters) == ["self"]
    initialize = inspect.getattr_static(DbtCliResource, "_initialize_dbt_core_adapter")
    assert list(inspect.signature(initialize).parameters) == ["self", "args"]
    # both are still called where the overrides expect them: in cli()
    cli_source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in cli_source and "_initialize_dbt_core_adapter(" in cli_source
    for name in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert name in vars(DbtCliResourceWithoutStartupCosts)

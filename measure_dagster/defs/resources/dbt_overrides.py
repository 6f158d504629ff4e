"""The one place where dagster-dbt's private methods are overridden, each for measured seconds
(BENCHMARKS.md). measure_dagster_tests/test_module_imports.py fails when dagster-dbt changes them.

- `_cli_version`: dagster-dbt runs `dbt --version` (a dbt start-up, ~5 s) once per resource to
  learn dbt's version; dbt runs from this environment, so it is the installed dbt-core's.
  Another executable is still asked.
- `_initialize_dbt_core_adapter`: dagster-dbt loads dbt's adapter in-process (~2 s a step) for
  `fetch_row_counts` / `fetch_column_metadata`. Locally table_metadata.py reads DuckDB itself
  (dagster-dbt's reads keep the file open in-process runs, and the next dbt step fails on
  DuckDB's lock), so the adapter is loaded only where those are used (BigQuery).
"""

from __future__ import annotations

import importlib.metadata
import sys
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version
from pydantic import Field

from measure_dagster import settings


class DbtCliResourceWithoutStartupCosts(DbtCliResource):
    load_adapter_in_process: bool = Field(
        default_factory=lambda: not settings.is_local(),
        description="Load dbt's adapter in-process for fetch_row_counts / fetch_column_metadata (BigQuery targets).",
    )

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(importlib.metadata.version("dbt-core"))
        return DbtCliResource._cli_version.func(self)

    def _initialize_dbt_core_adapter(self, args):
        if not self.load_adapter_in_process:
            return None
        return super()._initialize_dbt_core_adapter(args)

"""The concise view of a run for `measure-dagster materialize`: built from the run's Dagster
events as the instance stores them (an event listener on the instance), not from log text.

One line per step as it ends, one per asset the first time it is materialized in the run (dbt
models numbered: done/total), a line per check that failed or warned with its reason, and a
closing summary with the run's link in the UI. On a terminal a progress bar of the dbt models
stays on the last line; elsewhere (pipes, CI logs) there is no bar, the numbering says it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

import dagster as dg

BAR_WIDTH = 24


def _seconds(value: float) -> str:
    if value < 60:
        return f"{value:.1f} s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds:02d} s"


def _metadata_value(metadata, key: str):
    value = metadata.get(key)
    return getattr(value, "value", value)


def check_reason(evaluation: dg.AssetCheckEvaluation) -> str:
    """What a failed or warned check says about itself: its description, dbt's count of failing
    rows and status, or else its own metadata values."""
    metadata = evaluation.metadata or {}
    parts = [evaluation.description] if evaluation.description else []
    failing = _metadata_value(metadata, "dagster_dbt/failed_row_count")
    if failing is not None:
        status = _metadata_value(metadata, "status")
        parts.append(f"{failing} failing row{'s' if failing != 1 else ''}" + (f" (dbt: {status})" if status else ""))
    elif not parts:
        parts.append(", ".join(f"{key}={_metadata_value(metadata, key)}" for key in sorted(metadata)[:4]) or "no details")
    return "; ".join(parts)


@dataclass
class RunReport:
    """Listener for `instance.add_event_listener(run_id, report)`; called in the run's thread."""

    dbt_model_keys: Collection[dg.AssetKey]
    out: TextIO = field(default_factory=lambda: sys.stdout)
    progress_bar: bool | None = None  # None: a bar when `out` is a terminal
    show_lines: bool = True  # False (--verbose): only tally, for the summary; Dagster's log says the rest
    name_width: int = 30
    partition_count: int = 1  # days in the run: a partitioned asset's line says how many it covers
    started: float = field(default_factory=time.monotonic)
    models_done: set = field(default_factory=set)
    assets_seen: set = field(default_factory=set)
    partitions: dict = field(default_factory=dict)
    checks: dict = field(default_factory=lambda: {"passed": 0, "warned": 0, "failed": 0})
    current_step: str = ""
    _bar_shown: bool = False

    def __post_init__(self) -> None:
        if self.progress_bar is None:
            self.progress_bar = bool(self.dbt_model_keys) and self.out.isatty()
        self.progress_bar = self.progress_bar and bool(self.dbt_model_keys)
        # names and step keys in one column: the longest asset name decides
        self.name_width = max([self.name_width, *(len(key.to_user_string()) for key in self.dbt_model_keys)])

    # -- output ---------------------------------------------------------------------------
    def _clear_bar(self) -> None:
        if self._bar_shown:
            self.out.write("\r\033[K")
            self._bar_shown = False

    def _draw_bar(self) -> None:
        if not self.progress_bar:
            return
        total = len(self.dbt_model_keys)
        filled = BAR_WIDTH * len(self.models_done) // total if total else BAR_WIDTH
        step = f" · {self.current_step}" if self.current_step else ""
        self.out.write(f"\r\033[K[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {len(self.models_done)}/{total} dbt models"
                       f"{step} · {_seconds(time.monotonic() - self.started)}")
        self.out.flush()
        self._bar_shown = True

    def line(self, text: str) -> None:
        if not self.show_lines:
            return
        self._clear_bar()
        self.out.write(text + "\n")
        self._draw_bar()
        self.out.flush()

    def close(self) -> None:
        self._clear_bar()
        self.out.flush()

    # -- events ---------------------------------------------------------------------------
    def __call__(self, entry) -> None:
        event = entry.dagster_event
        if event is None:
            return
        kind = event.event_type
        if kind == dg.DagsterEventType.STEP_START:
            self.current_step = event.step_key
            self._clear_bar()
            self._draw_bar()
        elif kind == dg.DagsterEventType.STEP_SUCCESS:
            seconds = _seconds(event.event_specific_data.duration_ms / 1000)
            self.line(f"step {event.step_key:<{self.name_width + 5}} succeeded  {seconds}")
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            error = event.event_specific_data.error
            reason = error.message.strip().splitlines()[0] if error is not None else "no error recorded"
            reason = reason.removeprefix("dagster._core.definitions.events.Failure: ")
            self.line(f"step {event.step_key:<{self.name_width + 5}} FAILED     {reason}")
        elif kind == dg.DagsterEventType.STEP_SKIPPED:
            self.line(f"step {event.step_key:<{self.name_width + 5}} skipped    (an upstream step failed)")
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            self._materialized(event.event_specific_data.materialization)
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            self._checked(event.event_specific_data)

    def _materialized(self, materialization: dg.AssetMaterialization) -> None:
        key = materialization.asset_key
        if materialization.partition is not None:
            self.partitions[key] = self.partitions.get(key, 0) + 1
        if key in self.assets_seen:
            return  # a range of partitions: one event per partition, one line per asset
        self.assets_seen.add(key)
        metadata = materialization.metadata
        rows = _metadata_value(metadata, "dagster/row_count")
        seconds = _metadata_value(metadata, "Execution Duration")
        status = _metadata_value(metadata, "status") or "success"
        counter = "       "
        if key in self.dbt_model_keys:
            self.models_done.add(key)
            counter = f"[{len(self.models_done):>2}/{len(self.dbt_model_keys)}]"
        rows_text = f"{rows:>10,} row{'s' if rows != 1 else ' '}" if isinstance(rows, int) else " " * 15
        seconds_text = f"  {_seconds(seconds):>8}" if isinstance(seconds, (int, float)) else " " * 10
        several = materialization.partition is not None and self.partition_count > 1
        partitions = f"  ({self.partition_count} partitions)" if several else ""
        self.line(f"  {counter} {key.to_user_string():<{self.name_width}} {status:<8} {rows_text}{seconds_text}{partitions}")

    def _checked(self, evaluation: dg.AssetCheckEvaluation) -> None:
        if evaluation.passed:
            self.checks["passed"] += 1
            return
        warned = evaluation.severity == dg.AssetCheckSeverity.WARN
        self.checks["warned" if warned else "failed"] += 1
        check = evaluation.asset_check_key.to_user_string()
        self.line(f"  {'warn ' if warned else 'FAIL '}  check {check}: {check_reason(evaluation)}")

    def summary(self, run_id: str, success: bool, ui_url: str, started_at: datetime) -> list[str]:
        elapsed = time.monotonic() - self.started
        ended_at = datetime.now(UTC)
        models = f"{len(self.models_done)}/{len(self.dbt_model_keys)} dbt models" if self.dbt_model_keys else (
            f"{len(self.assets_seen)} asset(s)")
        checks = self.checks
        return [
            (f"run {run_id} {'succeeded' if success else 'FAILED'} in {_seconds(elapsed)} "
             f"({started_at:%Y-%m-%d %H:%M:%S}–{ended_at:%H:%M:%S} UTC): {models}, "
             f"checks {checks['passed']} passed, {checks['warned']} warned, {checks['failed']} failed"),
            f"UI: {ui_url.rstrip('/')}/runs/{run_id}",
        ]

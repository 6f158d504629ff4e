"""The code location: Dagster's loader over defs/ (one folder per concern), for one MeasureSettings.

`defs` is the code location of the environment's settings (workspace.yaml, `dg`, the tests);
build_defs(settings) builds it for any other, in the same process."""

from pathlib import Path

import dagster as dg

from measure_dagster.settings import MeasureSettings, using


def build_defs(settings: MeasureSettings | None = None) -> dg.Definitions:
    with using(settings or MeasureSettings.from_env()):
        return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)


defs = build_defs()

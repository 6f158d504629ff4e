"""The code location: Dagster's loader over defs/ (one folder per concern), for one MeasureSettings.

`defs` is the code location of the environment's settings (workspace.yaml, `dg`, the tests);
build_defs(settings) builds it for any other, in the same process."""

from pathlib import Path

import dagster as dg

from measure_dagster.defs.raw_events.definitions import raw_events_asset
from measure_dagster.settings import MeasureSettings, using


def build_defs(settings: MeasureSettings | None = None) -> dg.Definitions:
    settings = settings or MeasureSettings.from_env()
    # Dagster's loader silences Dagster's beta warnings while it loads; raw/events (its single-run
    # backfill policy is in beta) is built first, so `dagster dev` and `measure-dagster --verbose`
    # still say what the project uses in beta. The loader then finds it built (cached per settings).
    raw_events_asset(settings)
    with using(settings):
        return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)


defs = build_defs()

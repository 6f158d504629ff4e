"""Every dbt model as an asset (assets.py), every dbt test as an asset check (translator.py)."""

import dagster as dg

from measure_dagster.defs.dbt.assets import dbt_model_assets
from measure_dagster.settings import active_settings


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=list(dbt_model_assets(active_settings())))

"""What keeps the graph up to date between scheduled runs: declarative automation (conditions.py,
set on the dbt assets by the translator) and the late-export sensor (sensors.py)."""

import dagster as dg

from measure_dagster.defs.automation.conditions import automation_sensor
from measure_dagster.defs.automation.sensors import late_event_exports_sensor


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[late_event_exports_sensor, automation_sensor])

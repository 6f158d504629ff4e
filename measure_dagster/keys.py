"""Asset keys that several modules name: here, so that naming one imports no asset."""

import dagster as dg

RAW_EVENTS_KEY = dg.AssetKey(["raw", "events"])

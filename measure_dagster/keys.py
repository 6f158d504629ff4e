"""Asset keys that several modules name: here, so that naming one imports no asset."""

import dagster as dg

RAW_EVENTS_KEY = dg.AssetKey(["raw", "events"])

# Materialized on request (an erasure), never by the daily job or by --if-missing
ERASURE_LOG_KEY = dg.AssetKey(["monitoring", "erasure_log"])

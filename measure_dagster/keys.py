"""Asset keys that several modules name: here, so that naming one imports no asset."""

import dagster as dg

RAW_EVENTS_KEY = dg.AssetKey(["raw", "events"])

# Materialized by their own jobs (erase_visitor, apply_retention), never by the daily job or --if-missing
ERASURE_LOG_KEY = dg.AssetKey(["monitoring", "erasure_log"])
RETENTION_LOG_KEY = dg.AssetKey(["monitoring", "retention_log"])
PRIVACY_LOG_KEYS = (ERASURE_LOG_KEY, RETENTION_LOG_KEY)
# their tag (selecting them by key fails on a target without them: BigQuery)
PRIVACY_TAG = "privacy"

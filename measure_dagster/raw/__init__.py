"""Raw Measure.js events: the collector's BigQuery schema, a sample-traffic generator and a file loader."""

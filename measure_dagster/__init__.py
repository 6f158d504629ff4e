"""measure-dagster: the Measure.js analytics pipeline as a Dagster code location."""

"""Benchmarks of the measure-dagster pipeline (`make bench`, `python -m bench.run`); results in BENCHMARKS.md."""

# make dev   install, prepare the dbt manifest, materialize the sample (once), start the Dagster UI
# make run   install and materialize the whole graph on the embedded DuckDB
# make test  install, lint (ruff, sqlfluff) and run the whole test suite (make test-fast: the fast layer)
# make bench benchmarks (bench/; options: make bench BENCH_ARGS="--events 1000000 --repeat 1"; make bench-quick: minutes)
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
export PATH := $(BIN):$(PATH)
# The Dagster instance: sqlite (dagster_home/, the default) or postgres (dagster_home/postgres/,
# PostgreSQL at MEASURE_DAGSTER_PG_URL; `make postgres` starts Debian's PostgreSQL locally and
# every target below that uses the instance starts it first).
MEASURE_DAGSTER_INSTANCE ?= sqlite
export MEASURE_PG_DATA MEASURE_PG_PORT
ifeq ($(MEASURE_DAGSTER_INSTANCE),postgres)
export DAGSTER_HOME ?= $(CURDIR)/dagster_home/postgres
export MEASURE_DAGSTER_PG_URL ?= $(shell bash scripts/postgres.sh url)
INSTANCE_SERVER := postgres
endif
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
# resolved as Dagster resolves it: the manifest's partial-parse state then holds for its dbt runs
export MEASURE_DUCKDB_PATH ?= $(CURDIR)/data/measure.duckdb
HOST ?= 127.0.0.1
PORT ?= 3000
# the run links `measure-dagster materialize` prints
export MEASURE_UI_URL ?= http://$(HOST):$(PORT)

.PHONY: lint lint-python lint-sql lint-sql-fix help install manifest sample dev run lint test test-fast browser bq-emulator googlesql-analyzer bench bench-quick bigquery-bytes clean screenshots postgres postgres-install postgres-stop test-postgres bench-disk bench-instance

help:
	@sed -n 's/^# //p' Makefile | head -4

# uv installs exactly what uv.lock pins, into .venv (Python 3.11).
$(BIN)/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
	uv sync --frozen --extra test --python 3.11 --compile-bytecode
	@touch $@

install: $(BIN)/.installed

# dbt's manifest.json, which the code location reads (with --target as Dagster passes it, so
# that dbt's partial-parse state stays valid for the runs).
manifest: install
	cd dbt_project && $(BIN)/dbt parse --quiet --profiles-dir . --target $${MEASURE_TARGET:-local}

# The sample loaded and the whole graph materialized through Dagster, recorded in the instance
# at DAGSTER_HOME, so the UI opens on a working pipeline; only the days not yet materialized
# (nothing on a second `make dev`). On BigQuery targets the warehouse is not ours to fill.
sample: manifest $(INSTANCE_SERVER)
	@if [ "$${MEASURE_TARGET:-local}" = local ]; then $(BIN)/measure-dagster materialize --if-missing; \
	else echo "make sample: MEASURE_TARGET=$$MEASURE_TARGET, nothing materialized"; fi

dev: sample
	$(BIN)/dagster dev -w workspace.yaml -h $(HOST) -p $(PORT)

run: manifest $(INSTANCE_SERVER)
	$(BIN)/measure-dagster materialize

browser:
	@bash scripts/install_chromium.sh

# docs/img/*.png of the README, taken by headless Chromium from a throwaway instance (never by hand)
screenshots: manifest browser
	$(BIN)/python -m measure_dagster_tests.screenshots docs/img

bq-emulator:
	@bash scripts/bq_emulator.sh install

# Google's GoogleSQL analyzer: the tests' gate on every statement compiled for BigQuery
googlesql-analyzer: install
	@bash scripts/googlesql_analyzer.sh install

# Both linters, clean: ruff over the Python (pyproject.toml [tool.ruff]; check only, `ruff format`
# is not applied) and sqlfluff over the dbt SQL as dbt renders it (dbt_project/.sqlfluff).
lint: lint-python lint-sql

lint-python: install
	$(BIN)/ruff check .

# sqlfluff's dbt renders the SQL without a warehouse (an in-memory DuckDB) into target/sqlfluff/,
# so it needs no data/ and leaves the manifest the code location reads alone
SQLFLUFF_ENV := MEASURE_DUCKDB_PATH=:memory: DBT_TARGET_PATH=target/sqlfluff
lint-sql: install
	cd dbt_project && $(SQLFLUFF_ENV) $(BIN)/sqlfluff lint . --processes 2

# sqlfluff's fixes for what it can fix (review the diff: the SQL of both engines changes)
lint-sql-fix: install
	cd dbt_project && $(SQLFLUFF_ENV) $(BIN)/sqlfluff fix . --processes 2

test: lint manifest browser bq-emulator googlesql-analyzer postgres-install
	$(BIN)/pytest

# the fast layer, in seconds: every test that runs no pipeline, server or fresh interpreter
# (marked in measure_dagster_tests/conftest.py); no browser, emulator or analyzer needed
test-fast: lint-python manifest
	$(BIN)/pytest -m "not slow"

bench: manifest
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# the same measurements at 100k events over 10 and 40 days, once each
bench-quick: manifest
	$(BIN)/python -m bench.run --quick $(BENCH_ARGS)

# what a daily run reads on BigQuery, per model (after `make run`: column sizes of the sample)
bigquery-bytes: manifest googlesql-analyzer
	$(BIN)/python -m bench.bigquery_bytes $(BYTES_ARGS)

# Debian's PostgreSQL for the postgres instance: our own cluster (data MEASURE_PG_DATA, default
# /tmp/measure-dagster-postgres; port MEASURE_PG_PORT or a free one, saved), run as the postgres user
postgres-install:
	@bash scripts/postgres.sh install

postgres:
	@bash scripts/postgres.sh start

postgres-stop:
	@bash scripts/postgres.sh stop

# the daily job and a backfill on the PostgreSQL instance (starts its own server in a temporary folder)
test-postgres: manifest postgres-install
	MEASURE_REQUIRE_POSTGRES=1 $(BIN)/pytest measure_dagster_tests/test_postgres_instance.py

# disk after rewriting the same partitions N times (DuckDB file, dbt artifacts); Dagster's
# overhead over plain dbt on the SQLite and the PostgreSQL instance (BENCHMARKS.md)
bench-disk: manifest
	$(BIN)/python -m bench.disk $(DISK_ARGS)

bench-instance: manifest postgres-install
	$(BIN)/python -m bench.instance_overhead $(INSTANCE_ARGS)

clean:
	rm -rf dbt_project/target data dagster_home/storage dagster_home/history dagster_home/schedules dagster_home/logs

"""The collector's `events` schema (bq_table_schema.json), rendered for DuckDB and Arrow.

The JSON file is the single source of truth: the local `raw.events` table, the generator's
Arrow tables and the file loader's column list are all derived from it, so they cannot drift
from what BigQuery holds.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pyarrow as pa

SCHEMA_PATH = Path(__file__).with_name("bq_table_schema.json")

_DUCKDB_SCALARS = {"STRING": "VARCHAR", "BOOLEAN": "BOOLEAN", "TIMESTAMP": "TIMESTAMP", "INTEGER": "BIGINT", "FLOAT": "DOUBLE"}
# BigQuery TIMESTAMP is an instant in UTC; locally it is a naive TIMESTAMP holding UTC wall time.
_ARROW_SCALARS = {"STRING": pa.string(), "BOOLEAN": pa.bool_(), "TIMESTAMP": pa.timestamp("us"), "INTEGER": pa.int64(),
                  "FLOAT": pa.float64()}


@cache
def bq_fields() -> list[dict]:
    return json.loads(SCHEMA_PATH.read_text())


def _duckdb_type(field: dict) -> str:
    if field["type"] == "RECORD":
        inner = ", ".join(f'"{f["name"]}" {_duckdb_type(f)}' for f in field["fields"])
        base = f"STRUCT({inner})"
    else:
        base = _DUCKDB_SCALARS[field["type"]]
    return f"{base}[]" if field.get("mode") == "REPEATED" else base


def _arrow_type(field: dict) -> pa.DataType:
    if field["type"] == "RECORD":
        base = pa.struct([pa.field(f["name"], _arrow_type(f)) for f in field["fields"]])
    else:
        base = _ARROW_SCALARS[field["type"]]
    return pa.list_(base) if field.get("mode") == "REPEATED" else base


def column_names() -> list[str]:
    return [f["name"] for f in bq_fields()]


def duckdb_columns() -> dict[str, str]:
    """Column name -> DuckDB type, in the collector's column order."""
    return {f["name"]: _duckdb_type(f) for f in bq_fields()}


def duckdb_create_table_sql(table: str = "raw.events") -> str:
    cols = ",\n  ".join(f'"{name}" {typ}' for name, typ in duckdb_columns().items())
    return f"create table if not exists {table} (\n  {cols}\n)"


def arrow_schema() -> pa.Schema:
    return pa.schema([pa.field(f["name"], _arrow_type(f)) for f in bq_fields()])

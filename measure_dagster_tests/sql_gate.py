"""The GoogleSQL gate: every statement dbt compiles for BigQuery, through Google's analyzer, in DAG order.

The catalog the analyzer resolves names in is built as the DAG is walked:
- the collector's raw `events` table, typed from bq_table_schema.json (the source's path as the
  manifest names it);
- each model's output schema, as the analyzer resolved it, before any node that reads it;
- the tables that hooks create (the on-run-start DDL of the run-results log, analyzed itself).

A model, test or analysis that the analyzer rejects is a failure, with the analyzer's message
(names, types, signatures). What passes is valid GoogleSQL against those schemas; quotas,
permissions and data are not checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path

from measure_dagster_tests.googlesql import (
    Analyzer,
    AnalyzerError,
    Catalog,
    bigquery_schema_columns,
    bigquery_schema_type,
    created_table_path,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
RAW_SCHEMA = REPO_ROOT / "measure_dagster" / "raw" / "bq_table_schema.json"
GATED_TYPES = ("operation", "model", "test", "analysis")


@dataclass
class GateResult:
    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    schemas: dict[str, list[tuple[str, object]]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.passed) + len(self.failed)

    def summary(self, label: str) -> str:
        return f"GoogleSQL analyzer [{label}]: {len(self.passed)} of {self.total} statements passed"


def relation_path(node: dict) -> list[str]:
    return [node["database"], node["schema"], node.get("alias") or node.get("identifier") or node["name"]]


def raw_catalog(manifest: dict) -> Catalog:
    """The sources (the collector's `events`), typed from the collector's schema."""
    catalog = Catalog()
    columns = bigquery_schema_columns(json.loads(RAW_SCHEMA.read_text()))
    for source in manifest["sources"].values():
        catalog.add_table(relation_path(source), columns)
    return catalog


def dag_order(manifest: dict) -> list[str]:
    nodes = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] in GATED_TYPES}
    graph = {uid: [dep for dep in node["depends_on"]["nodes"] if dep in nodes] for uid, node in nodes.items()}
    # hooks first: on-run-start creates the log table that the monitoring model reads
    hooks = sorted(uid for uid, node in nodes.items() if node["resource_type"] == "operation")
    for uid in graph:
        if uid not in hooks:
            graph[uid] = [*graph[uid], *hooks]
    return list(TopologicalSorter(graph).static_order())


def run_gate(analyzer: Analyzer, manifest: dict, catalog: Catalog | None = None) -> GateResult:
    """Analyze every compiled node of `manifest` in DAG order; failures do not stop the walk (a
    failed model's table stays out of the catalog, so its readers fail too, naming it)."""
    catalog = catalog or raw_catalog(manifest)
    result = GateResult()
    for uid in dag_order(manifest):
        node = manifest["nodes"][uid]
        sql = node.get("compiled_code") or ""
        if not sql.strip():
            # the on-run-end hook renders only at run time, from the run's results
            continue
        try:
            columns = analyzer.analyze(sql, catalog)
        except AnalyzerError as error:
            result.failed[uid] = str(error)
            continue
        result.passed.append(uid)
        if node["resource_type"] == "model":
            result.schemas[node["name"]] = columns
            catalog.add_table(relation_path(node), columns)
        elif node["resource_type"] == "operation" and (path := created_table_path(sql)):
            catalog.add_table(path, columns)
    return result


def logged_statements(target_path: Path) -> list[tuple[str, str]]:
    """Every SQL statement dbt sent to the warehouse, in the order sent, as (node, sql): the
    `SQLQuery` events of the JSON dbt.log files under a dbt target path (DBT_LOG_FORMAT_FILE=json;
    dagster-dbt writes one folder per invocation)."""
    events = []
    for log in sorted(target_path.rglob("dbt.log")):
        for line in log.read_text().splitlines():
            if not line.startswith("{"):
                continue
            event = json.loads(line)
            if event["info"]["name"] == "SQLQuery":
                events.append((event["info"]["ts"], event["data"].get("conn_name") or "", event["data"]["sql"]))
    return [(node, sql) for _, node, sql in sorted(events)]


def run_logged_gate(analyzer: Analyzer, statements: list[tuple[str, str]], catalog: Catalog) -> GateResult:
    """The statements of a real run (CREATE TABLE ... AS, MERGE, DROP, INSERT, test queries) in the
    order they ran; each CREATE TABLE adds its table to the catalog for the statements after it."""
    result = GateResult()
    for index, (node, sql) in enumerate(statements):
        label = f"{index:04d} {node}"
        try:
            analyzer.analyze_script(sql, catalog)
        except AnalyzerError as error:
            result.failed[label] = f"{error}\n{sql[:500]}"
            continue
        result.passed.append(label)
    return result


# the INFORMATION_SCHEMA views the statements read, with the columns BigQuery documents for them
INFORMATION_SCHEMA = {
    "COLUMNS": ["table_catalog", "table_schema", "table_name", "column_name", "is_nullable", "data_type"],
    "TABLES": ["table_catalog", "table_schema", "table_name", "table_type"],
}


def privacy_catalog(schemas: dict[str, list[dict]], project: str = "measure-test") -> Catalog:
    """The emulator's tables at the end of the run, and each dataset's INFORMATION_SCHEMA views."""
    catalog = Catalog()
    for name, schema in schemas.items():
        catalog.add_table([project, *name.split(".")], bigquery_schema_columns(schema))
    for dataset in {name.split(".")[0] for name in schemas}:
        for view, columns in INFORMATION_SCHEMA.items():
            catalog.add_table([project, dataset, "INFORMATION_SCHEMA", view],
                              bigquery_schema_columns([{"name": column, "type": "STRING"} for column in columns]))
    return catalog


def parameter_types(parameters: dict[str, dict]) -> dict[str, object]:
    """Query parameters in their API form (QueryParameter.to_api_repr()) as the analyzer's types."""
    def field(parameter: dict) -> dict:
        kind = parameter["parameterType"]
        if kind["type"] == "ARRAY":
            return {"type": kind["arrayType"]["type"], "mode": "REPEATED"}
        return {"type": kind["type"]}

    return {name: bigquery_schema_type(field(parameter)) for name, parameter in parameters.items()}

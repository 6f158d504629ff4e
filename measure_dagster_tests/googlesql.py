"""Google's GoogleSQL analyzer (BigQuery's SQL) as a Python object, for the SQL gate of the tests.

The analyzer runs as its own gRPC server (scripts/googlesql_analyzer.sh installs it into
.venv-googlesql/, with Python stubs generated from its protos). It checks what the BigQuery
emulator cannot: names, types and function signatures. It does not check quotas, permissions,
scripting or data.

    with running_analyzer() as analyzer:
        catalog = Catalog()
        catalog.add_table(["p", "raw", "events"], bigquery_schema_columns(schema_json))
        columns = analyzer.analyze("select timestamp from `p`.`raw`.`events`", catalog)

`analyze` returns the output columns (name, TypeProto) of a query, [] for other statements, and
raises AnalyzerError with the analyzer's message when it rejects the SQL.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from measure_dagster_tests.bigquery_emulator import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
HOME = REPO_ROOT / ".venv-googlesql"
INSTALL_SCRIPT = REPO_ROOT / "scripts" / "googlesql_analyzer.sh"


def skip_reason() -> str | None:
    if not (HOME / "remote_server").exists() or not (HOME / "python" / "local_service_pb2.py").exists():
        return f"GoogleSQL analyzer not installed: bash {INSTALL_SCRIPT.relative_to(REPO_ROOT)} install"
    return None


def _protos():
    """The generated stubs, imported from .venv-googlesql/python (they import each other as `zetasql.*`)."""
    path = str(HOME / "python")
    if path not in sys.path:
        sys.path.insert(0, path)
    import local_service_pb2
    import local_service_pb2_grpc
    from zetasql.proto import options_pb2 as proto_options_pb2
    from zetasql.proto import simple_catalog_pb2
    from zetasql.public import options_pb2, simple_table_pb2, type_pb2

    return local_service_pb2, local_service_pb2_grpc, options_pb2, proto_options_pb2, simple_catalog_pb2, simple_table_pb2, type_pb2


class AnalyzerError(Exception):
    """The analyzer rejected a statement: its message names the problem and the position."""


# bq_table_schema.json type names -> TypeKind names
_SCHEMA_TYPES = {
    "STRING": "TYPE_STRING", "BYTES": "TYPE_BYTES", "INTEGER": "TYPE_INT64", "INT64": "TYPE_INT64",
    "FLOAT": "TYPE_DOUBLE", "FLOAT64": "TYPE_DOUBLE", "NUMERIC": "TYPE_NUMERIC", "BIGNUMERIC": "TYPE_BIGNUMERIC",
    "BOOLEAN": "TYPE_BOOL", "BOOL": "TYPE_BOOL", "TIMESTAMP": "TYPE_TIMESTAMP", "DATE": "TYPE_DATE",
    "TIME": "TYPE_TIME", "DATETIME": "TYPE_DATETIME", "JSON": "TYPE_JSON", "GEOGRAPHY": "TYPE_GEOGRAPHY",
}


def scalar_type(kind: str):
    type_pb2 = _protos()[6]
    return type_pb2.TypeProto(type_kind=type_pb2.TypeKind.Value(kind))


def bigquery_schema_type(field_schema: dict):
    """A BigQuery table-schema field (as in bq_table_schema.json) as a TypeProto."""
    type_pb2 = _protos()[6]
    kind = field_schema["type"].upper()
    if kind in ("RECORD", "STRUCT"):
        element = type_pb2.TypeProto(type_kind=type_pb2.TYPE_STRUCT, struct_type=type_pb2.StructTypeProto(field=[
            type_pb2.StructFieldProto(field_name=sub["name"], field_type=bigquery_schema_type(sub))
            for sub in field_schema["fields"]
        ]))
    else:
        element = scalar_type(_SCHEMA_TYPES[kind])
    if field_schema.get("mode", "NULLABLE").upper() == "REPEATED":
        return type_pb2.TypeProto(type_kind=type_pb2.TYPE_ARRAY, array_type=type_pb2.ArrayTypeProto(element_type=element))
    return element


def bigquery_schema_columns(schema: list[dict]) -> list[tuple[str, object]]:
    return [(column["name"], bigquery_schema_type(column)) for column in schema]


def type_name(type_proto) -> str:
    """A TypeProto in BigQuery's spelling: INT64, ARRAY<STRUCT<name STRING>>, ..."""
    type_pb2 = _protos()[6]
    kind = type_proto.type_kind
    if kind == type_pb2.TYPE_ARRAY:
        return f"ARRAY<{type_name(type_proto.array_type.element_type)}>"
    if kind == type_pb2.TYPE_STRUCT:
        return "STRUCT<" + ", ".join(f"{f.field_name} {type_name(f.field_type)}" for f in type_proto.struct_type.field) + ">"
    return {"DOUBLE": "FLOAT64"}.get(type_pb2.TypeKind.Name(kind)[5:], type_pb2.TypeKind.Name(kind)[5:])


@dataclass
class Catalog:
    """Tables by path (project, dataset, table), as BigQuery resolves `p`.`d`.`t`."""

    tables: dict[tuple[str, ...], list[tuple[str, object]]] = field(default_factory=dict)

    def add_table(self, path: list[str] | tuple[str, ...], columns: list[tuple[str, object]]) -> None:
        self.tables[tuple(path)] = list(columns)

    def proto(self, builtin_function_options):
        *_, simple_catalog_pb2, simple_table_pb2, _ = _protos()
        root = simple_catalog_pb2.SimpleCatalogProto(name="root", builtin_function_options=builtin_function_options)
        children: dict[tuple[str, ...], object] = {(): root}
        for path in sorted(self.tables):
            for depth in range(1, len(path)):
                prefix = path[:depth]
                if prefix not in children:
                    child = children[prefix[:-1]].catalog.add(name=prefix[-1])
                    children[prefix] = child
            children[path[:-1]].table.append(simple_table_pb2.SimpleTableProto(
                name=path[-1],
                column=[simple_table_pb2.SimpleColumnProto(name=name, type=type_proto) for name, type_proto in self.tables[path]],
            ))
        return root


class Analyzer:
    def __init__(self, channel):
        local_service_pb2, local_service_pb2_grpc, options_pb2, proto_options_pb2, *_ = _protos()
        self._pb = local_service_pb2
        self._stub = local_service_pb2_grpc.ZetaSqlLocalServiceStub(channel)
        language = self._stub.GetLanguageOptions(local_service_pb2.LanguageOptionsRequest(maximum_features=True))
        language.product_mode = options_pb2.PRODUCT_EXTERNAL  # BigQuery's mode: FLOAT64, no INT32/UINT types
        # every statement kind (queries, DML, DDL): empty means all
        del language.supported_statement_kinds[:]
        self._options = proto_options_pb2.AnalyzerOptionsProto(
            language_options=language, default_timezone="UTC", error_message_mode=options_pb2.ERROR_MESSAGE_ONE_LINE,
        )
        self._builtins = proto_options_pb2.ZetaSQLBuiltinFunctionOptionsProto(language_options=language)
        # the same options with unused columns pruned from table scans (table_scans)
        self._pruning_options = proto_options_pb2.AnalyzerOptionsProto()
        self._pruning_options.CopyFrom(self._options)
        self._pruning_options.prune_unused_columns = True

    def _resolve(self, sql: str, catalog: Catalog, options):
        """The resolved statement, or AnalyzerError with the analyzer's message."""
        import grpc

        request = self._pb.AnalyzeRequest(options=options, simple_catalog=catalog.proto(self._builtins), sql_statement=sql)
        try:
            return self._stub.Analyze(request, timeout=60).resolved_statement
        except grpc.RpcError as error:
            raise AnalyzerError(error.details()) from None

    def analyze(self, sql: str, catalog: Catalog, parameters: dict[str, object] | None = None) -> list[tuple[str, object]]:
        """The output columns of a statement; `parameters`: its query parameters' types (name -> TypeProto)."""
        options = self._options
        if parameters:
            options = type(self._options)()
            options.CopyFrom(self._options)
            for name, type_proto in parameters.items():
                options.query_parameters.add(name=name, type=type_proto)
        return _output_columns(self._resolve(sql, catalog, options))

    def table_scans(self, sql: str, catalog: Catalog) -> list[TableScan]:
        """The tables a statement reads: per scan, the columns it references (the analyzer's
        pruning of unused columns) and the days its partition filter keeps. Bytes billed on
        BigQuery follow from both; an upper bound, as BigQuery may prune more through `select *`."""
        scans: list[TableScan] = []
        _collect_scans(self._resolve(sql, catalog, self._pruning_options), scans)
        return scans

    def analyze_script(self, script: str, catalog: Catalog, parameters: dict[str, object] | None = None) -> int:
        """Every statement of a `;`-separated script (dbt-bigquery's incremental DDL + MERGE),
        in order; a CREATE TABLE or VIEW adds its table to the catalog for the statements after it.
        Returns how many statements passed; raises on the first one rejected."""
        statements = split_statements(script)
        for statement in statements:
            columns = self.analyze(statement, catalog, parameters)
            created = created_table_path(statement)
            if created:
                catalog.add_table(created, columns)
        return len(statements)


_CREATE_TABLE = re.compile(r"\s*create\s+(?:or\s+replace\s+)?(?:temp(?:orary)?\s+)?(?:table|view)\s+(?:if\s+not\s+exists\s+)?"
                           r"((?:`[^`]+`|[\w-]+)(?:\.(?:`[^`]+`|[\w-]+))*)", re.IGNORECASE)


def created_table_path(statement: str) -> list[str] | None:
    """The path of the table (or view) a CREATE TABLE / VIEW statement creates, e.g. ['p', 'd', 't']."""
    match = _CREATE_TABLE.match(statement)
    if not match:
        return None
    return [part for quoted in re.findall(r"`([^`]+)`|([\w-]+)", match.group(1)) for part in quoted if part
            for part in part.split(".")]


def _output_columns(statement) -> list[tuple[str, object]]:
    """Output columns of a query, or the columns a CREATE TABLE [AS SELECT] / VIEW defines; [] otherwise."""
    kind = statement.WhichOneof("node")
    if kind == "resolved_query_stmt_node":
        return [(column.name, column.column.type) for column in statement.resolved_query_stmt_node.output_column_list]
    if kind == "resolved_create_statement_node":
        create = statement.resolved_create_statement_node
        if create.WhichOneof("node") == "resolved_create_table_stmt_base_node":
            base = create.resolved_create_table_stmt_base_node
            table = getattr(base, base.WhichOneof("node"))
            return [(column.name, column.type) for column in table.parent.column_definition_list]
        if create.WhichOneof("node") == "resolved_create_view_base_node":
            base = create.resolved_create_view_base_node
            view = getattr(base, base.WhichOneof("node"))
            return [(column.name, column.column.type) for column in view.parent.output_column_list]
    return []


@dataclass
class TableScan:
    table: str
    columns: frozenset[str]
    days: int | None  # None: no partition filter, every day of the table is read


def _children(message):
    for descriptor, value in message.ListFields():
        if descriptor.message_type is not None:
            yield from (value if descriptor.is_repeated else [value])


def _literal_day(expr) -> float | None:
    """A DATE or TIMESTAMP literal as days since the epoch."""
    if expr.WhichOneof("node") != "resolved_literal_node":
        return None
    value = expr.resolved_literal_node.value.value
    if value.HasField("date_value"):
        return float(value.date_value)
    if value.HasField("timestamp_value"):
        return value.timestamp_value.seconds / 86400
    return None


def _window_days(filter_expr) -> int | None:
    """Days kept by top-level conjuncts `column >= literal` and `column < literal`, else None."""
    def call(expr):
        if expr.WhichOneof("node") != "resolved_function_call_base_node":
            return None
        node = expr.resolved_function_call_base_node
        return getattr(node, node.WhichOneof("node")).parent

    lower = upper = None
    stack = [filter_expr]
    while stack:
        function = call(stack.pop())
        if function is None:
            continue
        name = function.function.name.split(":")[-1]
        if name == "$and":
            stack.extend(function.argument_list)
        elif name in ("$greater_or_equal", "$greater", "$less", "$less_or_equal") and len(function.argument_list) == 2:
            day = _literal_day(function.argument_list[1])
            if day is not None:
                if name.startswith("$greater"):
                    lower = day if lower is None else max(lower, day)
                else:
                    upper = day if upper is None else min(upper, day)
    if lower is None or upper is None:
        return None
    return round(upper - lower)


def _collect_scans(message, scans: list[TableScan]) -> None:
    kind = message.DESCRIPTOR.name
    if kind == "ResolvedFilterScanProto" and message.input_scan.WhichOneof("node") == "resolved_table_scan_node":
        table_scan = message.input_scan.resolved_table_scan_node
        scans.append(TableScan(table_scan.table.full_name or table_scan.table.name,
                               frozenset(c.name for c in table_scan.parent.column_list), _window_days(message.filter_expr)))
        _collect_scans(message.filter_expr, scans)  # subqueries in the filter
        return
    if kind == "ResolvedTableScanProto":
        scans.append(TableScan(message.table.full_name or message.table.name,
                               frozenset(c.name for c in message.parent.column_list), None))
        return
    for child in _children(message):
        _collect_scans(child, scans)


def split_statements(script: str) -> list[str]:
    """Split on `;` outside string literals, quoted identifiers and comments."""
    statements, current, i, quote = [], [], 0, None
    while i < len(script):
        ch = script[i]
        if quote:
            current.append(ch)
            if ch == "\\" and quote != "`":
                current.append(script[i + 1])
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
            current.append(ch)
        elif script.startswith("--", i):
            end = script.find("\n", i)
            i = len(script) if end < 0 else end
            continue
        elif script.startswith("/*", i):
            i = script.index("*/", i) + 2
            continue
        elif ch == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    statements.append("".join(current))
    return [s for s in statements if s.strip()]


@contextlib.contextmanager
def running_analyzer(startup_seconds: float = 60) -> Iterator[Analyzer]:
    import grpc

    port = free_port()
    process = subprocess.Popen([str(HOME / "remote_server"), "localhost", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    channel = grpc.insecure_channel(f"localhost:{port}", options=[("grpc.max_receive_message_length", 256 << 20),
                                                                    ("grpc.max_send_message_length", 256 << 20)])
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            try:
                grpc.channel_ready_future(channel).result(timeout=1)
                break
            except grpc.FutureTimeoutError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"GoogleSQL analyzer did not start: {process.stderr.read().decode()[-2000:]}") from None
        yield Analyzer(channel)
    finally:
        channel.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()

"""Erasure and retention on BigQuery: the same rules as on DuckDB (erasure.py, retention.py), in DML.

What differs from the local warehouse, and why:
- The collector's table is the raw source. Its rows are deleted by DML with a partition filter:
  the days of the person's rows (and the NULL partition of rows without a timestamp).
- There is no transaction over the collector's table and our datasets. So an erasure first
  records the person's keys (salted hashes, `erased_keys`) and a log row `deleting`; every
  deletion is then by those hashes, so a run killed halfway, or the next run, repeats it and
  finishes: nothing of the identifier itself is needed again.
- Rows still in the collector table's streaming buffer cannot be deleted by DML. The table's
  `streamingBuffer.oldestEntryTime` says from when: rows from STREAMING_BUFFER_MARGIN before it
  on are left, counted in the log (`rows_in_streaming_buffer`, status `streaming_buffer`), and
  deleted by the next run of `erase_visitor` (its daily schedule, or any erasure).
- Retention deletes whole expired days by their partition column: on BigQuery a DELETE that
  covers whole partitions is a metadata operation, as partition expiration is; expiration itself
  is not used, as it would drop days unlogged and with no rebuild of the days after the cut.

Every statement goes through `PrivacyTables.query`, with query parameters, never an identifier
in the SQL text; the tests pass each one through Google's GoogleSQL analyzer.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from measure_dagster.privacy import retention
from measure_dagster.privacy.erasure import (
    IDENTIFIER_COLUMNS,
    KINDS,
    ErasedKeys,
    ErasureRequest,
    ErasureResult,
    PendingErasure,
    identifier_condition,
    key_hash,
    raw_row_rule,
)

# how long before the oldest entry of the streaming buffer a row may still be in it: a row's
# `timestamp` is the collector's clock when it received the event, a little before it was streamed
STREAMING_BUFFER_MARGIN = timedelta(minutes=30)
RAW_COLUMNS = {"client_id": ("client_id",), "user_id": ("user_id",), "hash": ("hash",)}
RAW_KEY = "raw.events"
STREAMING_BUFFER_ERROR = "streaming buffer"


@dataclass(frozen=True)
class Typed:
    """A query parameter of an explicit type (a NULL DATE)."""

    type: str
    value: object


SCALAR_TYPES = {bool: "BOOL", int: "INT64", str: "STRING", date: "DATE", datetime: "TIMESTAMP"}


def _parameter(name: str, value):
    from google.cloud import bigquery

    if isinstance(value, list):
        return bigquery.ArrayQueryParameter(name, "STRING", value)
    if isinstance(value, Typed):
        return bigquery.ScalarQueryParameter(name, value.type, value.value)
    return bigquery.ScalarQueryParameter(name, SCALAR_TYPES[type(value)], value)


def _quoted(ref: str) -> str:
    return ".".join(f"`{part}`" for part in ref.split("."))


def _hashed(kind: str, expression: str) -> str:
    """The salted hash of an identifier, as erasure.key_hash computes it."""
    return f"to_hex(sha256(concat(@salt, '|{kind}|', {expression})))"


@dataclass
class PrivacyTables:
    """The BigQuery tables privacy operations touch: the collector's, every dbt model's (from the
    manifest), and the logs in the monitoring dataset."""

    client: object  # google.cloud.bigquery.Client
    raw_table: str  # project.dataset.events
    models: dict[str, str]  # "schema.table" (as dbt names the folder) -> project.dataset.table
    monitoring: str  # project.dataset of the logs
    salt: str
    # the logs exist (created by this instance): their DDL is a BigQuery job each, sent once
    _logs_ready: bool = field(default=False, init=False, repr=False)

    @classmethod
    def of(cls, client, manifest_path: Path, raw_table: str, salt: str) -> PrivacyTables:
        manifest = json.loads(manifest_path.read_text())
        models, monitoring = {}, None
        for node in manifest["nodes"].values():
            if node["resource_type"] != "model" or node["config"].get("materialized") == "view":
                continue
            folder = node["fqn"][1] if len(node["fqn"]) > 2 else node["schema"]
            models[f"{folder}.{node['alias']}"] = f"{node['database']}.{node['schema']}.{node['alias']}"
            if folder == "monitoring":
                monitoring = f"{node['database']}.{node['schema']}"
        if monitoring is None:
            raise ValueError("the manifest has no model in models/monitoring/: where would the privacy logs go?")
        return cls(client, raw_table, models, monitoring, salt)

    # --- statements ---------------------------------------------------------------------------

    def query(self, sql: str, **parameters) -> tuple[list[dict], int | None]:
        """Rows (as dicts) and, for DML, the rows it changed."""
        from google.cloud import bigquery

        if "@salt" in sql:
            parameters["salt"] = self.salt
        job = self.client.query(sql, job_config=bigquery.QueryJobConfig(
            query_parameters=[_parameter(name, value) for name, value in parameters.items()]))
        rows = [dict(row.items()) for row in job.result()]
        return rows, job.num_dml_affected_rows

    def rows(self, sql: str, **parameters) -> list[dict]:
        return self.query(sql, **parameters)[0]

    def dml(self, sql: str, **parameters) -> int:
        return self.query(sql, **parameters)[1] or 0

    def log(self, table: str) -> str:
        return _quoted(f"{self.monitoring}.{table}")

    def table_exists(self, ref: str) -> bool:
        from google.api_core.exceptions import NotFound

        try:
            self.client.get_table(ref)
        except NotFound:
            return False
        return True

    def ensure_log_tables(self) -> None:
        if self._logs_ready:
            return
        self.query(f"""create table if not exists {self.log('erasure_log')} (
            erasure_id STRING, requested_at TIMESTAMP, run_id STRING, identifier_kind STRING,
            identifier_hash STRING, status STRING, first_day DATE, last_day DATE, rows_removed STRING,
            rows_in_streaming_buffer INT64, completed_at TIMESTAMP)""")
        self.query(f"create table if not exists {self.log('erased_keys')} (erasure_id STRING, kind STRING, key_hash STRING)")
        self.query(f"""create table if not exists {self.log('retention_log')} (
            applied_at TIMESTAMP, run_id STRING, tier STRING, cut_date DATE, rows_removed STRING)""")
        self.query(f"create table if not exists {self.log('retention_kept')} (kept_table STRING, first_day DATE, cut_day DATE)")
        self._logs_ready = True

    # --- which tables hold identifiers --------------------------------------------------------

    def identifier_tables(self) -> dict[str, tuple[str, dict[str, tuple[str, ...]]]]:
        """{name: (project.dataset.table, {column: kinds})}: the collector's table and every model
        table with an identifier column (by name, IDENTIFIER_COLUMNS), as INFORMATION_SCHEMA has them."""
        tables = {RAW_KEY: (self.raw_table, RAW_COLUMNS)}
        by_ref = {ref: name for name, ref in self.models.items()}
        for dataset in sorted({ref.rsplit(".", 1)[0] for ref in self.models.values()}):
            for row in self.rows(
                    f"select c.table_name, c.column_name from {_quoted(dataset)}.INFORMATION_SCHEMA.COLUMNS as c "
                    f"join {_quoted(dataset)}.INFORMATION_SCHEMA.TABLES as t on c.table_name = t.table_name "
                    "where t.table_type = 'BASE TABLE' and c.column_name in unnest(@names) order by 1, 2",
                    names=list(IDENTIFIER_COLUMNS)):
                name = by_ref.get(f"{dataset}.{row['table_name']}")
                if name is not None and not name.startswith("monitoring."):
                    tables.setdefault(name, (f"{dataset}.{row['table_name']}", {}))[1][row["column_name"]] = \
                        IDENTIFIER_COLUMNS[row["column_name"]]
        return tables

    def last_built_day(self) -> date | None:
        ref = self.models["staging.events_cleaned"]
        if not self.table_exists(ref):
            return None
        return self.rows(f"select max(event_date) as day from {_quoted(ref)}")[0]["day"]

    # --- erasure --------------------------------------------------------------------------------

    def resolve(self, request: ErasureRequest) -> tuple[ErasedKeys, date | None, date | None]:
        """The person's keys (erasure.resolve's rules), and the first and last day of their rows."""
        keys = ErasedKeys()
        raw = _quoted(self.raw_table)
        every_day = "(timestamp >= timestamp '1970-01-01' or timestamp is null)"  # a partition filter for every day
        user_map = self.models["staging.user_map"]
        cleaned = self.models["staging.events_cleaned"]
        if request.kind == "hash":
            keys.hashes.add(request.value)
        elif request.kind == "client_id":
            keys.client_ids.add(request.value)
        else:
            keys.user_ids.add(request.value)
            for row in self.rows(f"select distinct client_id, `hash`, client_id = '' as hash_only from {raw} "
                                 f"where {every_day} and user_id = @value", value=request.value):
                if row["hash_only"]:
                    keys.hashes.add(row["hash"])
                else:
                    keys.client_ids.add(row["client_id"])
            if self.table_exists(user_map):
                for row in self.rows(f"select distinct visitor_key, visitor_key = client_id as is_client "
                                     f"from {_quoted(user_map)} where user_id = @value", value=request.value):
                    (keys.client_ids if row["is_client"] else keys.hashes).add(row["visitor_key"])
        clients = sorted(value for value in keys.client_ids if value)
        if clients:
            keys.hashes |= {row["hash"] for row in self.rows(
                f"select distinct `hash` from {raw} where {every_day} and client_id in unnest(@clients)", clients=clients)}
            if self.table_exists(cleaned):
                # hash-only events stitched to the client's key
                keys.hashes |= {row["visitor_hash"] for row in self.rows(
                    f"select distinct visitor_hash from {_quoted(cleaned)} where visitor_key in unnest(@clients)",
                    clients=clients)}
        keys.hashes.discard("")
        keys.hashes.discard(None)
        keys.client_ids.discard("")
        values = {kind: sorted(v for v in keys.by_kind()[kind] if v) for kind in KINDS}

        def member(kind: str, expression: str) -> str:
            return f"{expression} in unnest(@{kind}s)"

        params = {f"{kind}s": values[kind] for kind in KINDS}
        spans = [self.rows(f"select min(date(timestamp)) as first, max(date(timestamp)) as last from {raw} "
                           f"where {every_day} and ({raw_row_rule(*_raw_fields(), member)})", **params)[0]]
        if self.table_exists(cleaned):
            columns = {name: IDENTIFIER_COLUMNS[name] for name in ("client_id", "user_id", "visitor_key", "visitor_hash")}
            rule = identifier_condition(columns, member, quote="`")
            spans.append(self.rows(f"select min(event_date) as first, max(event_date) as last from {_quoted(cleaned)} "
                                   f"where {rule}", **params)[0])
        firsts = [s["first"] for s in spans if s["first"] is not None]
        lasts = [s["last"] for s in spans if s["last"] is not None]
        return keys, (min(firsts) if firsts else None), (max(lasts) if lasts else None)

    def record(self, request: ErasureRequest, run_id: str, now: datetime | None = None) -> str:
        """Resolve the request and record its keys (hashed) and a log row `deleting`, in one
        transaction: from here on the deletions need only the hashes. Returns the erasure id."""
        self.ensure_log_tables()
        keys, first_day, last_day = self.resolve(request)
        erasure_id = str(uuid.uuid4())
        pairs = sorted({f"{kind}|{key_hash(self.salt, kind, value)}" for kind, values in keys.by_kind().items()
                        for value in values} | {f"{request.kind}|{key_hash(self.salt, request.kind, request.value)}"})
        self.query(
            "begin transaction;\n"
            f"insert into {self.log('erased_keys')} (erasure_id, kind, key_hash) "
            "select @erasure_id, split(pair, '|')[offset(0)], split(pair, '|')[offset(1)] from unnest(@pairs) as pair;\n"
            f"insert into {self.log('erasure_log')} (erasure_id, requested_at, run_id, identifier_kind, identifier_hash, "
            "status, first_day, last_day, rows_removed, rows_in_streaming_buffer, completed_at) "
            "values (@erasure_id, @now, @run_id, @kind, @identifier_hash, 'deleting', @first_day, @last_day, '{}', 0, null);\n"
            "commit transaction",
            erasure_id=erasure_id, pairs=pairs, now=now or datetime.now(UTC), run_id=run_id, kind=request.kind,
            identifier_hash=key_hash(self.salt, request.kind, request.value),
            first_day=_day_parameter(first_day), last_day=_day_parameter(last_day))
        return erasure_id

    def pending(self) -> list[PendingErasure]:
        self.ensure_log_tables()
        return [PendingErasure(row["erasure_id"], row["first_day"], row["last_day"]) for row in self.rows(
            f"select erasure_id, first_day, last_day from {self.log('erasure_log')} "
            "where status <> 'complete' order by requested_at")]

    def _erased(self, erasure_ids: list[str] | None) -> Callable[[str, str], str]:
        which = "" if erasure_ids is None else " and erasure_id in unnest(@erasure_ids)"

        def member(kind: str, expression: str) -> str:
            return (f"{_hashed(kind, expression)} in (select key_hash from {self.log('erased_keys')} "
                    f"where kind = '{kind}'{which})")
        return member

    def _raw_days(self, erasures: list[PendingErasure]) -> tuple[str, dict]:
        """The partition filter of the collector's table over the erasures' days (and undated rows)."""
        firsts = [e.first_day for e in erasures if e.first_day is not None]
        lasts = [e.last_day for e in erasures if e.last_day is not None]
        if not firsts:
            return "timestamp is null", {}
        return ("((timestamp >= timestamp(@first_day) and timestamp < timestamp(date_add(@last_day, interval 1 day))) "
                "or timestamp is null)", {"first_day": min(firsts), "last_day": max(lasts)})

    def streaming_buffer_start(self) -> datetime | None:
        """From when rows of the collector's table may still be in its streaming buffer (None: none are)."""
        buffer = self.client.get_table(self.raw_table).streaming_buffer
        if buffer is None or buffer.oldest_entry_time is None:
            return None
        return buffer.oldest_entry_time - STREAMING_BUFFER_MARGIN

    def delete_rows(self, erasures: list[PendingErasure], derived_only: bool = False) -> tuple[dict[str, int], int]:
        """Delete, from every table, the rows of the keys these erasures recorded (idempotent).
        Returns ({table: rows deleted}, rows left in the collector's streaming buffer)."""
        ids = [e.erasure_id for e in erasures]
        if not ids:
            return {}, 0
        member = self._erased(ids)
        removed: dict[str, int] = {}
        in_buffer = 0
        for name, (ref, columns) in self.identifier_tables().items():
            if name == RAW_KEY:
                if derived_only:
                    continue
                deleted, in_buffer = self._delete_raw(erasures, member, ids)
                count = deleted
            else:
                count = self.dml(f"delete from {_quoted(ref)} where {identifier_condition(columns, member, quote='`')}",
                                 erasure_ids=ids)
            if count:
                removed[name] = count
        return removed, in_buffer

    def _delete_raw(self, erasures: list[PendingErasure], member, ids: list[str]) -> tuple[int, int]:
        days, params = self._raw_days(erasures)
        rule = raw_row_rule(*_raw_fields(), member)
        buffer_start = self.streaming_buffer_start()
        deleted = 0
        if buffer_start is None:
            try:
                deleted = self.dml(f"delete from {_quoted(self.raw_table)} where {days} and ({rule})", erasure_ids=ids, **params)
            except Exception as error:  # BigQuery's refusal, when the buffer appeared since we looked
                if STREAMING_BUFFER_ERROR not in str(error).lower():
                    raise
                buffer_start = datetime.now(UTC) - STREAMING_BUFFER_MARGIN
        if buffer_start is not None:
            deleted = self.dml(f"delete from {_quoted(self.raw_table)} where {days} and timestamp < @buffer_start "
                               f"and ({rule})", erasure_ids=ids, buffer_start=buffer_start, **params)
        left = self.rows(f"select count(*) as n from {_quoted(self.raw_table)} where {days} and ({rule})",
                         erasure_ids=ids, **params)[0]["n"]
        return deleted, left

    def set_status(self, erasure_id: str, status: str, removed: dict[str, int], in_buffer: int,
                   now: datetime | None = None) -> None:
        """Record the outcome of a step of an erasure; its rows removed add up over runs."""
        (row,) = self.rows(f"select rows_removed from {self.log('erasure_log')} where erasure_id = @erasure_id",
                           erasure_id=erasure_id)
        counts = json.loads(row["rows_removed"] or "{}")
        for table, count in removed.items():
            counts[table] = counts.get(table, 0) + count
        self.query(f"update {self.log('erasure_log')} set status = @status, rows_removed = @removed, "
                   "rows_in_streaming_buffer = @in_buffer, completed_at = if(@status = 'complete', @now, null) "
                   "where erasure_id = @erasure_id",
                   status=status, removed=json.dumps(counts, sort_keys=True), in_buffer=in_buffer,
                   now=now or datetime.now(UTC), erasure_id=erasure_id)

    def erasure_count(self) -> int:
        return self.rows(f"select count(*) as n from {self.log('erasure_log')}")[0]["n"]

    def waiting_for_streaming_buffer(self) -> int:
        return self.rows(f"select count(*) as n from {self.log('erasure_log')} where status = 'streaming_buffer'")[0]["n"]

    def remaining_references(self) -> dict[str, int]:
        """Rows of every table still referencing an erased key of any erasure, by the rule that
        deletes them: {table: rows}."""
        self.ensure_log_tables()
        erasures = [PendingErasure(r["erasure_id"], r["first_day"], r["last_day"])
                    for r in self.rows(f"select erasure_id, first_day, last_day from {self.log('erasure_log')}")]
        if not erasures:
            return {}
        member = self._erased(None)
        found = {}
        for name, (ref, columns) in self.identifier_tables().items():
            if name == RAW_KEY:
                days, params = self._raw_days(erasures)
                sql = f"select count(*) as n from {_quoted(ref)} where {days} and ({raw_row_rule(*_raw_fields(), member)})"
            else:
                params = {}
                sql = f"select count(*) as n from {_quoted(ref)} where {identifier_condition(columns, member, quote='`')}"
            count = self.rows(sql, **params)[0]["n"]
            if count:
                found[name] = count
        return found

    # --- retention ------------------------------------------------------------------------------

    def retention_rules(self, rules: Iterable[retention.Rule]) -> list[tuple[retention.Rule, str]]:
        """Each rule with its BigQuery table; the collector's for raw.events (no rejected rows here)."""
        by_relation = {ref.split(".", 1)[1]: ref for ref in self.models.values()}
        found = []
        for rule in rules:
            ref = self.raw_table if rule.name == RAW_KEY else by_relation.get(rule.name)
            if ref is not None:
                found.append((rule, ref))
        return found

    def apply(self, rules: list[retention.Rule], tier_cuts: dict[str, date], run_id: str,
                        now: datetime) -> dict[str, int]:
        """Delete every row before its tier's cut (whole days by the partition column) and log it
        per tier. Idempotent: the per-visitor state of users_incremental, which judges who
        expired, is cut last, so a run killed halfway is finished by the next."""
        self.ensure_log_tables()
        activity_schema, activity_table, activity_column = retention.VISITOR_ACTIVITY
        activity = self.models.get(f"{activity_schema}.{activity_table}")
        ruled = sorted(self.retention_rules(rules), key=lambda pair: pair[1] == activity)
        removed: dict[str, int] = {}
        by_tier: dict[str, dict[str, int]] = {tier: {} for tier in tier_cuts}
        for rule, ref in ruled:
            cut = tier_cuts.get(rule.tier)
            if cut is None or not self.table_exists(ref):
                continue
            if rule.column is None:
                if activity is None or not self.table_exists(activity):
                    continue
                count = self.dml(
                    f"delete from {_quoted(ref)} where visitor_key in (select visitor_key from {_quoted(activity)} "
                    f"group by visitor_key having max(date({activity_column})) < @cut)", cut=cut)
            else:
                count = self.dml(f"delete from {_quoted(ref)} where date(`{rule.column}`) < @cut", cut=cut)
            by_tier[rule.tier][rule.name] = count
            if count:
                removed[rule.name] = count
        for tier, counts in by_tier.items():
            self.query(f"insert into {self.log('retention_log')} (applied_at, run_id, tier, cut_date, rows_removed) "
                       "values (@now, @run_id, @tier, @cut, @removed)",
                       now=now, run_id=run_id, tier=tier, cut=tier_cuts[tier],
                       removed=json.dumps({k: v for k, v in counts.items() if v}, sort_keys=True))
        return removed

    def _kept(self, rule: retention.Rule) -> str:
        return f"{self.monitoring}.retention_kept__{rule.schema}__{rule.table}"

    def keep_aggregates(self, rules: list[retention.Rule], first: date, cut: date) -> None:
        """retention.keep_aggregates on BigQuery: a copy of each aggregate table's rows of
        [first, cut), and its span in `retention_kept` (written after the copy)."""
        self.ensure_log_tables()
        for rule, ref in self.retention_rules(rules):
            if rule.tier != "aggregates" or not rule.column or not self.table_exists(ref):
                continue
            self.query(f"create or replace table {_quoted(self._kept(rule))} as select * from {_quoted(ref)} "
                       f"where date(`{rule.column}`) >= @first and date(`{rule.column}`) < @cut", first=first, cut=cut)
            self.query(f"insert into {self.log('retention_kept')} (kept_table, first_day, cut_day) values (@kept, @first, @cut)",
                       kept=self._kept(rule), first=first, cut=cut)

    def restore_aggregates(self, rules: list[retention.Rule]) -> list[str]:
        """Put back what keep_aggregates copied (of this run, or of a run killed before it could)."""
        self.ensure_log_tables()
        spans = {row["kept_table"]: row for row in self.rows(f"select * from {self.log('retention_kept')}")}
        restored = []
        for rule, ref in self.retention_rules(rules):
            span = spans.get(self._kept(rule))
            if span is None:
                continue
            if self.table_exists(self._kept(rule)):
                self.query(
                    "begin transaction;\n"
                    f"delete from {_quoted(ref)} where date(`{rule.column}`) >= @first and date(`{rule.column}`) < @cut;\n"
                    f"insert into {_quoted(ref)} select * from {_quoted(self._kept(rule))};\n"
                    f"delete from {self.log('retention_kept')} where kept_table = @kept;\n"
                    "commit transaction", first=span["first_day"], cut=span["cut_day"], kept=self._kept(rule))
                self.query(f"drop table if exists {_quoted(self._kept(rule))}")
                restored.append(rule.name)
            else:
                self.query(f"delete from {self.log('retention_kept')} where kept_table = @kept", kept=self._kept(rule))
        return restored


def _raw_fields() -> tuple[str, str, str]:
    return "nullif(client_id, '')", "nullif(user_id, '')", "nullif(`hash`, '')"


def _day_parameter(day: date | None):
    return Typed("DATE", day)


def erase(tables: PrivacyTables, request: ErasureRequest | None, run_id: str
          ) -> tuple[ErasureResult | None, list[PendingErasure], dict[str, int]]:
    """Record the request (if any), then delete the rows of every erasure not complete, one by
    one; returns the request's result, those erasures, and the rows each left in the streaming buffer."""
    erasure_id = tables.record(request, run_id) if request is not None else None
    todo = tables.pending()
    result, left = None, {}
    for pending_erasure in todo:
        removed, in_buffer = tables.delete_rows([pending_erasure])
        left[pending_erasure.erasure_id] = in_buffer
        tables.set_status(pending_erasure.erasure_id, "streaming_buffer" if in_buffer else "rows_deleted", removed, in_buffer)
        if pending_erasure.erasure_id == erasure_id:
            result = ErasureResult(erasure_id, removed, pending_erasure.first_day, pending_erasure.last_day)
    return result, todo, left


def finish(tables: PrivacyTables, todo: list[PendingErasure], left: dict[str, int]) -> None:
    """After the rebuild: complete the erasures with nothing left in the streaming buffer; for the
    others, delete again what the rebuild made of their raw rows still there (the next run ends it)."""
    for pending_erasure in todo:
        if left.get(pending_erasure.erasure_id):
            removed, _ = tables.delete_rows([pending_erasure], derived_only=True)
            tables.set_status(pending_erasure.erasure_id, "streaming_buffer", removed, left[pending_erasure.erasure_id])
        else:
            tables.set_status(pending_erasure.erasure_id, "complete", {}, 0)

"""Erasing a person from the local DuckDB warehouse (GDPR Art. 17): which rows, and the log.

A request names one identifier: a `client_id` (consent cookie), a `user_id` (login) or a `hash`
(the daily-salted fingerprint of a visitor without consent). It is resolved to the person's keys,
from the raw events (the source of truth) and the stitching the pipeline did:

- a user_id: every client_id it was seen with, and every visitor key `staging.user_map` links to it;
- a client_id (and each client_id of a user_id): the hashes its browser carried on its days, so
  the hash-only events consent stitching gave that key (before the consent, after a withdrawal)
  go too;
- a hash: itself.

Every table of the warehouse with an identifier column (found by column name, IDENTIFIER_COLUMNS:
raw, quarantine, rejected rows, every model) loses the rows of those keys, in one transaction.
A hash erases only events without a client_id: the consenting events of someone else behind the
same IP and user agent keep their own key. The affected days are then rebuilt by dbt (the
aggregates that counted the person), which the Dagster asset does (defs/privacy/).

The log (`monitoring.erasure_log`, `monitoring.erased_keys`) holds salted SHA-256 hashes of the
identifiers, never the identifiers: enough to prove afterwards that no table references them,
and for the raw load to keep re-imported exports from bringing them back.
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from measure_dagster import settings

KINDS = ("client_id", "user_id", "hash")

# A column of these names holds an identifier of these kinds (visitor_key: a client_id, else a hash).
IDENTIFIER_COLUMNS: dict[str, tuple[str, ...]] = {
    "client_id": ("client_id",),
    "user_id": ("user_id",),
    "session_user_id": ("user_id",),
    "visitor_key": ("client_id", "hash"),
    "visitor_hash": ("hash",),
    "hash": ("hash",),
}
# raw.events_rejected keeps the rejected record as JSON text
REJECTED_TABLE = ("raw", "events_rejected")
LOG_SCHEMA = "monitoring"
LOG_TABLE = f"{LOG_SCHEMA}.erasure_log"
KEYS_TABLE = f"{LOG_SCHEMA}.erased_keys"


class ErasureRequestError(ValueError):
    """The request does not name exactly one identifier."""


@dataclass(frozen=True)
class ErasureRequest:
    kind: str
    value: str

    @classmethod
    def of(cls, client_id: str = "", user_id: str = "", hash: str = "") -> ErasureRequest | None:
        """The one identifier given; None when none is (then only pending erasures are finished)."""
        given = {kind: value.strip() for kind, value in zip(KINDS, (client_id, user_id, hash), strict=True) if value.strip()}
        if len(given) > 1:
            raise ErasureRequestError(f"name one identifier per erasure, got {', '.join(sorted(given))}")
        if not given:
            return None
        (kind, value), = given.items()
        return cls(kind, value)


@dataclass
class ErasedKeys:
    client_ids: set[str] = field(default_factory=set)
    user_ids: set[str] = field(default_factory=set)
    hashes: set[str] = field(default_factory=set)

    def by_kind(self) -> dict[str, set[str]]:
        return {"client_id": self.client_ids, "user_id": self.user_ids, "hash": self.hashes}


@dataclass
class ErasureResult:
    erasure_id: str
    rows_removed: dict[str, int]
    first_day: date | None
    last_day: date | None

    @property
    def total_rows(self) -> int:
        return sum(self.rows_removed.values())


def erasure_salt(warehouse_path: Path) -> str:
    """MEASURE_ERASURE_SALT, else a random salt kept beside the DuckDB file (created once, 0600).
    Keep it secret and stable: with it, a guessed identifier can be tested against the log."""
    if value := settings.erasure_salt():
        return value
    path = warehouse_path.with_name("erasure_salt")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def key_hash_sql(salt_param: str, kind: str, column: str) -> str:
    """SQL of the salted hash of an identifier column (equal to key_hash in Python)."""
    return f"sha256({salt_param} || '|{kind}|' || {column})"


def key_hash(salt: str, kind: str, value: str) -> str:
    import hashlib

    return hashlib.sha256(f"{salt}|{kind}|{value}".encode()).hexdigest()


def ensure_log_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {LOG_SCHEMA}")
    con.execute(f"""create table if not exists {LOG_TABLE} (
        erasure_id VARCHAR, requested_at TIMESTAMP, run_id VARCHAR, identifier_kind VARCHAR,
        identifier_hash VARCHAR, status VARCHAR, first_day DATE, last_day DATE, rows_removed VARCHAR,
        completed_at TIMESTAMP)""")
    con.execute(f"create table if not exists {KEYS_TABLE} (erasure_id VARCHAR, kind VARCHAR, key_hash VARCHAR)")


def identifier_tables(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, tuple[str, ...]]]:
    """Every base table with an identifier column: (schema, table) -> {column: kinds}."""
    rows = con.execute(
        """select c.table_schema, c.table_name, c.column_name
           from information_schema.columns as c
           join information_schema.tables as t using (table_catalog, table_schema, table_name)
           where t.table_type = 'BASE TABLE' and c.table_schema <> ? and c.column_name in (select unnest(?::VARCHAR[]))
           order by 1, 2, 3""",
        [LOG_SCHEMA, list(IDENTIFIER_COLUMNS)]).fetchall()
    tables: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {}
    for schema, table, column in rows:
        tables.setdefault((schema, table), {})[column] = IDENTIFIER_COLUMNS[column]
    if table_exists(con, *REJECTED_TABLE):
        tables[REJECTED_TABLE] = {}
    return tables


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                            [schema, table]).fetchall()[0][0])


def last_built_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The newest day of staging.events_cleaned: no rebuild goes past it."""
    if not table_exists(con, "staging", "events_cleaned"):
        return None
    return con.execute("select max(event_date) from staging.events_cleaned").fetchall()[0][0]


def _values(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> set[str]:
    return {row[0] for row in con.execute(sql, params).fetchall() if row[0]}


def resolve(con: duckdb.DuckDBPyConnection, request: ErasureRequest) -> ErasedKeys:
    """The person's keys, from the raw events and the pipeline's stitching (module docstring)."""
    keys = ErasedKeys()
    has_raw = table_exists(con, "raw", "events")
    has_cleaned = table_exists(con, "staging", "events_cleaned")
    if request.kind == "hash":
        keys.hashes.add(request.value)
        return keys
    if request.kind == "client_id":
        keys.client_ids.add(request.value)
    else:
        keys.user_ids.add(request.value)
        if has_raw:
            keys.client_ids |= _values(con, "select distinct client_id from raw.events where user_id = ?", [request.value])
            keys.hashes |= _values(con, "select distinct hash from raw.events where user_id = ? and client_id = ''",
                                   [request.value])
        if table_exists(con, "staging", "user_map"):
            # every visitor key linked to the user: a client_id, or the hash of a visitor without consent
            for visitor_key, is_client in con.execute(
                    "select distinct visitor_key, visitor_key = client_id from staging.user_map where user_id = ?",
                    [request.value]).fetchall():
                (keys.client_ids if is_client else keys.hashes).add(visitor_key)
    clients = sorted(keys.client_ids)
    if has_raw and clients:
        keys.hashes |= _values(con, "select distinct hash from raw.events where client_id in (select unnest(?::VARCHAR[]))",
                               [clients])
    if has_cleaned and clients:
        # hash-only events stitched to the client's key
        keys.hashes |= _values(con, "select distinct visitor_hash from staging.events_cleaned "
                                    "where visitor_key in (select unnest(?::VARCHAR[]))", [clients])
    return keys


def identifier_condition(columns: dict[str, tuple[str, ...]], member: Callable[[str, str], str], quote: str = '"') -> str:
    """The rows of a table with these identifier columns that reference an erased key, on either
    engine. `member(kind, expression)`: the SQL saying the expression is an erased key of that kind."""
    terms = []
    for column, kinds in columns.items():
        quoted = f"{quote}{column}{quote}"
        if column in ("hash", "visitor_hash") and "client_id" in columns:
            # a hash erases the events without a client_id only (someone else's consent keeps its key)
            terms.append(f"(nullif(client_id, '') is null and {member('hash', quoted)})")
        else:
            terms.extend(member(kind, quoted) for kind in kinds)
    return " or ".join(terms)


def _condition(columns: dict[str, tuple[str, ...]]) -> str:
    """The rows of a table that reference the keys in the temp table erase_keys (kind, value)."""
    return identifier_condition(columns, _in_erase_keys)


def raw_row_rule(client: str, user: str, hash_: str, member: Callable[[str, str], str]) -> str:
    """A row of raw columns (`client`, `user`, `hash_`: SQL of each, '' made NULL) is the person's:
    their client_id, their user_id, or one of their hashes on an event without a client_id.
    `member(kind, expression)`: the SQL saying the expression is an erased key of that kind."""
    return (f"{member('client_id', client)} or {member('user_id', user)} "
            f"or ({client} is null and {member('hash', hash_)})")


def _rejected_fields() -> tuple[str, str, str]:
    return tuple(f"nullif(json_extract_string(raw_record, '$.{name}'), '')" for name in ("client_id", "user_id", "hash"))


def _in_erase_keys(kind: str, expression: str) -> str:
    return f"{expression} in (select value from erase_keys where kind = '{kind}')"


def _rejected_condition() -> str:
    return raw_row_rule(*_rejected_fields(), _in_erase_keys)


def _days(con: duckdb.DuckDBPyConnection, tables: dict, condition_of) -> tuple[date | None, date | None]:
    spans = []
    for schema, table, column in (("raw", "events", "timestamp"), ("staging", "events_cleaned", "event_date")):
        if (schema, table) in tables:
            spans.append(con.execute(
                f"select min(cast({column} as date)), max(cast({column} as date)) from {schema}.{table} "
                f"where {condition_of((schema, table))}").fetchall()[0])
    firsts = [first for first, _ in spans if first is not None]
    lasts = [last for _, last in spans if last is not None]
    return (min(firsts) if firsts else None), (max(lasts) if lasts else None)


def erase_rows(con: duckdb.DuckDBPyConnection, request: ErasureRequest, salt: str, run_id: str,
               now: datetime | None = None) -> ErasureResult:
    """Resolve the request, delete the person's rows from every table and log it, in one
    transaction (a kill leaves everything as it was). The log row is left `rows_deleted`: the
    rebuild of first_day .. last_day (mark_complete) is still to do."""
    ensure_log_tables(con)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    con.begin()
    try:
        keys = resolve(con, request)
        con.execute("create or replace temp table erase_keys (kind VARCHAR, value VARCHAR)")
        rows = [(kind, value) for kind, values in keys.by_kind().items() for value in sorted(values)]
        if rows:
            con.executemany("insert into erase_keys values (?, ?)", rows)
        tables = identifier_tables(con)

        def condition_of(table: tuple[str, str]) -> str:
            return _rejected_condition() if table == REJECTED_TABLE else _condition(tables[table])

        first_day, last_day = _days(con, tables, condition_of)
        removed = {}
        for table in tables:
            count = con.execute(f'delete from "{table[0]}"."{table[1]}" where {condition_of(table)}').fetchall()[0][0]
            if count:
                removed[f"{table[0]}.{table[1]}"] = count
        erasure_id = str(uuid.uuid4())
        con.execute(f"insert into {LOG_TABLE} values (?, ?, ?, ?, ?, 'rows_deleted', ?, ?, ?, null)",
                    [erasure_id, now, run_id, request.kind, key_hash(salt, request.kind, request.value),
                     first_day, last_day, json.dumps(removed, sort_keys=True)])
        hashed = {(kind, key_hash(salt, kind, value)) for kind, value in [*rows, (request.kind, request.value)]}
        con.executemany(f"insert into {KEYS_TABLE} values (?, ?, ?)", [(erasure_id, kind, h) for kind, h in sorted(hashed)])
        con.execute("drop table erase_keys")
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return ErasureResult(erasure_id, removed, first_day, last_day)


@dataclass(frozen=True)
class PendingErasure:
    erasure_id: str
    first_day: date | None
    last_day: date | None


def pending(con: duckdb.DuckDBPyConnection) -> list[PendingErasure]:
    """Erasures whose rows are deleted but whose days are not rebuilt yet (a run failed or was killed)."""
    ensure_log_tables(con)
    return [PendingErasure(*row) for row in con.execute(
        f"select erasure_id, first_day, last_day from {LOG_TABLE} where status = 'rows_deleted' order by requested_at"
    ).fetchall()]


def mark_complete(con: duckdb.DuckDBPyConnection, erasure_ids: list[str], now: datetime | None = None) -> None:
    now = now or datetime.now(UTC).replace(tzinfo=None)
    con.execute(f"update {LOG_TABLE} set status = 'complete', completed_at = ? "
                "where erasure_id in (select unnest(?::VARCHAR[]))", [now, erasure_ids])


def rebuild_window(built: date | None, erasures: list[PendingErasure], lookback_days: int,
                   last_partition: date) -> tuple[date, date] | None:
    """The days [first, last] the partitioned models rebuild: the erased events' days, and the
    look-back days after them whose sessions read them; never past the last day built (`built`)."""
    firsts = [e.first_day for e in erasures if e.first_day is not None]
    lasts = [e.last_day for e in erasures if e.last_day is not None]
    if not firsts:
        return None
    last = min(max(lasts) + timedelta(days=lookback_days), built or max(lasts), last_partition)
    return min(firsts), max(last, max(lasts))


def remaining_references(con: duckdb.DuckDBPyConnection, salt: str, erasure_ids: list[str] | None = None) -> dict[str, int]:
    """Rows of every table still referencing an erased key (of all erasures, or of these), by the
    rule that deleted them: {schema.table: rows}. Only salted hashes are known: the values of the
    warehouse whose hash is erased are found first (over distinct values), then the rows."""
    ensure_log_tables(con)
    where = "" if erasure_ids is None else "where erasure_id in (select unnest(?::VARCHAR[]))"
    con.execute(f"create or replace temp table erased_hashes as select distinct kind, key_hash from {KEYS_TABLE} {where}",
                [] if erasure_ids is None else [erasure_ids])
    con.execute("create or replace temp table erase_keys (kind VARCHAR, value VARCHAR)")
    found = {}
    try:
        tables = identifier_tables(con)
        for (schema, table), columns in tables.items():
            if (schema, table) == REJECTED_TABLE:
                columns = {f"json_extract_string(raw_record, '$.{name}')": IDENTIFIER_COLUMNS[name]
                           for name in ("client_id", "user_id", "hash")}
            else:
                columns = {f'"{name}"': kinds for name, kinds in columns.items()}
            for column, kinds in columns.items():
                for kind in kinds:
                    con.execute(
                        f"insert into erase_keys select distinct '{kind}', value "
                        f'from (select distinct {column} as value from "{schema}"."{table}") '
                        f"where {key_hash_sql('?', kind, 'value')} in (select key_hash from erased_hashes where kind = '{kind}')",
                        [salt])
        for table, columns in tables.items():
            condition = _rejected_condition() if table == REJECTED_TABLE else _condition(columns)
            count = con.execute(f'select count(*) from "{table[0]}"."{table[1]}" where {condition}').fetchall()[0][0]
            if count:
                found[f"{table[0]}.{table[1]}"] = count
    finally:
        con.execute("drop table if exists erased_hashes")
        con.execute("drop table if exists erase_keys")
    return found


def _anything_erased(con: duckdb.DuckDBPyConnection) -> bool:
    if not table_exists(con, LOG_SCHEMA, "erased_keys"):
        return False
    return bool(con.execute(f"select count(*) from {KEYS_TABLE}").fetchall()[0][0])


def drop_erased_events(con: duckdb.DuckDBPyConnection, table: str, salt_of: Callable[[], str],
                       window: str = "true", params: list | None = None) -> int:
    """Delete from a raw events table (in `window`) the rows of a person erased after the row's
    time: a re-imported export, or the regenerated sample, must not bring them back. Events
    after the erasure are new data. The salt is read only when something was ever erased."""
    if not _anything_erased(con):
        return 0
    con.execute("create or replace temp table erased_hashes as "
                f"select k.kind, k.key_hash, max(l.requested_at) as requested_at from {KEYS_TABLE} as k "
                f"join {LOG_TABLE} as l using (erasure_id) group by 1, 2")

    def erased(kind: str, column: str) -> str:
        return (f"exists (select 1 from erased_hashes as e where e.kind = '{kind}' "
                f"and e.key_hash = {key_hash_sql('?', kind, column)} and s.\"timestamp\" <= e.requested_at)")

    rule = raw_row_rule("nullif(s.client_id, '')", "nullif(s.user_id, '')", "nullif(s.\"hash\", '')", erased)
    salt = salt_of()
    try:
        return con.execute(f"delete from {table} as s where ({window}) and ({rule})",
                           [*(params or []), salt, salt, salt]).fetchall()[0][0]
    finally:
        con.execute("drop table erased_hashes")


def drop_erased_rejected(con: duckdb.DuckDBPyConnection, salt_of: Callable[[], str]) -> int:
    """Delete the rejected records (raw.events_rejected, most without a usable time) of erased people."""
    if not _anything_erased(con):
        return 0
    def erased(kind: str, column: str) -> str:
        return f"{key_hash_sql('?', kind, column)} in (select key_hash from {KEYS_TABLE} where kind = '{kind}')"

    salt = salt_of()
    rule = raw_row_rule(*_rejected_fields(), erased)
    return con.execute(f"delete from {REJECTED_TABLE[0]}.{REJECTED_TABLE[1]} where {rule}", [salt, salt, salt]).fetchall()[0][0]

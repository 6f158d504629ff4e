#!/usr/bin/env bash
# Debian's PostgreSQL for the production-like Dagster instance (dagster_home/postgres/).
#   scripts/postgres.sh install   apt-get install postgresql when no server binaries are present
#   scripts/postgres.sh start     init the cluster (once) and start it; creates database "dagster"
#   scripts/postgres.sh url       the connection URL for MEASURE_DAGSTER_PG_URL
#   scripts/postgres.sh stop      stop the server
# The cluster is our own (not Debian's "main" cluster): data in MEASURE_PG_DATA
# (default /tmp/measure-dagster-postgres), port MEASURE_PG_PORT (default: the port saved in the
# data folder, else a free one), listening on 127.0.0.1 only, trust authentication for local
# connections (a laptop/CI instance; docs/production.md has the production setup). Run as the
# postgres user when started by root (PostgreSQL refuses to run as root).
set -euo pipefail

PGDATA="${MEASURE_PG_DATA:-/tmp/measure-dagster-postgres}"
PORT_FILE="$PGDATA.port"

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

port() {
    if [ -n "${MEASURE_PG_PORT:-}" ]; then echo "$MEASURE_PG_PORT"
    elif [ -s "$PORT_FILE" ]; then cat "$PORT_FILE"
    else free_port | tee "$PORT_FILE"; fi
}

install() {
    [ -n "$(pg_bin)" ] && return 0
    if [ "$(id -u)" != 0 ]; then echo "postgres.sh: PostgreSQL is not installed; run as root: apt-get install -y postgresql" >&2; exit 1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null || {
        apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; }
    [ -n "$(pg_bin)" ] || { echo "postgres.sh: apt-get installed no PostgreSQL server" >&2; exit 1; }
}

start() {
    install
    local bin p
    bin="$(pg_bin)"; p="$(port)"
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        mkdir -p "$PGDATA"
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
        chmod 700 "$PGDATA"
        as_owner "$bin/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    if ! as_owner "$bin/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        as_owner "$bin/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
            -o "-p $p -k $PGDATA -c listen_addresses=127.0.0.1" start >/dev/null
    fi
    if ! "$bin/psql" -h 127.0.0.1 -p "$p" -U postgres -tAc "select 1 from pg_database where datname = 'dagster'" | grep -q 1; then
        "$bin/createdb" -h 127.0.0.1 -p "$p" -U postgres dagster
    fi
    echo "PostgreSQL on 127.0.0.1:$p, data $PGDATA; MEASURE_DAGSTER_PG_URL=$(url)" >&2
}

url() { echo "postgresql+psycopg2://postgres@127.0.0.1:$(port)/dagster"; }

stop() {
    local bin; bin="$(pg_bin)"
    [ -n "$bin" ] && [ -s "$PGDATA/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    url) url ;;
    stop) stop ;;
    *) echo "usage: $0 install|start|url|stop" >&2; exit 2 ;;
esac

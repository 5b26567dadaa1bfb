#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on loopback for the tests and print the URL to use.
#
#   eval "$(bash .ci/postgres.sh)"     # sets PHM_TEST_POSTGRES_URL in the calling shell
#   bash .ci/postgres.sh --stop        # stops the server and removes its data directory
#
# Installs Debian's postgresql package when no server binaries are found (needs root), creates a cluster in
# $PHM_PG_DIR (default /tmp/phm-test-postgres) owned by the postgres user (the server refuses to run as root),
# listens on 127.0.0.1 only, on a free port from 5433 up, with trust authentication for loopback and durability
# switched off (a test server: fast, never for real data). Running it again reuses the running server, so it is
# idempotent. Only the `export ...` line goes to standard output; progress goes to standard error.
set -euo pipefail

PG_DIR="${PHM_PG_DIR:-/tmp/phm-test-postgres}"
DATA_DIR="$PG_DIR/data"
SOCKET_DIR="$PG_DIR/socket"
PORT_FILE="$PG_DIR/port"
LOG_FILE="$PG_DIR/server.log"
DB_NAME="${PHM_PG_DATABASE:-phm_test}"
DB_USER=postgres

log() { echo "postgres.sh: $*" >&2; }

find_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
        echo "$dir"
    fi
}

# Run a server command as the postgres user when we are root (postgres refuses to run as root).
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local port
    for port in $(seq 5433 5532); do
        if ! port_in_use "$port"; then
            echo "$port"
            return 0
        fi
    done
    log "no free port between 5433 and 5532"
    return 1
}

BINDIR=$(find_bindir)

if [[ "${1:-}" == "--stop" ]]; then
    if [[ -n "$BINDIR" && -f "$DATA_DIR/PG_VERSION" ]]; then
        as_owner "$BINDIR/pg_ctl" -D "$DATA_DIR" -m fast -w stop >&2 || true
    fi
    rm -rf "$PG_DIR"
    log "stopped and removed $PG_DIR"
    exit 0
fi

if [[ -z "$BINDIR" ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        log "PostgreSQL server binaries not found and not root: install Debian's postgresql package first"
        exit 1
    fi
    log "installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    BINDIR=$(find_bindir)
    if [[ -z "$BINDIR" ]]; then
        log "postgresql installed but no server binaries under /usr/lib/postgresql/*/bin"
        exit 1
    fi
fi

mkdir -p "$PG_DIR"
if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$PG_DIR"
fi
as_owner mkdir -p "$SOCKET_DIR"

if [[ ! -f "$DATA_DIR/PG_VERSION" ]]; then
    log "creating a cluster in $DATA_DIR"
    rm -rf "$DATA_DIR"
    as_owner "$BINDIR/initdb" -D "$DATA_DIR" -U "$DB_USER" --auth=trust --encoding=UTF8 --no-locale >&2
    {
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$SOCKET_DIR'"
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
        echo "max_connections = 200"
    } | as_owner tee -a "$DATA_DIR/postgresql.conf" >/dev/null
fi

if as_owner "$BINDIR/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1 && [[ -f "$PORT_FILE" ]]; then
    PORT=$(cat "$PORT_FILE")
    log "server already running on 127.0.0.1:$PORT"
else
    PORT=$(free_port)
    log "starting the server on 127.0.0.1:$PORT"
    as_owner "$BINDIR/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -o "-p $PORT" -w -t 60 start >&2 || {
        log "server did not start; last lines of $LOG_FILE:"
        tail -n 20 "$LOG_FILE" >&2 || true
        exit 1
    }
    echo "$PORT" | as_owner tee "$PORT_FILE" >/dev/null
fi

PSQL=("$BINDIR/psql" -h 127.0.0.1 -p "$PORT" -U "$DB_USER" -d postgres -v ON_ERROR_STOP=1 -qtA)
if [[ "$(as_owner "${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != "1" ]]; then
    log "creating database $DB_NAME"
    as_owner "${PSQL[@]}" -c "CREATE DATABASE \"$DB_NAME\"" >&2
fi

echo "export PHM_TEST_POSTGRES_URL='postgresql+psycopg://$DB_USER@127.0.0.1:$PORT/$DB_NAME'"

#!/usr/bin/env bash
# Finds or starts a PostgreSQL for the fixture app tests and prints `export TEST_DATABASE_URL=…` on stdout,
# so that `eval "$(bash .ci/test-postgres.sh)"` works. Everything else goes to stderr.
#
#   1. TEST_DATABASE_URL already set and answering → printed back unchanged.
#   2. Otherwise a private cluster under $TEST_POSTGRES_DIR (default /tmp/infra-chat-postgres-<uid>):
#      initdb'd once, started if down, on 127.0.0.1 and a free port, socket inside that folder, password
#      auth; database invoice_perfect_test created if missing. Re-running reuses it. Nothing is ever stopped.
#
# --install: when no PostgreSQL server binaries are found and we are root, `apt-get install postgresql`
# first (CI on a fresh machine; developers are never surprised by an install).
set -euo pipefail

DB_NAME="${TEST_DATABASE_NAME:-invoice_perfect_test}"
STATE_DIR="${TEST_POSTGRES_DIR:-${TMPDIR:-/tmp}/infra-chat-postgres-$(id -u)}"
INSTALL=0
[[ "${1:-}" == "--install" ]] && INSTALL=1

log() { printf 'test-postgres: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# Newest server first: the Debian layout keeps each major version in /usr/lib/postgresql/<v>/bin.
find_bin_dir() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return 0; }
  done
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(readlink -f "$(command -v initdb)")"; return 0
  fi
  return 1
}

url_answers() { "$PSQL" "$1" -XAtqc 'select 1' >/dev/null 2>&1; }

# postgres refuses to run as root, so as root every server-side command runs as the `postgres` user.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port nobody listens on (a /dev/tcp connect that succeeds means taken). The start is retried on another
# port anyway, in case someone binds this one between the check and the server's bind.
pick_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( 20000 + RANDOM % 40000 ))
    port_taken "$port" || { echo "$port"; return 0; }
  done
  return 1
}

BIN_DIR="$(find_bin_dir || true)"
if [[ -z "$BIN_DIR" && $INSTALL -eq 1 && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  log "no PostgreSQL server found; installing Debian's postgresql package"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  BIN_DIR="$(find_bin_dir || true)"
fi
PSQL="$(command -v psql || echo "${BIN_DIR:-/nonexistent}/psql")"

if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
  if [[ -x "$PSQL" ]] && url_answers "$TEST_DATABASE_URL"; then
    log "using the TEST_DATABASE_URL already set"
    printf 'export TEST_DATABASE_URL=%q\n' "$TEST_DATABASE_URL"
    exit 0
  fi
  log "TEST_DATABASE_URL is set but does not answer; starting a private cluster instead"
fi

[[ -n "$BIN_DIR" ]] || die "no PostgreSQL server binaries (initdb, pg_ctl) found; install PostgreSQL or set TEST_DATABASE_URL"
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to own the cluster"
fi

DATA_DIR="$STATE_DIR/data"
SOCKET_DIR="$STATE_DIR/socket"
PASSWORD_FILE="$STATE_DIR/password"

if [[ ! -f "$DATA_DIR/PG_VERSION" ]]; then
  log "creating a private cluster in $STATE_DIR"
  rm -rf "$STATE_DIR"
  mkdir -p "$SOCKET_DIR"
  # A random superuser password: the cluster listens on loopback, but other local users exist on shared hosts.
  head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$PASSWORD_FILE"
  chmod 700 "$STATE_DIR" && chmod 600 "$PASSWORD_FILE"
  [[ $(id -u) -eq 0 ]] && chown -R postgres: "$STATE_DIR"
  as_owner "$BIN_DIR/initdb" -D "$DATA_DIR" -U postgres --pwfile="$PASSWORD_FILE" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C >"$STATE_DIR/initdb.log" 2>&1 \
    || { cat "$STATE_DIR/initdb.log" >&2; die "initdb failed"; }
  # Durability is worthless for a throwaway test database; these make the 10,000-row seed several times faster.
  as_owner tee -a "$DATA_DIR/postgresql.conf" >/dev/null <<EOF
# --- infra-chat test cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCKET_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
fi

PASSWORD="$(cat "$PASSWORD_FILE")"
PORT_FILE="$STATE_DIR/port"

start_cluster() {
  local port attempt
  for attempt in 1 2 3 4 5; do
    port="$(cat "$PORT_FILE" 2>/dev/null || true)"
    # Keep the port of an earlier run when it is still free, so URLs printed before stay valid.
    if [[ -z "$port" ]] || port_taken "$port"; then port="$(pick_port)" || die "no free port found"; fi
    if as_owner "$BIN_DIR/pg_ctl" -D "$DATA_DIR" -l "$STATE_DIR/postgres.log" -o "-p $port" -w -t 60 start >/dev/null 2>&1; then
      echo "$port" > "$PORT_FILE"
      log "started PostgreSQL on 127.0.0.1:$port (stop: pg_ctl -D $DATA_DIR stop)"
      return 0
    fi
    log "start on port $port failed (attempt $attempt); see $STATE_DIR/postgres.log"
    rm -f "$PORT_FILE"
  done
  tail -20 "$STATE_DIR/postgres.log" >&2 || true
  die "could not start PostgreSQL"
}

# A server pg_ctl calls running may still be starting, or be a killed one not yet gone (a session's
# processes are ended before CI runs in the same /tmp): wait for it to answer or to vanish.
for _ in $(seq 1 40); do
  if ! as_owner "$BIN_DIR/pg_ctl" -D "$DATA_DIR" status >/dev/null 2>&1; then start_cluster; break; fi
  # The running server's own record of its port (line 4 of postmaster.pid) beats any file of ours.
  sed -n 4p "$DATA_DIR/postmaster.pid" > "$PORT_FILE"
  if url_answers "postgres://postgres:$PASSWORD@127.0.0.1:$(cat "$PORT_FILE")/postgres"; then
    log "reusing the running cluster on 127.0.0.1:$(cat "$PORT_FILE")"
    break
  fi
  sleep 0.5
done
url_answers "postgres://postgres:$PASSWORD@127.0.0.1:$(cat "$PORT_FILE")/postgres" \
  || die "the cluster in $STATE_DIR neither answers nor stops; stop it (pg_ctl -D $DATA_DIR stop) or remove $STATE_DIR"

PORT="$(cat "$PORT_FILE")"
ADMIN_URL="postgres://postgres:$PASSWORD@127.0.0.1:$PORT/postgres"
if [[ "$("$PSQL" "$ADMIN_URL" -XAtqc "select 1 from pg_database where datname = '$DB_NAME'")" != "1" ]]; then
  "$PSQL" "$ADMIN_URL" -Xqc "create database \"$DB_NAME\"" >&2
  log "created database $DB_NAME"
fi

URL="postgres://postgres:$PASSWORD@127.0.0.1:$PORT/$DB_NAME"
url_answers "$URL" || die "the cluster is up but $URL does not answer"
printf 'export TEST_DATABASE_URL=%q\n' "$URL"

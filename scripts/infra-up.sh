#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster and RabbitMQ node on 127.0.0.1 for tests and local runs, without
# systemd or Docker, installing the packages first if they are missing (needs root for that).
#
# Idempotent: with both servers already up it only re-checks them, brings the broker users up to date (one
# rabbitmqctl call) and rewrites the env file (about a second). Exits 0 once both accept connections, non-zero
# with a message naming the log file otherwise.
# Connection settings are printed and written to "$INFRA_DIR/env" (source it).
#
# Settings (environment, all optional). Ports default away from the standard ones so a developer's own
# servers keep working:
#   INFRA_DIR             state, data and logs        ${TMPDIR:-/tmp}/orchestrator-infra
#   INFRA_ONLY            all | postgres | rabbitmq   all
#   READY_TIMEOUT         seconds per server          90
#   SKIP_INSTALL          1 = never run apt-get       0
#   PG_BIN                PostgreSQL binaries         newest /usr/lib/postgresql/*/bin
#   PG_PORT               PostgreSQL port             55432
#   PG_FAST               1 = fsync/synchronous_commit/full_page_writes off (disposable data only)   0
#   PG_DB                 database                    orchestrator
#   PG_OWNER / PG_OWNER_PASSWORD   owns the database; migrations and tests    orchestrator_owner (same)
#   PG_APP / PG_APP_PASSWORD       runtime role, DML only                     orchestrator_app (same)
#   RABBITMQ_PORT         AMQP port                   55672
#   RABBITMQ_DIST_PORT    Erlang distribution port    RABBITMQ_PORT+10000, or -10000 if that passes 65535 (45672)
#   RABBITMQ_CTL_DIST_PORT_MIN/MAX  ports the CLI tools (rabbitmqctl) listen on   RABBITMQ_PORT+20 .. +30
#   ERL_EPMD_PORT         epmd port                   54369
#   RABBITMQ_MANAGEMENT   1 = management plugin       0 (adds several seconds to a cold start)
#   RABBITMQ_MGMT_PORT    management HTTP port        55673
#   RABBITMQ_VHOST / RABBITMQ_USER / RABBITMQ_PASSWORD   orchestrator / orchestrator / orchestrator
#     (vhost and user are created on the node's first boot: changing them later needs PURGE=1 infra-down.sh;
#     this user has every right: the tests and the tools use it)
#   RABBITMQ_ORCHESTRATOR_USER / RABBITMQ_WORKER_USER / RABBITMQ_SUBMITTER_USER (and _PASSWORD, default the name)
#     svc-orchestrator / svc-worker / svc-submitter: the production shape's users, each with only its role's
#     rights (scripts/broker-roles.sh); created, or brought up to date, on every run
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

INFRA_DIR="${INFRA_DIR:-${TMPDIR:-/tmp}/orchestrator-infra}"
INFRA_ONLY="${INFRA_ONLY:-all}"
READY_TIMEOUT="${READY_TIMEOUT:-90}"
SKIP_INSTALL="${SKIP_INSTALL:-0}"
PG_PORT="${PG_PORT:-55432}"
PG_FAST="${PG_FAST:-0}"
PG_DB="${PG_DB:-orchestrator}"
PG_OWNER="${PG_OWNER:-orchestrator_owner}"
PG_OWNER_PASSWORD="${PG_OWNER_PASSWORD:-orchestrator_owner}"
PG_APP="${PG_APP:-orchestrator_app}"
PG_APP_PASSWORD="${PG_APP_PASSWORD:-orchestrator_app}"
RABBITMQ_PORT="${RABBITMQ_PORT:-55672}"
# Distribution port: RABBITMQ_PORT+10000 when that is a port at all, else RABBITMQ_PORT-10000 (55672+10000
# would be 65672, past 65535).
if [ -z "${RABBITMQ_DIST_PORT:-}" ]; then
  RABBITMQ_DIST_PORT=$((RABBITMQ_PORT + 10000))
  [ "$RABBITMQ_DIST_PORT" -le 65535 ] || RABBITMQ_DIST_PORT=$((RABBITMQ_PORT - 10000))
fi
# rabbitmq-env's own default for the CLI range is DIST_PORT+10000.., which is past 65535 with our ports.
RABBITMQ_CTL_DIST_PORT_MIN="${RABBITMQ_CTL_DIST_PORT_MIN:-$((RABBITMQ_PORT + 20))}"
RABBITMQ_CTL_DIST_PORT_MAX="${RABBITMQ_CTL_DIST_PORT_MAX:-$((RABBITMQ_CTL_DIST_PORT_MIN + 10))}"
ERL_EPMD_PORT="${ERL_EPMD_PORT:-54369}"
RABBITMQ_MANAGEMENT="${RABBITMQ_MANAGEMENT:-0}"
RABBITMQ_MGMT_PORT="${RABBITMQ_MGMT_PORT:-55673}"
RABBITMQ_VHOST="${RABBITMQ_VHOST:-orchestrator}"
RABBITMQ_USER="${RABBITMQ_USER:-orchestrator}"
RABBITMQ_PASSWORD="${RABBITMQ_PASSWORD:-orchestrator}"
RABBITMQ_ORCHESTRATOR_USER="${RABBITMQ_ORCHESTRATOR_USER:-svc-orchestrator}"
RABBITMQ_ORCHESTRATOR_PASSWORD="${RABBITMQ_ORCHESTRATOR_PASSWORD:-$RABBITMQ_ORCHESTRATOR_USER}"
RABBITMQ_WORKER_USER="${RABBITMQ_WORKER_USER:-svc-worker}"
RABBITMQ_WORKER_PASSWORD="${RABBITMQ_WORKER_PASSWORD:-$RABBITMQ_WORKER_USER}"
RABBITMQ_SUBMITTER_USER="${RABBITMQ_SUBMITTER_USER:-svc-submitter}"
RABBITMQ_SUBMITTER_PASSWORD="${RABBITMQ_SUBMITTER_PASSWORD:-$RABBITMQ_SUBMITTER_USER}"
export RABBITMQ_ORCHESTRATOR_USER RABBITMQ_ORCHESTRATOR_PASSWORD RABBITMQ_WORKER_USER RABBITMQ_WORKER_PASSWORD \
  RABBITMQ_SUBMITTER_USER RABBITMQ_SUBMITTER_PASSWORD
RMQ_HOME=/usr/lib/rabbitmq/bin

log() { printf '[infra-up %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf '[infra-up] ERROR: %s\n' "$*" >&2; exit 1; }
T0=$(date +%s%3N)
step() { log "$1 (+$(( $(date +%s%3N) - T0 )) ms)"; }

case "$INFRA_ONLY" in all|postgres|rabbitmq) ;; *) die "INFRA_ONLY must be all, postgres or rabbitmq (got '$INFRA_ONLY')";; esac
want() { [ "$INFRA_ONLY" = all ] || [ "$INFRA_ONLY" = "$1" ]; }

check_port() { # name value
  [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le 65535 ] || die "$1=$2 is not a TCP port (1..65535)"
}
for v in PG_PORT RABBITMQ_PORT RABBITMQ_DIST_PORT RABBITMQ_CTL_DIST_PORT_MIN RABBITMQ_CTL_DIST_PORT_MAX \
         ERL_EPMD_PORT RABBITMQ_MGMT_PORT; do
  check_port "$v" "${!v}"
done
[[ "$READY_TIMEOUT" =~ ^[0-9]+$ ]] || die "READY_TIMEOUT must be a whole number of seconds"

# alive = exists and is not a zombie: under a PID 1 that reaps orphans late, a dead server's PID still
# answers kill -0, so look at the process state instead.
pid_alive() { local s; [ -n "${1:-}" ] || return 1; s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [ -n "$s" ] && [ "${s:0:1}" != Z ]; }
port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
port_owner() { ss -Hltnp "sport = :$1" 2>/dev/null | head -1; }
tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# pid_alive and its command line mentions $2: a pid file left by a crash may name a PID reused since.
proc_is() { pid_alive "$1" && grep -qa -- "$2" "/proc/$1/cmdline" 2>/dev/null; }

mkdir -p "$INFRA_DIR"
chmod 755 "$INFRA_DIR"
# One infra-up/infra-down at a time per INFRA_DIR (two test runs starting together). Daemons started
# below get fd 9 closed so they do not hold the lock after this script exits.
exec 9>"$INFRA_DIR/.lock"
if command -v flock >/dev/null; then flock -w 300 9 || die "another infra-up/infra-down holds $INFRA_DIR/.lock"; fi

# ------------------------------------------------------------------------------------------ packages
apt_install() {
  [ "$SKIP_INSTALL" = 1 ] && die "missing packages: $* (SKIP_INSTALL=1)"
  [ "$(id -u)" = 0 ] || die "missing packages: $*; run as root once (or: sudo apt-get install --no-install-recommends $*)"
  command -v apt-get >/dev/null || die "missing packages: $* and no apt-get to install them"
  # Keep the packages' maintainer scripts from starting system-wide servers on the standard ports.
  local own_policy=0 rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; own_policy=1
  fi
  # A fresh image has no package lists; stale lists give 404s, so update and retry once on failure.
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    step "apt-get update"
    apt-get update -q >"$INFRA_DIR/apt.log" 2>&1 || rc=$?
  fi
  if [ "$rc" = 0 ]; then
    step "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$INFRA_DIR/apt.log" 2>&1 || {
      step "install failed; apt-get update and retry"
      rc=0
      apt-get update -q >>"$INFRA_DIR/apt.log" 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$INFRA_DIR/apt.log" 2>&1 || rc=$?
    }
  fi
  [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || { tail -20 "$INFRA_DIR/apt.log" >&2; die "apt-get failed installing $* (log: $INFRA_DIR/apt.log)"; }
}
find_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true; }

need=()
if want rabbitmq && [ ! -x "$RMQ_HOME/rabbitmq-server" ]; then need+=(rabbitmq-server); fi
if want postgres; then
  PG_BIN="${PG_BIN:-$(find_pg_bin)}"
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || need+=(postgresql)
fi
command -v ss >/dev/null || need+=(iproute2)
if [ "${#need[@]}" -gt 0 ]; then apt_install "${need[@]}"; fi
if want postgres; then
  [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ] || PG_BIN="$(find_pg_bin)"
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || die "PostgreSQL binaries not found (PG_BIN='${PG_BIN:-}')"
else
  PG_BIN="${PG_BIN:-$(find_pg_bin)}"
fi

# ------------------------------------------------------------------------------------------ PostgreSQL
PG_DIR="$INFRA_DIR/postgres"
PG_DATA="$PG_DIR/data"
PG_SOCKET_DIR="$PG_DIR/sock"
PG_LOG="$PG_DIR/server.log"
[ "${#PG_SOCKET_DIR}" -le 90 ] || die "socket path '$PG_SOCKET_DIR' is too long for a Unix socket; use a shorter INFRA_DIR"

# The server refuses to run as root: run it as 'postgres' (the package creates that user).
if [ "$(id -u)" = 0 ]; then
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

pg_pid() { [ -f "$PG_DATA/postmaster.pid" ] && head -1 "$PG_DATA/postmaster.pid" || true; }

pg_wait_ready() {
  local deadline=$(( $(date +%s) + READY_TIMEOUT )) pid
  until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2; do
    pid=$(pg_pid)
    pid_alive "$pid" || { tail -20 "$PG_LOG" >&2 2>/dev/null; die "PostgreSQL exited during start-up (log: $PG_LOG)"; }
    [ "$(date +%s)" -lt "$deadline" ] || { tail -20 "$PG_LOG" >&2; die "PostgreSQL not accepting connections on 127.0.0.1:$PG_PORT within ${READY_TIMEOUT}s (log: $PG_LOG)"; }
    sleep 0.2
  done
}

pg_write_conf() { # rewrites the settings file; returns 0 when its content changed
  local new="$PG_DIR/orchestrator-infra.conf.new" cur="$PG_DATA/orchestrator-infra.conf"
  {
    echo "# Written by scripts/infra-up.sh on every run: edit the script's settings, not this file."
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PG_PORT"
    echo "unix_socket_directories = '$PG_SOCKET_DIR'"
    echo "max_connections = 300"
    echo "shared_buffers = 256MB"
    echo "log_line_prefix = '%m [%p] %q%u@%d '"
    if [ "$PG_FAST" = 1 ]; then
      echo "# PG_FAST=1: a crash can lose or corrupt data; fine for a throwaway test cluster only."
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } >"$new"
  if cmp -s "$new" "$cur"; then rm -f "$new"; return 1; fi
  [ "$(id -u)" = 0 ] && chown postgres: "$new"
  mv -f "$new" "$cur"
  return 0
}

pg_setup_sql() {
  # Roles, database and grants, converged on every run (cheap; keeps a re-run correct after edits).
  as_pg "$PG_BIN/psql" -X -q -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -v owner="$PG_OWNER" -v owner_pw="$PG_OWNER_PASSWORD" -v app="$PG_APP" -v app_pw="$PG_APP_PASSWORD" \
    -v db="$PG_DB" >"$PG_DIR/setup.log" 2>&1 <<'SQL' || { cat "$PG_DIR/setup.log" >&2; die "PostgreSQL role/database setup failed (log: $PG_DIR/setup.log)"; }
SELECT format('CREATE ROLE %I', :'owner') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
-- Owner: owns the database (and through pg_database_owner its public schema); runs migrations; the tests
-- create and drop throwaway databases with it, hence CREATEDB.
ALTER ROLE :"owner" WITH LOGIN CREATEDB NOSUPERUSER NOCREATEROLE PASSWORD :'owner_pw';
SELECT format('CREATE ROLE %I', :'app') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec
-- Runtime role: data access only, never DDL.
ALTER ROLE :"app" WITH LOGIN NOCREATEDB NOSUPERUSER NOCREATEROLE PASSWORD :'app_pw';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
\c :"db"
SELECT current_setting('server_version_num')::int < 150000 AS pre15 \gset
\if :pre15
ALTER SCHEMA public OWNER TO :"owner";
\endif
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"app";
GRANT USAGE ON SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app";
SQL
}

start_postgres() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    mkdir -p "$PG_DIR"; chown postgres: "$PG_DIR"
    runuser -u postgres -- test -w "$PG_DIR" ||
      die "user 'postgres' cannot write $PG_DIR (a parent directory is not searchable?); set INFRA_DIR elsewhere"
  else
    mkdir -p "$PG_DIR"
  fi
  as_pg mkdir -p "$PG_SOCKET_DIR"

  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    step "initdb $PG_DATA"
    rm -rf "$PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 --no-instructions >"$PG_DIR/initdb.log" 2>&1 \
      || { tail -20 "$PG_DIR/initdb.log" >&2; die "initdb failed (log: $PG_DIR/initdb.log)"; }
    echo "include_if_exists = 'orchestrator-infra.conf'" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
  fi
  local changed=0 pid
  pg_write_conf && changed=1

  pid=$(pg_pid)
  if [ -n "$pid" ] && ! proc_is "$pid" postgres; then
    # Left by a crash or a zombie: postgres itself would refuse to start while the PID still "exists".
    log "removing stale postmaster.pid (pid $pid not running)"
    rm -f "$PG_DATA/postmaster.pid" "$PG_SOCKET_DIR"/.s.PGSQL.*.lock
    pid=""
  fi
  if [ -n "$pid" ]; then
    if [ "$changed" = 1 ]; then
      step "settings changed: restarting PostgreSQL (pid $pid)"
      as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -m fast -w -t "$READY_TIMEOUT" restart >/dev/null 9>&- \
        || { tail -20 "$PG_LOG" >&2; die "PostgreSQL restart failed (log: $PG_LOG)"; }
    else
      step "PostgreSQL already running (pid $pid)"
    fi
  else
    port_busy "$PG_PORT" && die "port $PG_PORT (PostgreSQL) is taken by another process: $(port_owner "$PG_PORT"); set PG_PORT"
    step "starting PostgreSQL (127.0.0.1:$PG_PORT)"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$READY_TIMEOUT" start >/dev/null 9>&- \
      || { tail -20 "$PG_LOG" >&2; die "PostgreSQL did not start within ${READY_TIMEOUT}s (log: $PG_LOG; PURGE=1 scripts/infra-down.sh resets all state)"; }
  fi
  pg_wait_ready
  pg_setup_sql
  step "PostgreSQL ready (pid $(pg_pid), database $PG_DB)"
}

# ------------------------------------------------------------------------------------------ RabbitMQ
RMQ_DIR="$INFRA_DIR/rabbitmq"
RMQ_NODE="orchestrator${RABBITMQ_PORT}@localhost"
RMQ_LOG_DIR="$RMQ_DIR/log"
# The /usr/sbin wrappers switch to the rabbitmq user and the system paths; the bin/ scripts started with
# our own HOME and RABBITMQ_* paths run as the current user against this directory only.
RMQ_ENV=(HOME="$RMQ_DIR/home"
  RABBITMQ_NODENAME="$RMQ_NODE" RABBITMQ_USE_LONGNAME=false
  RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
  RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
  RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
  RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
  RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia" RABBITMQ_LOG_BASE="$RMQ_LOG_DIR"
  RABBITMQ_PID_FILE="$RMQ_DIR/rabbitmq.pid"
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$RABBITMQ_PORT"
  RABBITMQ_DIST_PORT="$RABBITMQ_DIST_PORT"
  RABBITMQ_CTL_DIST_PORT_MIN="$RABBITMQ_CTL_DIST_PORT_MIN" RABBITMQ_CTL_DIST_PORT_MAX="$RABBITMQ_CTL_DIST_PORT_MAX"
  ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$ERL_EPMD_PORT"
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}")
rmqctl() { env "${RMQ_ENV[@]}" "$RMQ_HOME/rabbitmqctl" -n "$RMQ_NODE" "$@"; }
rmq_wrapper_pid() { cat "$RMQ_DIR/server.pid" 2>/dev/null || true; }
rmq_beam_pid() { cat "$RMQ_DIR/rabbitmq.pid" 2>/dev/null || true; }
rmq_alive() { proc_is "$(rmq_wrapper_pid)" rabbitmq || proc_is "$(rmq_beam_pid)" rabbit; }
rmq_fail() {
  tail -20 "$RMQ_DIR/server.out" >&2 2>/dev/null || true
  die "$1 (logs: $RMQ_LOG_DIR/$RMQ_NODE.log, $RMQ_DIR/server.out; PURGE=1 scripts/infra-down.sh resets all state)"
}

rmq_wait_ready() {
  local deadline=$(( $(date +%s) + READY_TIMEOUT )) left
  # await_startup blocks until the node has booted; it fails until the node has registered with epmd.
  while left=$(( deadline - $(date +%s) )); [ "$left" -gt 10 ] && left=10; [ "$left" -lt 1 ] && left=1
        ! rmqctl -q await_startup --timeout "$left" >/dev/null 2>&1; do
    rmq_alive || rmq_fail "RabbitMQ exited during start-up"
    [ "$(date +%s)" -lt "$deadline" ] || rmq_fail "RabbitMQ not ready within ${READY_TIMEOUT}s"
    sleep 0.5
  done
  # The AMQP listener opens last.
  until tcp_open "$RABBITMQ_PORT"; do
    [ "$(date +%s)" -lt "$deadline" ] || rmq_fail "RabbitMQ booted but AMQP port $RABBITMQ_PORT never opened"
    sleep 0.2
  done
}

rmq_setup_users() {
  # The role users, converged on every run (one CLI call): a node created before they existed gets them, and a
  # changed password or rule applies. The file holds passwords: readable by this user only.
  local defs="$RMQ_DIR/broker-users.json"
  ( umask 077; "$HERE/broker-roles.sh" definitions "$RABBITMQ_VHOST" >"$defs" )
  rmqctl -q import_definitions "$defs" >"$RMQ_DIR/broker-users.log" 2>&1 \
    || { cat "$RMQ_DIR/broker-users.log" >&2; die "creating the broker users failed (log: $RMQ_DIR/broker-users.log)"; }
  step "broker users $RABBITMQ_ORCHESTRATOR_USER, $RABBITMQ_WORKER_USER, $RABBITMQ_SUBMITTER_USER ready"
}

start_rabbitmq() {
  if rmq_alive; then
    if tcp_open "$RABBITMQ_PORT"; then
      step "RabbitMQ already running (pid $(rmq_wrapper_pid))"
    else
      step "RabbitMQ process alive but AMQP port closed: waiting for it"
      rmq_wait_ready
      step "RabbitMQ ready (pid $(rmq_wrapper_pid))"
    fi
    rmq_setup_users
    return 0
  fi
  rm -f "$RMQ_DIR/server.pid" "$RMQ_DIR/rabbitmq.pid"
  port_busy "$RABBITMQ_PORT" && die "port $RABBITMQ_PORT (AMQP) is taken by another process: $(port_owner "$RABBITMQ_PORT"); set RABBITMQ_PORT"
  port_busy "$RABBITMQ_DIST_PORT" && die "port $RABBITMQ_DIST_PORT (Erlang distribution) is taken: $(port_owner "$RABBITMQ_DIST_PORT"); set RABBITMQ_DIST_PORT"
  if [ "$RABBITMQ_MANAGEMENT" = 1 ] && port_busy "$RABBITMQ_MGMT_PORT"; then
    die "port $RABBITMQ_MGMT_PORT (management) is taken: $(port_owner "$RABBITMQ_MGMT_PORT"); set RABBITMQ_MGMT_PORT"
  fi
  mkdir -p "$RMQ_DIR/home" "$RMQ_LOG_DIR" "$RMQ_DIR/mnesia"
  # default_vhost/default_user apply on the first boot of an empty node: no CLI round-trips needed.
  cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# Written by scripts/infra-up.sh on every start.
listeners.tcp.default = 127.0.0.1:$RABBITMQ_PORT
loopback_users = none
default_vhost = $RABBITMQ_VHOST
default_user = $RABBITMQ_USER
default_pass = $RABBITMQ_PASSWORD
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
default_user_tags.administrator = true
log.console = false
log.file.level = info
EOF
  if [ "$RABBITMQ_MANAGEMENT" = 1 ]; then
    printf 'management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = %s\n' "$RABBITMQ_MGMT_PORT" >>"$RMQ_DIR/rabbitmq.conf"
    echo '[rabbitmq_management].' >"$RMQ_DIR/enabled_plugins"
  else
    echo '[].' >"$RMQ_DIR/enabled_plugins"
  fi
  echo '[].' >"$RMQ_DIR/advanced.config"
  : >"$RMQ_DIR/rabbitmq-env.conf"
  step "starting RabbitMQ (node $RMQ_NODE, amqp 127.0.0.1:$RABBITMQ_PORT)"
  # setsid: own session, so the node outlives this script and a CI step's process group.
  ( cd "$RMQ_DIR" && exec setsid env "${RMQ_ENV[@]}" "$RMQ_HOME/rabbitmq-server" \
      >"$RMQ_DIR/server.out" 2>&1 </dev/null 9>&- ) &
  echo $! >"$RMQ_DIR/server.pid"
  rmq_wait_ready
  step "RabbitMQ ready (pid $(rmq_wrapper_pid), beam $(rmq_beam_pid))"
  rmq_setup_users
}

# ------------------------------------------------------------------------------------------ start
# PostgreSQL starts while the Erlang VM boots.
pg_job=""
# If RabbitMQ fails, still let the PostgreSQL job finish before exiting, so its messages are not interleaved
# with the caller's next output (bash does not run this trap in the background subshell).
trap '[ -n "$pg_job" ] && wait "$pg_job" 2>/dev/null' EXIT
if want postgres; then start_postgres & pg_job=$!; fi
if want rabbitmq; then start_rabbitmq; fi
if [ -n "$pg_job" ]; then
  rc=0; wait "$pg_job" || rc=$?; pg_job=""
  [ "$rc" = 0 ] || die "PostgreSQL start failed (log: $PG_LOG)"
fi

# ------------------------------------------------------------------------------------------ env file
urlenc() { # RFC 3986 percent-encoding of one URI component
  local s="$1" out="" c i
  for (( i = 0; i < ${#s}; i++ )); do
    c="${s:i:1}"
    case "$c" in [A-Za-z0-9._~-]) out+="$c" ;; *) out+=$(printf '%%%02X' "'$c") ;; esac
  done
  printf '%s' "$out"
}
pg_cs() { printf 'Host=127.0.0.1;Port=%s;Database=%s;Username=%s;Password=%s' "$PG_PORT" "$PG_DB" "$1" "$2"; }

ORCH_TEST_POSTGRES="$(pg_cs "$PG_OWNER" "$PG_OWNER_PASSWORD")"
ORCH_TEST_POSTGRES_APP="$(pg_cs "$PG_APP" "$PG_APP_PASSWORD")"
amqp_url() { printf 'amqp://%s:%s@127.0.0.1:%s/%s' "$(urlenc "$1")" "$(urlenc "$2")" "$RABBITMQ_PORT" "$(urlenc "$RABBITMQ_VHOST")"; }
ORCH_TEST_RABBITMQ="$(amqp_url "$RABBITMQ_USER" "$RABBITMQ_PASSWORD")"
# The production shape's users (scripts/broker-roles.sh): each process runs as its role.
ORCH_TEST_RABBITMQ_ORCHESTRATOR="$(amqp_url "$RABBITMQ_ORCHESTRATOR_USER" "$RABBITMQ_ORCHESTRATOR_PASSWORD")"
ORCH_TEST_RABBITMQ_WORKER="$(amqp_url "$RABBITMQ_WORKER_USER" "$RABBITMQ_WORKER_PASSWORD")"
ORCH_TEST_RABBITMQ_SUBMITTER="$(amqp_url "$RABBITMQ_SUBMITTER_USER" "$RABBITMQ_SUBMITTER_PASSWORD")"
ORCH_TEST_RABBITMQ_MANAGEMENT=""
[ "$RABBITMQ_MANAGEMENT" = 1 ] && ORCH_TEST_RABBITMQ_MANAGEMENT="http://127.0.0.1:$RABBITMQ_MGMT_PORT/"

ENV_VARS=(INFRA_DIR PG_BIN PG_PORT PG_DATA PG_SOCKET_DIR PG_LOG PG_FAST PG_DB
  PG_OWNER PG_OWNER_PASSWORD PG_APP PG_APP_PASSWORD
  RABBITMQ_PORT RABBITMQ_DIST_PORT RABBITMQ_CTL_DIST_PORT_MIN RABBITMQ_CTL_DIST_PORT_MAX ERL_EPMD_PORT
  RABBITMQ_MANAGEMENT RABBITMQ_MGMT_PORT RABBITMQ_VHOST RABBITMQ_USER RABBITMQ_PASSWORD
  RABBITMQ_ORCHESTRATOR_USER RABBITMQ_ORCHESTRATOR_PASSWORD RABBITMQ_WORKER_USER RABBITMQ_WORKER_PASSWORD
  RABBITMQ_SUBMITTER_USER RABBITMQ_SUBMITTER_PASSWORD
  RMQ_DIR RMQ_NODE RMQ_LOG_DIR
  ORCH_TEST_POSTGRES ORCH_TEST_POSTGRES_APP ORCH_TEST_RABBITMQ ORCH_TEST_RABBITMQ_MANAGEMENT
  ORCH_TEST_RABBITMQ_ORCHESTRATOR ORCH_TEST_RABBITMQ_WORKER ORCH_TEST_RABBITMQ_SUBMITTER)
{
  echo "# Written by scripts/infra-up.sh. Source it: . '$INFRA_DIR/env'"
  for v in "${ENV_VARS[@]}"; do val="${!v}"; printf "export %s='%s'\n" "$v" "${val//\'/\'\\\'\'}"; done
} >"$INFRA_DIR/env.tmp"
mv -f "$INFRA_DIR/env.tmp" "$INFRA_DIR/env"

step "ready; settings in $INFRA_DIR/env"
echo "ORCH_TEST_POSTGRES=$ORCH_TEST_POSTGRES"
echo "ORCH_TEST_POSTGRES_APP=$ORCH_TEST_POSTGRES_APP"
echo "ORCH_TEST_RABBITMQ=$ORCH_TEST_RABBITMQ"
echo "ORCH_TEST_RABBITMQ_ORCHESTRATOR=$ORCH_TEST_RABBITMQ_ORCHESTRATOR"
echo "ORCH_TEST_RABBITMQ_WORKER=$ORCH_TEST_RABBITMQ_WORKER"
echo "ORCH_TEST_RABBITMQ_SUBMITTER=$ORCH_TEST_RABBITMQ_SUBMITTER"
[ -n "$ORCH_TEST_RABBITMQ_MANAGEMENT" ] && echo "ORCH_TEST_RABBITMQ_MANAGEMENT=$ORCH_TEST_RABBITMQ_MANAGEMENT"
echo "env file: $INFRA_DIR/env"

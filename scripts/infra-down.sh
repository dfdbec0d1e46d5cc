#!/usr/bin/env bash
# Stop the PostgreSQL cluster and RabbitMQ node that scripts/infra-up.sh started, found through their pid
# files under INFRA_DIR only (never by process name). Idempotent: stopping what is not running is fine.
#
#   INFRA_DIR      same as for infra-up.sh        ${TMPDIR:-/tmp}/orchestrator-infra
#   INFRA_ONLY     all | postgres | rabbitmq      all
#   PG_STOP_MODE   smart | fast | immediate       fast
#   STOP_TIMEOUT   seconds before escalating      30
#   PURGE=1        also delete INFRA_DIR (data, logs, env file)
#
# Exit status 0 when everything asked for is stopped, 1 when something had to be killed or would not stop.
set -uo pipefail

INFRA_DIR="${INFRA_DIR:-${TMPDIR:-/tmp}/orchestrator-infra}"
INFRA_ONLY="${INFRA_ONLY:-all}"
PG_STOP_MODE="${PG_STOP_MODE:-fast}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"
PURGE="${PURGE:-0}"

log() { printf '[infra-down %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
case "$INFRA_ONLY" in all|postgres|rabbitmq) ;; *) log "INFRA_ONLY must be all, postgres or rabbitmq"; exit 2;; esac
want() { [ "$INFRA_ONLY" = all ] || [ "$INFRA_ONLY" = "$1" ]; }

if [ ! -d "$INFRA_DIR" ]; then log "nothing to stop: $INFRA_DIR does not exist"; exit 0; fi
# shellcheck disable=SC1091
[ -f "$INFRA_DIR/env" ] && . "$INFRA_DIR/env"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
ERL_EPMD_PORT="${ERL_EPMD_PORT:-54369}"

exec 9>"$INFRA_DIR/.lock"
if command -v flock >/dev/null; then flock -w 300 9 || { log "another infra-up/infra-down holds $INFRA_DIR/.lock"; exit 1; }; fi

rc=0
# alive = exists and is not a zombie (a late-reaping PID 1 leaves dead servers answering kill -0)
pid_alive() { local s; [ -n "${1:-}" ] || return 1; s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [ -n "$s" ] && [ "${s:0:1}" != Z ]; }
# ... and is what the pid file claims (the PID may have been reused since a crash)
proc_is() { pid_alive "$1" && grep -qa -- "$2" "/proc/$1/cmdline" 2>/dev/null; }
wait_gone() { # pid timeout_s
  local i=0
  while pid_alive "$1" && [ "$i" -lt $(( $2 * 10 )) ]; do sleep 0.1; i=$((i + 1)); done
  ! pid_alive "$1"
}

# ------------------------------------------------------------------------------------------ RabbitMQ
stop_rabbitmq() {
  local dir="$INFRA_DIR/rabbitmq" wpid bpid epid
  wpid=$(cat "$dir/server.pid" 2>/dev/null || true)
  bpid=$(cat "$dir/rabbitmq.pid" 2>/dev/null || true)
  proc_is "$wpid" rabbitmq || wpid=""
  proc_is "$bpid" rabbit || bpid=""
  if [ -z "$wpid$bpid" ]; then
    log "RabbitMQ not running"
  else
    log "stopping RabbitMQ (wrapper ${wpid:-gone}, beam ${bpid:-?})"
    # SIGTERM to the rabbitmq-server wrapper makes it stop the node cleanly; without the wrapper, the VM
    # itself shuts down cleanly on SIGTERM too.
    if [ -n "$wpid" ]; then kill -TERM "$wpid" 2>/dev/null; else kill -TERM "$bpid" 2>/dev/null; fi
    if [ -n "$bpid" ] && ! wait_gone "$bpid" "$STOP_TIMEOUT"; then
      log "beam $bpid still alive after ${STOP_TIMEOUT}s: SIGKILL"; kill -KILL "$bpid" 2>/dev/null; wait_gone "$bpid" 5; rc=1
    fi
    if [ -n "$wpid" ] && ! wait_gone "$wpid" 10; then
      log "wrapper $wpid still alive: SIGKILL"; kill -KILL "$wpid" 2>/dev/null; rc=1
    fi
  fi
  rm -f "$dir/server.pid" "$dir/rabbitmq.pid"
  # The VM started epmd on our private port as a daemon. Stop it (found by its listening port, checked to be
  # epmd) only when no node is registered with it any more: another instance may share the port.
  epid=$(ss -Hltnp "sport = :$ERL_EPMD_PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
  if [ -n "$epid" ] && [ "$(cat "/proc/$epid/comm" 2>/dev/null)" = epmd ]; then
    local epmd_bin names
    epmd_bin=$(readlink -f "/proc/$epid/exe" 2>/dev/null || echo epmd)
    names=$(ERL_EPMD_PORT="$ERL_EPMD_PORT" "$epmd_bin" -names 2>/dev/null | grep '^name ' || true)
    if [ -z "$names" ]; then
      log "stopping epmd (pid $epid, port $ERL_EPMD_PORT)"
      kill -TERM "$epid" 2>/dev/null; wait_gone "$epid" 5 || kill -KILL "$epid" 2>/dev/null
    else
      log "leaving epmd (pid $epid) running: nodes still registered: ${names//$'\n'/, }"
    fi
  fi
}

# ------------------------------------------------------------------------------------------ PostgreSQL
stop_postgres() {
  # Runs in a background subshell: report trouble through the exit status, not rc.
  local data="$INFRA_DIR/postgres/data" pid status=0
  pid=$(head -1 "$data/postmaster.pid" 2>/dev/null || true)
  if [ -z "$pid" ]; then log "PostgreSQL not running"; return; fi
  if ! proc_is "$pid" postgres; then
    log "PostgreSQL not running (removing stale postmaster.pid, pid $pid)"
    rm -f "$data/postmaster.pid" "$INFRA_DIR/postgres/sock"/.s.PGSQL.*.lock
    return
  fi
  log "stopping PostgreSQL (pid $pid, mode $PG_STOP_MODE)"
  local ctl=("$PG_BIN/pg_ctl" -D "$data" -m "$PG_STOP_MODE" -w -t "$STOP_TIMEOUT" stop)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "${ctl[@]}" >/dev/null; else "${ctl[@]}" >/dev/null; fi
  if ! wait_gone "$pid" 5; then
    log "postmaster $pid still alive: SIGQUIT (immediate shutdown)"; kill -QUIT "$pid" 2>/dev/null; status=1
    wait_gone "$pid" 10 || { log "postmaster $pid still alive: SIGKILL"; kill -KILL "$pid" 2>/dev/null; }
  fi
  return "$status"
}

# Both at once: the Erlang VM takes a second or two to shut down.
pg_job=""
if want postgres; then stop_postgres & pg_job=$!; fi
if want rabbitmq; then stop_rabbitmq; fi
if [ -n "$pg_job" ]; then wait "$pg_job" || rc=1; fi

if [ "$PURGE" = 1 ]; then
  if [ "$INFRA_ONLY" = all ]; then
    log "removing $INFRA_DIR"; rm -rf "$INFRA_DIR"
  else
    log "PURGE=1 ignored with INFRA_ONLY=$INFRA_ONLY"
  fi
fi
exit "$rc"

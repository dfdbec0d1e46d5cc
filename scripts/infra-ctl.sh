#!/usr/bin/env bash
# Control the PostgreSQL cluster and RabbitMQ node that scripts/infra-up.sh started (read from
# "$INFRA_DIR/env"), for chaos tests and by hand. Processes are found through their pid files only.
#
#   infra-ctl.sh pg-stop                  fast shutdown (PG_STOP_MODE=immediate for a crash-like stop)
#   infra-ctl.sh pg-start                 start it again (same data, port and settings)
#   infra-ctl.sh pg-restart               fast restart
#   infra-ctl.sh pg-restart-immediate     crash-like restart: no checkpoint, WAL recovery on start
#   infra-ctl.sh rmq-stop                 clean stop of the RabbitMQ node
#   infra-ctl.sh rmq-start                start it again (durable queues and messages survive)
#   infra-ctl.sh rmq-restart              stop + start
#   infra-ctl.sh rmq-kill                 SIGKILL the Erlang VM (broker crash); rmq-start brings it back
#   infra-ctl.sh rmq-freeze               SIGSTOP the Erlang VM (a hung broker: connections stay open, nothing moves)
#   infra-ctl.sh rmq-thaw                 SIGCONT it again
#   infra-ctl.sh status                   print both; exit 0 only when both answer
#   infra-ctl.sh psql owner|app|super [psql args]   psql against the database as that role
#   infra-ctl.sh rmqctl [rabbitmqctl args]           rabbitmqctl against the node (e.g. list_queues)
#   infra-ctl.sh env                      print the env file path
#
# INFRA_DIR picks the instance (default ${TMPDIR:-/tmp}/orchestrator-infra), as for infra-up.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFRA_DIR="${INFRA_DIR:-${TMPDIR:-/tmp}/orchestrator-infra}"
ENV_FILE="$INFRA_DIR/env"

die() { printf '[infra-ctl] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
cmd="$1"; shift

case "$cmd" in -h|--help|help) usage ;; esac
[ -f "$ENV_FILE" ] || die "$ENV_FILE not found: run scripts/infra-up.sh first (with the same INFRA_DIR)"
# shellcheck disable=SC1090
. "$ENV_FILE"

pid_alive() { local s; [ -n "${1:-}" ] || return 1; s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [ -n "$s" ] && [ "${s:0:1}" != Z ]; }
proc_is() { pid_alive "$1" && grep -qa -- "$2" "/proc/$1/cmdline" 2>/dev/null; }
tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_pid() { head -1 "$PG_DATA/postmaster.pid" 2>/dev/null || true; }
rmq_env() {
  env HOME="$RMQ_DIR/home" RABBITMQ_NODENAME="$RMQ_NODE" RABBITMQ_USE_LONGNAME=false \
    RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf" RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config" RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia" RABBITMQ_LOG_BASE="$RMQ_LOG_DIR" \
    RABBITMQ_CTL_DIST_PORT_MIN="$RABBITMQ_CTL_DIST_PORT_MIN" RABBITMQ_CTL_DIST_PORT_MAX="$RABBITMQ_CTL_DIST_PORT_MAX" \
    ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$ERL_EPMD_PORT" "$@"
}

pg_up() { proc_is "$(pg_pid)" postgres && "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }
rmq_beam() { cat "$RMQ_DIR/rabbitmq.pid" 2>/dev/null || true; }
rmq_up() {
  { proc_is "$(cat "$RMQ_DIR/server.pid" 2>/dev/null || true)" rabbitmq || proc_is "$(rmq_beam)" rabbit; } &&
    tcp_open "$RABBITMQ_PORT"
}

pg_ctl_restart() { # mode
  proc_is "$(pg_pid)" postgres || die "PostgreSQL is not running (use pg-start)"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -m "$1" -w -t "${READY_TIMEOUT:-90}" restart >/dev/null \
    || { tail -20 "$PG_LOG" >&2; die "PostgreSQL restart ($1) failed (log: $PG_LOG)"; }
  echo "PostgreSQL restarted ($1), pid $(pg_pid)"
}

case "$cmd" in
  pg-stop)              INFRA_ONLY=postgres "$HERE/infra-down.sh" ;;
  pg-start)             INFRA_ONLY=postgres "$HERE/infra-up.sh" >/dev/null ;;
  pg-restart)           pg_ctl_restart fast ;;
  pg-restart-immediate) pg_ctl_restart immediate ;;
  rmq-stop)             INFRA_ONLY=rabbitmq "$HERE/infra-down.sh" ;;
  rmq-start)            INFRA_ONLY=rabbitmq "$HERE/infra-up.sh" >/dev/null ;;
  rmq-restart)          INFRA_ONLY=rabbitmq "$HERE/infra-down.sh"; INFRA_ONLY=rabbitmq "$HERE/infra-up.sh" >/dev/null ;;
  rmq-kill)
    pid=$(rmq_beam)
    proc_is "$pid" rabbit || die "RabbitMQ is not running"
    kill -KILL "$pid"
    for _ in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
    # A dead VM's listener can outlive it for a moment on a busy box: rmq-start would then fail with eaddrinuse.
    for _ in $(seq 150); do tcp_open "$RABBITMQ_PORT" || break; sleep 0.2; done
    echo "RabbitMQ VM (pid $pid) killed" ;;
  rmq-freeze|rmq-thaw)
    pid=$(rmq_beam)
    proc_is "$pid" rabbit || die "RabbitMQ is not running"
    if [ "$cmd" = rmq-freeze ]; then kill -STOP "$pid"; echo "RabbitMQ VM (pid $pid) stopped (SIGSTOP)"
    else kill -CONT "$pid"; echo "RabbitMQ VM (pid $pid) continued (SIGCONT)"; fi ;;
  status)
    ok=0
    if pg_up; then echo "postgres: up (pid $(pg_pid), 127.0.0.1:$PG_PORT, data $PG_DATA)"
    else echo "postgres: DOWN (127.0.0.1:$PG_PORT, log $PG_LOG)"; ok=1; fi
    if rmq_up; then echo "rabbitmq: up (beam $(rmq_beam), 127.0.0.1:$RABBITMQ_PORT, node $RMQ_NODE)"
    else echo "rabbitmq: DOWN (127.0.0.1:$RABBITMQ_PORT, logs $RMQ_LOG_DIR)"; ok=1; fi
    exit "$ok" ;;
  psql)
    role="${1:-owner}"; [ $# -gt 0 ] && shift
    case "$role" in
      owner) PGPASSWORD="$PG_OWNER_PASSWORD" exec "$PG_BIN/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U "$PG_OWNER" -d "$PG_DB" "$@" ;;
      app)   PGPASSWORD="$PG_APP_PASSWORD" exec "$PG_BIN/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U "$PG_APP" -d "$PG_DB" "$@" ;;
      super) as_pg "$PG_BIN/psql" -X -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d "$PG_DB" "$@" ;;
      *) die "psql role must be owner, app or super" ;;
    esac ;;
  rmqctl) rmq_env /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RMQ_NODE" "$@" ;;
  env) echo "$ENV_FILE" ;;
  *) usage ;;
esac

#!/usr/bin/env bash
# The production shape on this machine, in one command: PostgreSQL and RabbitMQ (scripts/infra-up.sh), the schema
# (`orchestrator migrate`), the simulated model, an orchestrator and workers as separate processes, each with its
# own database role and broker user. Prints where everything listens and how to use it, then waits; Ctrl+C stops
# the processes it started (and the servers, if it started them). docs/operations.md walks through the same steps
# by hand.
#
#   scripts/run-production.sh                 build Release if the sources changed, start everything, wait
#   scripts/run-production.sh --no-build      use the Release build as it is
#
# Settings (environment, all optional):
#   ORCH_PORT / WORKER_PORT / MODEL_PORT   HTTP ports: orchestrator, first worker (the next ones count up), model
#                                          5080 / 5081 / 5090
#   WORKERS           worker processes                                   1
#   API_KEY           the operator key (scopes submit,operate)           local-operator-key-0001
#   MODEL_LATENCY_MS  the simulated model's latency per call             200
#   KEEP_INFRA        1 = leave the servers running on exit; 0 = stop them; unset = stop them only if this run
#                     started them
#   RUN_DIR           logs                                               $INFRA_DIR/run
#   INFRA_DIR and the other infra-up.sh settings (PG_PORT, RABBITMQ_PORT, ...) are passed through.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
export INFRA_DIR="${INFRA_DIR:-${TMPDIR:-/tmp}/orchestrator-infra}"
ORCH_PORT="${ORCH_PORT:-5080}"
WORKER_PORT="${WORKER_PORT:-5081}"
MODEL_PORT="${MODEL_PORT:-5090}"
WORKERS="${WORKERS:-1}"
API_KEY="${API_KEY:-local-operator-key-0001}"
MODEL_LATENCY_MS="${MODEL_LATENCY_MS:-200}"
RUN_DIR="${RUN_DIR:-$INFRA_DIR/run}"
BUILD=1
case "${1:-}" in
  "") ;;
  --no-build) BUILD=0 ;;
  -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

say() { printf '[run-production %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf '[run-production] ERROR: %s\n' "$*" >&2; exit 1; }
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a whole number of at least 1 (got '$WORKERS')"
[ "${#API_KEY}" -ge 16 ] || die "API_KEY must be at least 16 characters"
port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
for p in "$ORCH_PORT" "$MODEL_PORT" $(seq "$WORKER_PORT" $((WORKER_PORT + WORKERS - 1))); do
  port_busy "$p" && die "port $p is taken; set ORCH_PORT, WORKER_PORT or MODEL_PORT"
done

BIN="$ROOT/src/Orchestrator/bin/Release/net10.0"
ORCHESTRATOR_DLL="$BIN/Orchestrator.dll"
WORKER_DLL="$ROOT/src/Workers/bin/Release/net10.0/Orchestrator.Workers.dll"
MODEL_DLL="$ROOT/src/SimulatedModel/bin/Release/net10.0/Orchestrator.SimulatedModel.dll"

# ------------------------------------------------------------------------------------------ build
mkdir -p "$RUN_DIR"
if [ "$BUILD" = 1 ]; then
  # The orchestrator's project references the worker and the simulated model: one build makes all three. The stamp
  # is when this script last built: with no source changed since, even MSBuild's up-to-date check is skipped.
  stamp="$BIN/.run-production-built"
  if [ ! -f "$ORCHESTRATOR_DLL" ] || [ ! -f "$WORKER_DLL" ] || [ ! -f "$MODEL_DLL" ] || [ ! -f "$stamp" ] ||
     [ -n "$(find src migrations Directory.Build.props Directory.Packages.props -newer "$stamp" -type f \
             -not -path '*/bin/*' -not -path '*/obj/*' -print -quit)" ]; then
    say "building Release (dotnet build src/Orchestrator -c Release; a few minutes the first time)"
    dotnet build src/Orchestrator -c Release -nologo >"$RUN_DIR/build.log" 2>&1 || {
      grep -E ' error ' "$RUN_DIR/build.log" | sort -u | tail -20 >&2
      die "the build failed (log: $RUN_DIR/build.log)"
    }
    touch "$stamp"
  else
    say "Release build is up to date"
  fi
fi
for f in "$ORCHESTRATOR_DLL" "$WORKER_DLL" "$MODEL_DLL"; do [ -f "$f" ] || die "$f is missing: run without --no-build"; done

# ------------------------------------------------------------------------------------------ servers
already_up=0
"$ROOT/scripts/infra-ctl.sh" status >/dev/null 2>&1 && already_up=1
case "${KEEP_INFRA:-}" in
  1) stop_infra=0 ;;
  0) stop_infra=1 ;;
  *) [ "$already_up" = 1 ] && stop_infra=0 || stop_infra=1 ;;
esac
say "starting PostgreSQL and RabbitMQ (scripts/infra-up.sh)"
"$ROOT/scripts/infra-up.sh" >/dev/null || die "scripts/infra-up.sh failed (see above)"
# shellcheck disable=SC1091
. "$INFRA_DIR/env"

# ------------------------------------------------------------------------------------------ processes
names=() pids=()
stopping=0
stop_all() {
  [ "$stopping" = 1 ] && return; stopping=1
  trap - INT TERM
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null && say "stopping ${names[i]} (pid ${pids[i]})"
  done
  for ((i = 0; i < ${#pids[@]}; i++)); do
    for _ in $(seq 300); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pids[i]}" 2>/dev/null && say "${names[i]} did not stop within 30 s: killed"
  done
  if [ "$stop_infra" = 1 ]; then
    say "stopping PostgreSQL and RabbitMQ (this run started them; KEEP_INFRA=1 keeps them)"
    "$ROOT/scripts/infra-down.sh" || true
  else
    say "PostgreSQL and RabbitMQ left running (scripts/infra-down.sh stops them)"
  fi
  return 0
}
trap 'stop_all; exit 130' INT TERM
trap 'stop_all' EXIT

start() { # name log command... (environment as prefix assignments through env)
  local name="$1" log="$2"; shift 2
  "$@" >"$log" 2>&1 </dev/null &
  names+=("$name"); pids+=("$!")
  say "$name started (pid $!, log $log)"
}

wait_ready() { # name url
  local i pid="${pids[${#pids[@]} - 1]}"
  for i in $(seq 240); do
    curl -fsS -o /dev/null "$2" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { tail -20 "$RUN_DIR/$1.log" >&2; die "$1 exited before it was ready (log: $RUN_DIR/$1.log)"; }
    sleep 0.5
  done
  tail -20 "$RUN_DIR/$1.log" >&2
  die "$1 not ready at $2 within 120 s (log: $RUN_DIR/$1.log)"
}

# What the processes read, named as they read it (docs/reference/configuration.md): the orchestrator's database
# role can only read and write rows; `migrate` runs as the owner. Each process has its own broker user.
database=(ConnectionStrings__Postgres="$ORCH_TEST_POSTGRES_APP" ConnectionStrings__PostgresMigrations="$ORCH_TEST_POSTGRES"
  Orchestrator__Store=Postgres)
say "applying the schema (orchestrator migrate)"
env "${database[@]}" dotnet "$ORCHESTRATOR_DLL" migrate >"$RUN_DIR/migrate.log" 2>&1 \
  || { tail -20 "$RUN_DIR/migrate.log" >&2; die "migrate failed (log: $RUN_DIR/migrate.log)"; }

start simulated-model "$RUN_DIR/simulated-model.log" env SimulatedModel__LatencyMs="$MODEL_LATENCY_MS" \
  dotnet "$MODEL_DLL" --urls "http://127.0.0.1:$MODEL_PORT"
wait_ready simulated-model "http://127.0.0.1:$MODEL_PORT/health"

start orchestrator "$RUN_DIR/orchestrator.log" env "${database[@]}" \
  ConnectionStrings__RabbitMQ="$ORCH_TEST_RABBITMQ_ORCHESTRATOR" Orchestrator__Transport=RabbitMQ \
  Orchestrator__EmbeddedWorkers=false Orchestrator__SimulatedModel=false \
  Orchestrator__Api__Keys__0__Name=operator Orchestrator__Api__Keys__0__Key="$API_KEY" \
  Orchestrator__Api__Keys__0__Scopes=submit,operate \
  dotnet "$ORCHESTRATOR_DLL" --urls "http://127.0.0.1:$ORCH_PORT"
wait_ready orchestrator "http://127.0.0.1:$ORCH_PORT/health/ready"

for i in $(seq "$WORKERS"); do
  port=$((WORKER_PORT + i - 1))
  start "worker-$i" "$RUN_DIR/worker-$i.log" env ConnectionStrings__RabbitMQ="$ORCH_TEST_RABBITMQ_WORKER" \
    Workers__WorkerId="worker-$i" Workers__Models__sim__Endpoints__0__BaseUrl="http://127.0.0.1:$MODEL_PORT" \
    dotnet "$WORKER_DLL" --urls "http://127.0.0.1:$port"
  wait_ready "worker-$i" "http://127.0.0.1:$port/health/ready"
done

ctl="scripts/infra-ctl.sh"
[ "$INFRA_DIR" = "${TMPDIR:-/tmp}/orchestrator-infra" ] || ctl="INFRA_DIR=$INFRA_DIR $ctl"
row() { printf '  %-16s %-50s %s\n' "$@"; }
{
  printf '\nThe production shape is running (logs in %s):\n\n' "$RUN_DIR"
  row orchestrator "http://127.0.0.1:$ORCH_PORT/" "the dashboard; API key $API_KEY"
  if [ "$WORKERS" = 1 ]; then
    row worker "http://127.0.0.1:$WORKER_PORT/health/ready" "and /metrics"
  else
    row workers "http://127.0.0.1:$WORKER_PORT/health/ready" "and /metrics; ports $WORKER_PORT-$((WORKER_PORT + WORKERS - 1))"
  fi
  row "simulated model" "http://127.0.0.1:$MODEL_PORT/v1/chat/completions" "calls per request: /stats/requests/ID"
  row PostgreSQL "127.0.0.1:$PG_PORT, database $PG_DB" "$ctl psql owner"
  row RabbitMQ "127.0.0.1:$RABBITMQ_PORT, vhost $RABBITMQ_VHOST" "$ctl rmqctl list_queues -p $RABBITMQ_VHOST"
  cat <<EOF

Submit a request and read it back:

  curl -s -X POST http://127.0.0.1:$ORCH_PORT/api/requests -H 'X-Api-Key: $API_KEY' \\
    -H 'content-type: application/json' \\
    -d '{"requestId": "hello-1", "model": "sim", "messages": [{"role": "user", "content": "Hello"}]}'
  curl -s -H 'X-Api-Key: $API_KEY' http://127.0.0.1:$ORCH_PORT/api/requests/hello-1

A service on the bus connects as the submitter: $ORCH_TEST_RABBITMQ_SUBMITTER
Every server's settings: . $INFRA_DIR/env

Ctrl+C stops the processes started here$([ "$stop_infra" = 1 ] && echo " and the servers" || echo "; the servers keep running").
EOF
}

# Wait; if a process dies on its own, say so and stop the rest.
while true; do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      tail -20 "$RUN_DIR/${names[i]}.log" >&2
      say "${names[i]} (pid ${pids[i]}) exited; stopping the rest"
      exit 1
    fi
  done
  sleep 1
done

#!/usr/bin/env bash
# Timer accuracy: how late retry timers fire, in both modes.
#   N retries (default 1000), each scheduled 1-5 s ahead (per-request initial backoffs of 2 s and 5 s with
#   proportional jitter), by requests scripted [[sim: 503, ok]]. Lateness = fired_at - scheduled_for, read from the
#   attempts table: it covers the poll interval and any queueing in front of the saga.
# Embedded: `orchestrator demo` (SQLite, in-process bus). Production: orchestrator, worker and simulated model as
# separate processes on the project's PostgreSQL and RabbitMQ (scripts/infra-up.sh), requests submitted over HTTP.
# Bounded: every wait has a limit; it stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-1000}"
mkdir -p bench/results
out="bench/results/timer-lateness-$(date -u +%Y%m%dT%H%M%SZ).json"

dotnet build Orchestrator.sln -c Release -nologo -v q >/dev/null
BIN_O=src/Orchestrator/bin/Release/net10.0/Orchestrator.dll
BIN_W=src/Workers/bin/Release/net10.0/Orchestrator.Workers.dll
BIN_S=src/SimulatedModel/bin/Release/net10.0/Orchestrator.SimulatedModel.dll

echo "== embedded ($N retries)" >&2
embedded=$(cd "$(mktemp -d)" && timeout 600 dotnet "$OLDPWD/$BIN_O" demo --requests "$N" --script '[[sim: 503, ok]]' \
  --retry-initial-ms 2000,5000 --json 2>/dev/null | tail -1)
echo "$embedded" >&2

echo "== production ($N retries)" >&2
./scripts/infra-up.sh >/dev/null
. "${INFRA_DIR:-${TMPDIR:-/tmp}/orchestrator-infra}/env"
DB="orch_bench_$$"
ADMIN="postgresql://orchestrator_owner:orchestrator_owner@127.0.0.1:$PG_PORT"
psql "$ADMIN/orchestrator" -qc "CREATE DATABASE $DB"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; psql "$ADMIN/orchestrator" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true; }
trap cleanup EXIT
export Orchestrator__Store=Postgres Orchestrator__Transport=RabbitMQ Orchestrator__EmbeddedWorkers=false Orchestrator__SimulatedModel=false
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Database=$DB;Username=orchestrator_owner;Password=orchestrator_owner"
export ConnectionStrings__RabbitMQ="$ORCH_TEST_RABBITMQ" Logging__LogLevel__Default=Warning
# Loopback only, for this run: API keys off (they are on by default with a broker).
export Orchestrator__Api__RequireKeys=false
dotnet "$BIN_O" migrate >/dev/null
dotnet "$BIN_S" --urls http://127.0.0.1:5391 >/dev/null 2>&1 & pids+=($!)
dotnet "$BIN_O" --urls http://127.0.0.1:5390 >/dev/null 2>&1 & pids+=($!)
Workers__Models__sim__Endpoints__0__BaseUrl=http://127.0.0.1:5391 dotnet "$BIN_W" --urls http://127.0.0.1:5392 >/dev/null 2>&1 & pids+=($!)
for _ in $(seq 120); do curl -sf http://127.0.0.1:5390/health/ready >/dev/null && curl -sf http://127.0.0.1:5392/health/ready >/dev/null && break; sleep 0.5; done
seq "$N" | xargs -P 16 -I{} sh -c 'i={}; ms=$(( i % 2 == 0 ? 2000 : 5000 )); curl -s -o /dev/null -X POST http://127.0.0.1:5390/api/requests -H "content-type: application/json" \
  -d "{\"requestId\":\"bench-$i\",\"model\":\"sim\",\"messages\":[{\"role\":\"user\",\"content\":\"bench $i [[sim: 503, ok]]\"}],\"retry\":{\"initialIntervalMs\":$ms}}"'
for _ in $(seq 600); do
  n=$(psql "$ADMIN/$DB" -tAc "SELECT count(*) FROM inference_requests WHERE state = 'Succeeded'")
  [ "$n" = "$N" ] && break; sleep 0.5
done
production=$(psql "$ADMIN/$DB" -tAc "SELECT json_build_object('retries', count(*),
  'timerLatenessP50Ms', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM fired_at - scheduled_for) * 1000)::numeric, 1),
  'timerLatenessP99Ms', round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM fired_at - scheduled_for) * 1000)::numeric, 1),
  'timerLatenessMaxMs', round(max(extract(epoch FROM fired_at - scheduled_for) * 1000)::numeric, 1),
  'succeeded', (SELECT count(*) FROM inference_requests WHERE state = 'Succeeded'))
  FROM inference_attempts WHERE fired_at IS NOT NULL")
echo "$production" >&2
printf '{"n":%s,"embedded":%s,"production":%s}\n' "$N" "$embedded" "$production" | tee "$out"

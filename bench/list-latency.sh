#!/usr/bin/env bash
# The operator's list under load of data: with ROWS requests in the table (default 100,000), how fast do filtered
# pages of GET /api/requests answer? p50/p95/max over CALLS calls (default 300) spread over typical filters and a
# second page by cursor. PostgreSQL (scripts/infra-up.sh), one orchestrator process; the rows are inserted by SQL.
# The target (issue: the dashboard's list) is p95 < 200 ms. Bounded: every wait has a limit; it stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${ROWS:-100000}"
CALLS="${CALLS:-300}"
PORT="${PORT:-5393}"
mkdir -p bench/results
out="bench/results/list-latency-$(date -u +%Y%m%dT%H%M%SZ).json"

dotnet build Orchestrator.sln -c Release -nologo -v q >/dev/null
BIN_O=src/Orchestrator/bin/Release/net10.0/Orchestrator.dll
./scripts/infra-up.sh >/dev/null
. "${INFRA_DIR:-${TMPDIR:-/tmp}/orchestrator-infra}/env"
DB="orch_list_$$"
ADMIN="postgresql://orchestrator_owner:orchestrator_owner@127.0.0.1:$PG_PORT"
psql "$ADMIN/orchestrator" -qc "CREATE DATABASE $DB"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; psql "$ADMIN/orchestrator" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true; }
trap cleanup EXIT
export Orchestrator__Store=Postgres Orchestrator__Transport=InMemory Orchestrator__Api__RequireKeys=false
export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Database=$DB;Username=orchestrator_owner;Password=orchestrator_owner"
export Logging__LogLevel__Default=Warning
dotnet "$BIN_O" migrate >/dev/null

echo "== inserting $ROWS requests" >&2
# Eight states, three models, attempts 1-4, one created every second back from now: the spread a busy day leaves.
psql "$ADMIN/$DB" -q <<SQL
INSERT INTO inference_requests (correlation_id, request_id, state, model, payload, payload_hash, attempt, failure_kind,
                                reason, created_at, updated_at, completed_at)
SELECT gen_random_uuid(), 'list-' || g,
       (ARRAY['Succeeded','Succeeded','Succeeded','Failed','Cancelled','Succeeded','Succeeded','Failed'])[1 + g % 8],
       (ARRAY['sim','model-a','model-b'])[1 + g % 3], '{}'::jsonb, repeat('0', 64), 1 + g % 4,
       CASE WHEN g % 8 IN (3, 7) THEN (ARRAY['Transient','Permanent'])[1 + g % 2] END,
       CASE WHEN g % 8 IN (3, 7) THEN 'simulated' END,
       now() - make_interval(secs => g), now() - make_interval(secs => g), now() - make_interval(secs => g)
FROM generate_series(1, $ROWS) g;
ANALYZE inference_requests;
SQL

dotnet "$BIN_O" --urls "http://127.0.0.1:$PORT" >/dev/null 2>&1 & pid=$!
for _ in $(seq 120); do curl -sf "http://127.0.0.1:$PORT/health/ready" >/dev/null && break; sleep 0.5; done
base="http://127.0.0.1:$PORT/api/requests"
from=$(date -u -d '-6 hours' +%Y-%m-%dT%H:%M:%SZ)
cursor=$(curl -sf "$base?state=Succeeded&limit=50" | sed -n 's/.*"nextCursor":"\([^"]*\)".*/\1/p')
filters=(
  "?limit=50"
  "?state=Failed&limit=50"
  "?state=Succeeded&model=model-a&limit=50"
  "?failureKind=Transient&minAttempts=3&limit=50"
  "?idPrefix=list-9999&limit=50"
  "?createdFrom=$from&state=Failed&limit=50"
  "?state=Succeeded&limit=50&after=$cursor"
)
for f in "${filters[@]}"; do curl -sf -o /dev/null "$base$f"; done # warm-up: JIT and plans
times=()
for i in $(seq "$CALLS"); do
  f="${filters[$(( i % ${#filters[@]} ))]}"
  t=$(curl -sf -o /dev/null -m 10 -w '%{time_total}' "$base$f")
  times+=("$t")
done
stats=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 * 1000 } END {
  n = NR; i50 = int(n * 0.50 + 0.5); i95 = int(n * 0.95 + 0.5); if (i95 < 1) i95 = 1;
  printf "{\"calls\":%d,\"p50Ms\":%.1f,\"p95Ms\":%.1f,\"maxMs\":%.1f}", n, a[i50], a[i95], a[n] }')
printf '{"rows":%s,"filters":%s,"result":%s}\n' "$ROWS" "${#filters[@]}" "$stats" | tee "$out"

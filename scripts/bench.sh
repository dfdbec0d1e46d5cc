#!/usr/bin/env bash
# Benchmarks, in one run on the same servers (issue 9). Starts PostgreSQL and RabbitMQ with scripts/infra-up.sh,
# builds Release, then runs bench/Bench (Orchestrator.Bench) part by part:
#   1 floors: PostgreSQL saga-shaped insert + 2 version-checked updates (3 commits, 16 connections); RabbitMQ.Client
#     persistent 512 B with confirms (256 outstanding), manual ack, prefetch 50; MassTransit, trivial consumer, prefetch 50
#   2 end to end, production shape (orchestrator, worker and simulated model as separate processes): requests/s from
#     first submit to last terminal state, PostgreSQL commits and broker publishes per request (pg_stat_database and
#     the broker's global counters), overhead p50/p95/p99 in a run paced at half that throughput, peak RSS per process
#   3 with faults: 20% of the requests fail their first call once (500), 1 s backoff: throughput, retries/s, timer lateness
#   full run only: 4 the model at 200 ms, 2 orchestrators, 3 workers; 5 embedded (SQLite, one process); 6 a slow model
#     (6-10 s per answer, 5% of its own fault mix, two 8 s outages of 503s): breaker openings, cooldowns, bounces, holds;
#     7 a backlog of 100,000 requests (BACKLOG_REQUESTS) against a 2 s model, watched 5 minutes, then bulk-cancelled
#     8 batches: a 10,000-line file to its results file; a 100,000-line file accepted (time, orchestrator RSS per phase)
#   (full: REQUESTS, default 10,000, at 0 ms, with faults and embedded; 30% of it at 200 ms, 20% per scale-out part)
# Writes bench/results/<timestamp>.json, prints a Markdown table and, as its last line, one JSON summary.
#
#   scripts/bench.sh [--quick]      --quick: parts 1, 2 at 0 ms and 3 with fewer requests (< 4 minutes)
#
# Settings (environment): INFRA_DIR, PG_PORT, RABBITMQ_PORT, ... as for scripts/infra-up.sh; REQUESTS overrides the
# requests of the saturating runs. Bounded: every part has a time limit; it stops what it started (the servers stay
# up, as after infra-up.sh: scripts/infra-down.sh stops them).
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

MODE=full
case "${1:-}" in
  --quick) MODE=quick ;;
  "") ;;
  -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
  *) printf 'usage: scripts/bench.sh [--quick]\n' >&2; exit 2 ;;
esac
[ $# -le 1 ] || { printf 'usage: scripts/bench.sh [--quick]\n' >&2; exit 2; }

if [ "$MODE" = quick ]; then
  REQUESTS="${REQUESTS:-2000}"
else
  REQUESTS="${REQUESTS:-10000}"
fi
[[ "$REQUESTS" =~ ^[0-9]+$ ]] && [ "$REQUESTS" -ge 10 ] || die "REQUESTS must be a whole number of at least 10 (got '$REQUESTS')"
# Each end-to-end part first runs a warm-up batch, unmeasured, so the figures are of a process past its JIT tiers
# (measured: 200 warm-up requests left the tiered compiler busy with a tenth of the box through the measured run).
if [ "$MODE" = quick ]; then
  WARMUP=500; PACED=1000; FAULT_REQUESTS="$REQUESTS"
  PG_SECONDS=5; RABBIT_MESSAGES=20000; MT_MESSAGES=10000
else
  # REQUESTS at 0 ms, with faults (compared with the 0 ms figure, so at the same length: a shorter run pays more for
  # its ramp and its last retries) and embedded; the other parts take a share of it, so the whole run stays within
  # about 10 minutes on two cores.
  WARMUP=1000; PACED=1000; FAULT_REQUESTS="$REQUESTS"; SLOW_REQUESTS=$((REQUESTS * 3 / 10))
  SCALE_REQUESTS=$((REQUESTS / 5)); EMBEDDED_REQUESTS="$REQUESTS"
  PG_SECONDS=10; RABBIT_MESSAGES=50000; MT_MESSAGES=20000
fi

T0=$(date +%s)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
WORK=$(mktemp -d)
PART_PID=""
# An interrupted run stops the part in flight (SIGTERM: the tool stops its processes and drops its database).
cleanup() { [ -z "$PART_PID" ] || kill "$PART_PID" 2>/dev/null || true; [ -z "$PART_PID" ] || wait "$PART_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

say "mode $MODE, started $(date -u +%Y-%m-%dT%H:%M:%SZ) (the box may be shared: compare figures within one run)"
./scripts/infra-up.sh >/dev/null || die "infra-up.sh failed"
INFRA_DIR="${INFRA_DIR:-${TMPDIR:-/tmp}/orchestrator-infra}"
# shellcheck disable=SC1091
. "$INFRA_DIR/env"

say "building Release"
# The executables only (the orchestrator project references the worker and the simulated model), not the tests.
for project in src/Orchestrator/Orchestrator.csproj bench/Bench/Bench.csproj; do
  dotnet build "$project" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; die "build of $project failed"; }
done
BENCH=(dotnet bench/Bench/bin/Release/net10.0/Orchestrator.Bench.dll)

# part NAME SECONDS VERB [OPTIONS...]: one measurement, its JSON line kept as $WORK/NAME.json.
part() {
  local name="$1" limit="$2"; shift 2
  say "part $name"
  timeout --kill-after=15 "$limit" "${BENCH[@]}" "$@" >"$WORK/$name.json" &
  PART_PID=$!
  local code=0
  wait "$PART_PID" || code=$?
  PART_PID=""
  [ "$code" = 0 ] || { keep_parts; die "part $name failed (exit $code; 124 = ran past ${limit} s)"; }
}
# What a failed run measured so far is kept beside the results.
keep_parts() {
  local f
  mkdir -p bench/results
  for f in "$WORK"/*.json; do [ -s "$f" ] && cp "$f" "bench/results/$STAMP-partial-$(basename "$f")"; done
  say "parts measured so far: bench/results/$STAMP-partial-*.json"
}
E2E=(--postgres "$ORCH_TEST_POSTGRES" --rabbitmq "$ORCH_TEST_RABBITMQ" --repo "$PWD" --infra-ctl "$PWD/scripts/infra-ctl.sh"
  --server-pid-files "postgres=$PG_DATA/postmaster.pid,rabbitmq=$RMQ_DIR/rabbitmq.pid")

part floor-pg 120 floor-pg --postgres "$ORCH_TEST_POSTGRES" --connections 16 --seconds "$PG_SECONDS"
part floor-rabbit 180 floor-rabbit --rabbitmq "$ORCH_TEST_RABBITMQ" --messages "$RABBIT_MESSAGES"
# The MassTransit floor at its best on this box: a few shapes (publishers, prefetch, concurrency, separate buses); the
# report takes the fastest as the floor and shows the spread.
part floor-mt 180 floor-mt --rabbitmq "$ORCH_TEST_RABBITMQ" --messages "$MT_MESSAGES"
part floor-mt-4pub 180 floor-mt --rabbitmq "$ORCH_TEST_RABBITMQ" --messages "$MT_MESSAGES" --publishers 4 --separate-buses true
part floor-mt-prefetch200 180 floor-mt --rabbitmq "$ORCH_TEST_RABBITMQ" --messages "$MT_MESSAGES" --publishers 4 --in-flight 250 --prefetch 200 --separate-buses true
part floor-mt-c16 180 floor-mt --rabbitmq "$ORCH_TEST_RABBITMQ" --messages "$MT_MESSAGES" --publishers 2 --prefetch 100 --concurrency 16 --separate-buses true
part e2e-0ms 600 e2e --name e2e-0ms "${E2E[@]}" --requests "$REQUESTS" --warmup-requests "$WARMUP" --paced-requests "$PACED" --timeout-seconds 580
# The faults part measures what retries cost, on the peers' job: 20% of the requests fail their first call once with a
# transient 500 and wait out a 1 s backoff. Every setting is the product's default but that backoff (named in the JSON).
part faults 600 e2e --name faults "${E2E[@]}" --requests "$FAULT_REQUESTS" --warmup-requests "$WARMUP" --first-call-fault-rate 0.2 --initial-backoff-ms 1000 --paced-requests "$PACED" --timeout-seconds 580
if [ "$MODE" = full ]; then
  part e2e-200ms 600 e2e --name e2e-200ms "${E2E[@]}" --requests "$SLOW_REQUESTS" --warmup-requests "$WARMUP" --model-latency-ms 200 --paced-requests "$PACED" --timeout-seconds 580
  part scale-2-orchestrators 600 e2e --name scale-2-orchestrators "${E2E[@]}" --requests "$SCALE_REQUESTS" --warmup-requests "$WARMUP" --model-latency-ms 200 --orchestrators 2 --timeout-seconds 580
  part scale-3-workers 600 e2e --name scale-3-workers "${E2E[@]}" --requests "$SCALE_REQUESTS" --warmup-requests "$WARMUP" --model-latency-ms 200 --workers 3 --timeout-seconds 580
  part embedded 600 embedded --repo "$PWD" --requests "$EMBEDDED_REQUESTS" --timeout-seconds 580
  # What breakers and cooldowns cost the backlog when faults come back at once and answers take seconds.
  part slow-model 600 e2e --name slow-model "${E2E[@]}" --requests 600 --warmup-requests 0 --model-latency-ms 6000 --model-latency-jitter-ms 4000 \
    --fault-rate 0.05 --fault-mix model --outages 503@20+8,503@50+8 --timeout-seconds 580
  # A backlog far beyond what the fleet serves in the attempt timeout: 100,000 requests against a 2 s model with 64
  # calls in flight, watched for 5 minutes after the last submit, then bulk-cancelled and drained.
  part backlog 3600 backlog --name backlog "${E2E[@]}" --requests "${BACKLOG_REQUESTS:-100000}" --model-latency-ms 2000 --worker-concurrency 64 \
    --observe-seconds 300 --timeout-seconds 3500
  # Batches: a 10,000-line OpenAI Batch file through to its streamed results file, and a 100,000-line file's acceptance,
  # with the orchestrator's RSS in each phase.
  part batch-10k 1800 batch --name batch-10k "${E2E[@]}" --lines 10000 --timeout-seconds 1750
  part batch-100k 1800 batch --name batch-100k "${E2E[@]}" --lines 100000 --accept-only true --timeout-seconds 1750
fi

mkdir -p bench/results
say "parts done in $(( $(date +%s) - T0 )) s; report"
"${BENCH[@]}" report --dir "$WORK" --mode "$MODE" --out "bench/results/$STAMP.json" || { keep_parts; die "report failed"; }

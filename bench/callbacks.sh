#!/usr/bin/env bash
# A receiver that hangs must not slow other requests or other receivers (issue 21). The production shape (simulated
# model, orchestrator and worker as separate processes on PostgreSQL and RabbitMQ, every setting the default but the
# signing secret and an allowlist of 127.0.0.1): REQUESTS requests (default 1,000) whose callbacks go to a healthy
# receiver, interleaved with OTHERS (default 200) whose callbacks go to a receiver that accepts connections and never
# answers (B) or, as the control, to a second healthy receiver (A). ROUNDS rounds (default 2) on fresh databases, in
# the order AB, BA, ...: requests/s and completion p50/p99 of the REQUESTS, and callback delivery p50/p99 at the
# healthy receiver (callback_events.created_at to its arrival). Bounded: each run has a time limit; it stops what it
# started (the servers stay up: scripts/infra-down.sh stops them).
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS="${REQUESTS:-1000}"
OTHERS="${OTHERS:-200}"
ROUNDS="${ROUNDS:-2}"
mkdir -p bench/results
out="bench/results/callbacks-$(date -u +%Y%m%dT%H%M%SZ).json"

dotnet build Orchestrator.sln -c Release -nologo -v q >/dev/null
./scripts/infra-up.sh >/dev/null
# shellcheck disable=SC1091
. "${INFRA_DIR:-${TMPDIR:-/tmp}/orchestrator-infra}/env"
timeout --kill-after=15 $((ROUNDS * 2 * 660)) dotnet bench/Bench/bin/Release/net10.0/Orchestrator.Bench.dll callbacks \
  --postgres "$ORCH_TEST_POSTGRES" --rabbitmq "$ORCH_TEST_RABBITMQ" --repo "$PWD" --infra-ctl "$PWD/scripts/infra-ctl.sh" \
  --requests "$REQUESTS" --others "$OTHERS" --rounds "$ROUNDS" --timeout-seconds 600 | tail -1 >"$out"
echo "$out" >&2
cat "$out"

#!/usr/bin/env bash
# The chaos suite: build (Release), start PostgreSQL + RabbitMQ (scripts/infra-up.sh, with the caller's INFRA_DIR,
# ports and other settings, else the defaults), then run tools/Chaos: a simulated model with a fault mix, 2
# orchestrators and 3 workers as separate processes on loopback; N requests (with duplicate submissions) while, on a
# seeded schedule, a worker is SIGKILLed mid-call, an orchestrator is SIGKILLed and restarted, RabbitMQ is stopped
# cleanly, SIGKILLed and held with SIGSTOP for 20 s, PostgreSQL is restarted with `pg_ctl restart -m immediate`, and
# the model turns slow and then fails with 503s. Prints each fault with the evidence that it hit requests in flight,
# the invariants, the longest wait; the last line is
# `requests=N lost=0 duplicateTerminal=0 stuck=0 faults=K faultsHit=H redeliveries=R` (fails unless H = K).
#
#   scripts/chaos.sh [--quick | --full] [--requests N] [--seed S]
#     --quick   CI-sized: 300 requests, every fault kind once, under 5 minutes (what the test suite runs)
#     --full    the product's default timeouts (others use ones ~30x shorter); 15 minutes to settle; not in CI
#
# Exit status: 0 every invariant held; 1 one failed (or too few requests / a fault kind missing); 2 bad arguments;
# 3 the run could not be set up. The servers are left running when they were already up, stopped otherwise
# (KEEP_INFRA=1 keeps them, KEEP_INFRA=0 always stops them).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDTERMINALLOGGER="${MSBUILDTERMINALLOGGER:-off}"
export INFRA_DIR="${INFRA_DIR:-${TMPDIR:-/tmp}/orchestrator-infra}"
KEEP_INFRA="${KEEP_INFRA:-}"

say() { printf '[chaos.sh] %s\n' "$*" >&2; }

for arg in "$@"; do
  case "$arg" in -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;; esac
done

already_up=0
"$ROOT/scripts/infra-ctl.sh" status >/dev/null 2>&1 && already_up=1
stop_infra=0
case "$KEEP_INFRA" in 1) stop_infra=0 ;; 0) stop_infra=1 ;; *) [ "$already_up" = 1 ] || stop_infra=1 ;; esac
cleanup() { if [ "$stop_infra" = 1 ]; then "$ROOT/scripts/infra-down.sh" >&2 || say "infra-down reported a problem"; fi; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "dotnet build Orchestrator.sln -c Release"
dotnet build Orchestrator.sln -c Release -nologo -v quiet >&2 || { say "BUILD FAILED"; exit 3; }

"$ROOT/scripts/infra-up.sh" >&2 || { say "INFRA-UP FAILED: PostgreSQL/RabbitMQ did not start"; exit 3; }
# shellcheck disable=SC1091
. "$INFRA_DIR/env" # ORCH_TEST_POSTGRES, ORCH_TEST_RABBITMQ, ...

rc=0
dotnet "$ROOT/tools/Chaos/bin/Release/net10.0/Orchestrator.Chaos.dll" "$@" || rc=$?
exit "$rc"

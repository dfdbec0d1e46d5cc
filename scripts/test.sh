#!/usr/bin/env bash
# The project's one test command: start PostgreSQL + RabbitMQ (scripts/infra-up.sh), build the solution once,
# run every test project against them, and finish with a single summary line "N passed, N failed, N skipped".
# Exit status is non-zero if the build failed, any test failed, dotnet test failed, or no test ran at all.
#
#   scripts/test.sh                                   everything
#   scripts/test.sh --filter "FullyQualifiedName~Saga"   extra arguments go to every `dotnet test`
#
# Settings (environment, all optional):
#   KEEP_INFRA     1 = leave the servers running; 0 = always stop them; unset = stop them only if this run
#                  started them (a developer's already-running instance is left alone)
#   SKIP_INFRA     1 = do not start servers (ORCH_TEST_* from the caller's environment, if any, are used)
#   RESULTS_DIR    TRX files and blame output         artifacts/test-results (emptied first)
#   TEST_PROJECTS  space-separated .csproj paths      every test project in Orchestrator.sln
#   HANG_TIMEOUT   --blame-hang-timeout               10m
#   HANG_DUMP      --blame-hang-dump-type             mini (full | mini | none)
#   INFRA_DIR and the other infra-up.sh settings are passed through.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
exec </dev/null # nothing here may prompt; CI has no stdin

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export MSBUILDTERMINALLOGGER="${MSBUILDTERMINALLOGGER:-off}" # plain, greppable logs
export INFRA_DIR="${INFRA_DIR:-${TMPDIR:-/tmp}/orchestrator-infra}"
RESULTS_DIR="${RESULTS_DIR:-$ROOT/artifacts/test-results}"
HANG_TIMEOUT="${HANG_TIMEOUT:-10m}"
HANG_DUMP="${HANG_DUMP:-mini}"
SKIP_INFRA="${SKIP_INFRA:-0}"
KEEP_INFRA="${KEEP_INFRA:-}"

say() { printf '[test] %s\n' "$*" >&2; }

# ------------------------------------------------------------------------------------------ summary
# Counts come from the <Counters .../> element of each TRX file. Failed = outcomes failed + error + timeout +
# aborted; skipped = total - executed (xunit's skipped tests are in total but not executed).
PASSED=0 FAILED=0 SKIPPED=0 EXECUTED=0
read_trx() { # file -> T_TOTAL T_EXECUTED T_PASSED T_FAILED; status 1 when the file or its counters are missing
  local counters
  T_TOTAL=0 T_EXECUTED=0 T_PASSED=0 T_FAILED=0
  [ -f "$1" ] || return 1
  counters=$(tr '\n\r' '  ' <"$1" | grep -o '<Counters[[:space:]][^>]*>' | head -1 || true)
  [ -n "$counters" ] || return 1
  attr() { local v; v=$(printf '%s' "$counters" | sed -n "s/.*[[:space:]]$1=\"\([0-9]*\)\".*/\1/p"); echo "${v:-0}"; }
  T_TOTAL=$(attr total); T_EXECUTED=$(attr executed); T_PASSED=$(attr passed)
  T_FAILED=$(( $(attr failed) + $(attr error) + $(attr timeout) + $(attr aborted) ))
  # A hang (blame timeout) or a crashed test host leaves the test that was running out of the counters
  # altogether; the run-level message says so. Count it as one failure so the summary never reads "0 failed".
  if [ "$T_FAILED" = 0 ] && grep -q 'test run was aborted' "$1"; then
    T_FAILED=1
    say "$(basename "$1"): test run aborted (test host crash or hang): counted as 1 failed; blame output beside it"
  fi
}
add_trx() {
  PASSED=$((PASSED + T_PASSED)); FAILED=$((FAILED + T_FAILED)); EXECUTED=$((EXECUTED + T_EXECUTED))
  if [ "$T_TOTAL" -gt "$T_EXECUTED" ]; then SKIPPED=$((SKIPPED + T_TOTAL - T_EXECUTED)); fi
}
summary_line() { echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"; }

# `scripts/test.sh --summary-only [DIR]`: the summary of the TRX files already in DIR, nothing else.
if [ "${1:-}" = --summary-only ]; then
  RESULTS_DIR="${2:-$RESULTS_DIR}"
  while IFS= read -r -d '' f; do
    if read_trx "$f"; then add_trx; else say "no <Counters> in $f"; fi
  done < <(find "$RESULTS_DIR" -type f -name '*.trx' -print0 2>/dev/null)
  summary_line
  [ "$FAILED" = 0 ] && [ "$EXECUTED" -gt 0 ]
  exit
fi

# ------------------------------------------------------------------------------------------ infrastructure
stop_infra=0
infra_stopped=0
stop_infra_now() {
  if [ "$stop_infra" = 1 ] && [ "$infra_stopped" = 0 ]; then
    infra_stopped=1
    "$ROOT/scripts/infra-down.sh" >&2 || say "infra-down reported a problem (see above)"
  fi
}
trap stop_infra_now EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$SKIP_INFRA" = 1 ]; then
  say "SKIP_INFRA=1: not starting PostgreSQL/RabbitMQ"
else
  already_up=0
  "$ROOT/scripts/infra-ctl.sh" status >/dev/null 2>&1 && already_up=1
  case "$KEEP_INFRA" in
    1) stop_infra=0 ;;
    0) stop_infra=1 ;;
    *) [ "$already_up" = 1 ] && stop_infra=0 || stop_infra=1 ;;
  esac
  if ! "$ROOT/scripts/infra-up.sh" >&2; then
    stop_infra_now
    say "INFRA-UP FAILED: PostgreSQL/RabbitMQ did not start (see above); no tests were run"
    summary_line
    exit 1
  fi
  # shellcheck disable=SC1091
  . "$INFRA_DIR/env" # exports ORCH_TEST_POSTGRES, ORCH_TEST_POSTGRES_APP, ORCH_TEST_RABBITMQ, ...
  [ "$stop_infra" = 1 ] || say "servers will be left running (KEEP_INFRA=${KEEP_INFRA:-unset}, already up: $already_up)"
fi

# ------------------------------------------------------------------------------------------ browser
# The dashboard's browser tests drive Debian's chromium through Playwright; without one they fail and say why.
if browser="$("$ROOT/scripts/install-browser.sh")"; then
  export ORCH_TEST_CHROMIUM="$browser"
else
  say "no headless Chromium (see above): the dashboard's browser tests will fail"
fi

# ------------------------------------------------------------------------------------------ build
rm -rf "$RESULTS_DIR"
mkdir -p "$RESULTS_DIR"
export ORCH_TEST_ARTIFACTS="$RESULTS_DIR" # screenshots and other files a test keeps

say "dotnet build Orchestrator.sln -c Release"
build_rc=0
dotnet build Orchestrator.sln -c Release -nologo || build_rc=$?
if [ "$build_rc" != 0 ]; then
  stop_infra_now
  say "BUILD FAILED (exit $build_rc): no tests were run"
  summary_line
  exit 1
fi

# ------------------------------------------------------------------------------------------ tests
if [ -n "${TEST_PROJECTS:-}" ]; then
  read -r -a projects <<<"$TEST_PROJECTS"
else
  projects=()
  while IFS= read -r p; do
    p="${p//\\//}"
    case "$p" in *.csproj) ;; *) continue ;; esac
    [ -f "$p" ] || continue
    if grep -qE '<IsTestProject>[[:space:]]*true|Include="Microsoft\.NET\.Test\.Sdk"' "$p"; then projects+=("$p"); fi
  done < <(dotnet sln Orchestrator.sln list)
fi
[ "${#projects[@]}" -gt 0 ] || { stop_infra_now; say "no test projects found"; summary_line; exit 1; }

# One project at a time: the integration tests share one PostgreSQL and one RabbitMQ, and the box is small.
test_rc=0
for p in "${projects[@]}"; do
  name="$(basename "$p" .csproj)"
  say "dotnet test $p"
  rc=0
  dotnet test "$p" -c Release --no-build --nologo \
    --results-directory "$RESULTS_DIR" --logger "trx;LogFileName=$name.trx" \
    --blame-hang-timeout "$HANG_TIMEOUT" --blame-hang-dump-type "$HANG_DUMP" \
    "$@" || rc=$?
  have_trx=0
  if read_trx "$RESULTS_DIR/$name.trx"; then add_trx; have_trx=1; fi
  if [ "$rc" != 0 ]; then
    test_rc=$rc
    if [ "$have_trx" = 0 ] || [ "$T_FAILED" = 0 ]; then
      # dotnet test failed without a failed test on record (no TRX, or an abort it did not describe).
      FAILED=$((FAILED + 1))
      say "dotnet test $p exited with $rc without a failed test in its TRX: counted as 1 failed"
    else
      say "dotnet test $p exited with $rc"
    fi
  fi
done

stop_infra_now
status=0
[ "$test_rc" = 0 ] || status=1
[ "$FAILED" = 0 ] || status=1
if [ "$EXECUTED" = 0 ]; then say "no test was executed"; status=1; fi
say "TRX files: $RESULTS_DIR"
summary_line
exit "$status"

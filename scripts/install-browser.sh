#!/usr/bin/env bash
# Make sure a headless Chromium is on the machine for the dashboard's browser tests, installing Debian's
# `chromium` package when it is missing (root and apt-get needed for that), and print its path on stdout.
# Playwright drives this browser; its own browser download is not used.
#
#   CHROMIUM        an existing browser binary to use instead      (default: chromium on PATH)
#   SKIP_INSTALL    1 = never run apt-get                           0
set -euo pipefail
exec </dev/null
say() { printf '[install-browser] %s\n' "$*" >&2; }
SKIP_INSTALL="${SKIP_INSTALL:-0}"

found() { [ -n "${CHROMIUM:-}" ] && [ -x "$CHROMIUM" ] && return 0; CHROMIUM="$(command -v chromium || true)"; [ -n "$CHROMIUM" ]; }

if ! found; then
  [ "$SKIP_INSTALL" = 1 ] && { say "no chromium and SKIP_INSTALL=1"; exit 1; }
  [ "$(id -u)" = 0 ] || { say "no chromium; run as root once (or: sudo apt-get install --no-install-recommends chromium)"; exit 1; }
  command -v apt-get >/dev/null || { say "no chromium and no apt-get to install it"; exit 1; }
  log="${TMPDIR:-/tmp}/install-browser.apt.log"
  say "apt-get install chromium (log: $log)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >"$log" 2>&1; then
    say "install failed; apt-get update and retry"
    apt-get update -q >>"$log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >>"$log" 2>&1 ||
      { tail -20 "$log" >&2; say "apt-get failed installing chromium"; exit 1; }
  fi
  found || { say "chromium installed but not on PATH"; exit 1; }
fi
"$CHROMIUM" --version >&2 || { say "$CHROMIUM does not run"; exit 1; }
echo "$CHROMIUM"

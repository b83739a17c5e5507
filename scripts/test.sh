#!/usr/bin/env bash
# Runs every test: starts Azurite if it is not running (and stops it afterwards), then `dotnet test` on the solution.
# Extra arguments go to `dotnet test`. Ends with a line "Tests: N passed, N failed, N skipped".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

started=0
if ! (exec 3<>/dev/tcp/127.0.0.1/10002) 2>/dev/null; then
  scripts/azurite.sh start
  started=1
fi
cleanup() { if [ "$started" = 1 ]; then scripts/azurite.sh stop; fi; }
trap cleanup EXIT

# Test hosts do not watch their configuration files: every watcher costs an inotify instance (128 per user by default),
# and parallel test hosts ran out of them.
export DOTNET_hostBuilder__reloadConfigOnChange=false

RESULTS="$ROOT/.run/test-results"
rm -rf "$RESULTS"
status=0
dotnet test Functions.sln --results-directory "$RESULTS" --logger "trx" --logger "console;verbosity=minimal" "$@" || status=$?

# One plain closing line, summed over every test project's TRX file.
passed=0; failed=0; skipped=0
for trx in "$RESULTS"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  total="$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${total:-0} - ${p:-0} - ${f:-0}))
done
echo "Tests: $passed passed, $failed failed, $skipped skipped"
if [ "$passed" = 0 ] && [ "$status" = 0 ]; then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"

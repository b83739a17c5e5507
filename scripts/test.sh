#!/usr/bin/env bash
# Runs every test: starts Azurite if it is not running (and stops it afterwards), then `dotnet test` on the solution.
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

dotnet test Functions.sln --logger "console;verbosity=normal" "$@"

#!/usr/bin/env bash
# Runs the whole workflow on this machine, with no Azure and no Adobe org: Azurite (durable state and the account
# table), the Adobe Flow Service + IMS simulator (its own process), the Entra ID + blob stand-in the pre-flight signs
# in at (its own process, https on 127.0.0.1:7091, set up from samples/entra-blob-standin.json), and the local host
# serving the HTTP API on http://127.0.0.1:7071. Then onboards samples/onboardings.json through that API and prints
# the results: one sample connects, one fails pre-flight (its service principal has no role on the account).
#   scripts/run-local.sh          keeps serving until Ctrl-C, then stops everything it started
#   scripts/run-local.sh --once   exits after the sample onboarding: 0 when every sample ends as its sample file says
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ONCE=0
if [ "${1:-}" = "--once" ]; then ONCE=1; fi
RUN_DIR="$ROOT/.run"
mkdir -p "$RUN_DIR"
cd "$ROOT"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in 7071 7081 7091; do
  if port_in_use "$port"; then
    echo "Port $port on 127.0.0.1 is already in use (another run?). Stop it first." >&2
    exit 1
  fi
done

echo "==> Building"
dotnet build "$ROOT/src/AdlsOnboarding.LocalHost/AdlsOnboarding.LocalHost.csproj" -nologo -v q -clp:ErrorsOnly
dotnet build "$ROOT/src/AdlsOnboarding.Simulator/AdlsOnboarding.Simulator.csproj" -nologo -v q -clp:ErrorsOnly
HOST_DLL="$ROOT/src/AdlsOnboarding.LocalHost/bin/Debug/net10.0/AdlsOnboarding.LocalHost.dll"
SIM_DLL="$ROOT/src/AdlsOnboarding.Simulator/bin/Debug/net10.0/AdlsOnboarding.Simulator.dll"

AZURITE_STARTED=0
PIDS=()
stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  trap - EXIT INT TERM
  echo "==> Stopping"
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [ "$AZURITE_STARTED" = 1 ]; then "$ROOT/scripts/azurite.sh" stop; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "==> Azurite"
if ! port_in_use 10002; then
  "$ROOT/scripts/azurite.sh" start
  AZURITE_STARTED=1
else
  echo "azurite: already running"
fi

echo "==> Adobe simulator on http://127.0.0.1:7081 (log: .run/simulator.log)"
dotnet "$SIM_DLL" --port 7081 >"$RUN_DIR/simulator.log" 2>&1 &
PIDS+=($!)

echo "==> Entra ID + blob stand-in on https://127.0.0.1:7091 (log: .run/entra-blob.log)"
THUMBPRINT_FILE="$RUN_DIR/entra-blob.thumbprint"
rm -f "$THUMBPRINT_FILE"
dotnet "$SIM_DLL" entra-blob --port 7091 --setup "$ROOT/samples/entra-blob-standin.json" --thumbprint-file "$THUMBPRINT_FILE" >"$RUN_DIR/entra-blob.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do
  if [ -s "$THUMBPRINT_FILE" ]; then break; fi
  sleep 0.2
done
if [ ! -s "$THUMBPRINT_FILE" ]; then
  echo "The Entra + blob stand-in did not start; log:" >&2
  cat "$RUN_DIR/entra-blob.log" >&2
  exit 1
fi

echo "==> Local host on http://127.0.0.1:7071 (log: .run/localhost.log)"
# The pre-flight trusts exactly the stand-in's certificate (appsettings.json points it at 127.0.0.1:7091).
Preflight__LoopbackCertificateThumbprint="$(cat "$THUMBPRINT_FILE")" dotnet "$HOST_DLL" >"$RUN_DIR/localhost.log" 2>&1 &
PIDS+=($!)

for _ in $(seq 1 150); do
  if port_in_use 7071 && port_in_use 7081 && port_in_use 7091; then break; fi
  sleep 0.2
done
if ! curl -fsS http://127.0.0.1:7071/healthz >/dev/null 2>&1 && ! port_in_use 7071; then
  echo "The local host did not start; log:" >&2
  cat "$RUN_DIR/localhost.log" >&2
  exit 1
fi

echo "==> Onboarding the sample account(s) in samples/onboardings.json through the HTTP API"
status=0
dotnet "$HOST_DLL" onboard-samples "$ROOT/samples/onboardings.json" --api http://127.0.0.1:7071 || status=$?

if [ "$ONCE" = 1 ]; then
  exit "$status"
fi

cat <<'TRY'

The host keeps serving. Try it (Ctrl-C stops everything this script started):

  curl -i -X POST http://127.0.0.1:7071/api/onboardings -H 'Content-Type: application/json' -d '{
    "storageAccountUrl": "https://fabrikamlake.dfs.core.windows.net",
    "clientId": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "tenant": "contoso.onmicrosoft.com",
    "secretName": "sample-sp-key",
    "sandbox": "prod" }'
  curl -i "<the Location header of the 202 answer>"
  curl -s http://127.0.0.1:7081/_simulator/connections     # what Adobe's side now holds
  curl -s http://127.0.0.1:7071/api/accounts/prod/contosonorole   # the sample that failed pre-flight, and why

TRY
wait "${PIDS[@]}"

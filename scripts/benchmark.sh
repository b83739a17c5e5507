#!/usr/bin/env bash
# The benchmark (not part of the tests): N onboardings through the local host on Azurite against the simulator, the
# sequential client, the instant-Adobe profile and the bare engine. Arguments go to the program, e.g.:
#   scripts/benchmark.sh --n 1000 --latency 100 --cap 20
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
started=0
if ! (exec 3<>/dev/tcp/127.0.0.1/10002) 2>/dev/null; then scripts/azurite.sh start; started=1; fi
cleanup() { if [ "$started" = 1 ]; then scripts/azurite.sh stop; fi; }
trap cleanup EXIT
dotnet build tests/AdlsOnboarding.Benchmark -c Release -nologo -v q -clp:ErrorsOnly
dotnet tests/AdlsOnboarding.Benchmark/bin/Release/net10.0/AdlsOnboarding.Benchmark.dll "$@"

#!/usr/bin/env bash
# The benchmark (not part of the tests): N onboardings through the local host on Azurite against the simulator, the
# sequential client, the instant-Adobe profile and the bare engine. Arguments go to the program, e.g.:
#   scripts/benchmark.sh --n 1000 --latency 100 --cap 20
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Each phase starts a fresh Azurite of its own on free ports (the shared one on 10000-10002 is not used).
scripts/azurite.sh install
dotnet build tests/AdlsOnboarding.Benchmark -c Release -nologo -v q -clp:ErrorsOnly
dotnet tests/AdlsOnboarding.Benchmark/bin/Release/net10.0/AdlsOnboarding.Benchmark.dll "$@"

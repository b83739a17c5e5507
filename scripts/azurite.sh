#!/usr/bin/env bash
# Starts or stops Azurite (blob 10000, queue 10001, table 10002 on 127.0.0.1, in memory) for local runs and tests.
#   scripts/azurite.sh start   # installs it from npm (tools/azurite) if needed; no-op if something already listens
#   scripts/azurite.sh stop    # stops the instance this script started
#   scripts/azurite.sh install # only installs it (the benchmark starts fresh instances of its own)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="$ROOT/.azurite"
PID_FILE="$STATE_DIR/azurite.pid"
BIN="$ROOT/tools/azurite/node_modules/.bin/azurite"

listening() { (exec 3<>/dev/tcp/127.0.0.1/10002) 2>/dev/null; }

install() {
  if [ ! -x "$BIN" ]; then
    echo "azurite: installing from npm (tools/azurite)"
    (cd "$ROOT/tools/azurite" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

case "${1:-}" in
  install)
    install
    ;;
  start)
    if listening; then
      echo "azurite: already listening on 127.0.0.1:10002"
      exit 0
    fi
    install
    mkdir -p "$STATE_DIR"
    # setsid: Azurite gets its own process group, so stopping it never touches the caller.
    # --disableTelemetry: Azurite 3.33+ otherwise reports every request to Application Insights (an internet address).
    setsid "$BIN" --silent --disableTelemetry --inMemoryPersistence --skipApiVersionCheck --disableProductStyleUrl \
      --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
      >"$STATE_DIR/azurite.log" 2>&1 < /dev/null &
    echo $! >"$PID_FILE"
    for _ in $(seq 1 100); do
      if listening; then echo "azurite: started (pid $(cat "$PID_FILE"))"; exit 0; fi
      sleep 0.2
    done
    echo "azurite: did not start; log:" >&2
    cat "$STATE_DIR/azurite.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$PID_FILE" ]; then
      pid="$(cat "$PID_FILE")"
      # Azurite ignores SIGTERM for a long time once clients have connected: TERM, a short wait, then KILL.
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 10); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      echo "azurite: stopped"
    fi
    ;;
  *)
    echo "usage: $0 start|stop|install" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Stop the dev broker started by deploy/kafka/start.sh.
#
#   deploy/kafka/stop.sh [--data-dir DIR]
#
# Sends SIGTERM (controlled shutdown), waits up to 30 s, then SIGKILL. Removes the pid file.
# Succeeds when no broker from DIR is running.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
DATA_DIR="$SCRIPT_DIR/.data"
STOP_TIMEOUT_S="${KAFKA_STOP_TIMEOUT_S:-30}"

log() { printf '[kafka] %s\n' "$*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --data-dir) DATA_DIR="${2:?--data-dir needs a value}"; shift 2 ;;
    --data-dir=*) DATA_DIR="${1#*=}"; shift ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) log "error: unknown argument: $1"; exit 1 ;;
  esac
done

if [[ ! -d "$DATA_DIR" ]]; then log "no data dir $DATA_DIR: nothing to stop"; exit 0; fi
DATA_DIR="$(cd -- "$DATA_DIR" && pwd -P)"
PID_FILE="$DATA_DIR/kafka.pid"

# shellcheck source=common.sh
source "$SCRIPT_DIR/common.sh"

pid="$(cat "$PID_FILE" 2>/dev/null || true)"
if ! is_broker_pid "$pid"; then
  rm -f -- "$PID_FILE"
  log "no broker running from $DATA_DIR"
  exit 0
fi

log "stopping broker (pid $pid)"
kill -TERM "$pid" 2>/dev/null || true
deadline=$((SECONDS + STOP_TIMEOUT_S))
while is_broker_pid "$pid" && (( SECONDS < deadline )); do sleep 0.2; done
if is_broker_pid "$pid"; then
  log "broker did not stop within ${STOP_TIMEOUT_S}s: sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do is_broker_pid "$pid" || break; sleep 0.1; done
fi
rm -f -- "$PID_FILE"
log "broker stopped"

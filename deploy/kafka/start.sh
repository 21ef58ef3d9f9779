#!/usr/bin/env bash
# Start a single-node Apache Kafka broker (KRaft, combined broker + controller) for development
# and tests, from jars fetched from Maven Central with Maven (deploy/kafka/pom.xml).
#
#   deploy/kafka/start.sh [--port 9092] [--controller-port PORT+1] [--data-dir DIR]
#
# Progress goes to stderr; the last (and only) line on stdout is the bootstrap address
# 127.0.0.1:PORT, so   KAFKA_BROKERS=$(deploy/kafka/start.sh)   works.
# If a broker from the same data dir is already running, it only prints its address.
# Stop it with deploy/kafka/stop.sh [--data-dir DIR].
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
ROOT_DIR="$(cd -- "$SCRIPT_DIR/../.." && pwd -P)"
LIB_DIR="$SCRIPT_DIR/lib"
MARKER="$LIB_DIR/.fetched"

PORT=9092
CONTROLLER_PORT=""
DATA_DIR="$SCRIPT_DIR/.data"
START_DEADLINE_S="${KAFKA_START_TIMEOUT_S:-90}"

log() { printf '[kafka] %s\n' "$*" >&2; }
die() { printf '[kafka] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) PORT="${2:?--port needs a value}"; shift 2 ;;
    --port=*) PORT="${1#*=}"; shift ;;
    --controller-port) CONTROLLER_PORT="${2:?--controller-port needs a value}"; shift 2 ;;
    --controller-port=*) CONTROLLER_PORT="${1#*=}"; shift ;;
    --data-dir) DATA_DIR="${2:?--data-dir needs a value}"; shift 2 ;;
    --data-dir=*) DATA_DIR="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage; die "unknown argument: $1" ;;
  esac
done
[[ "$PORT" =~ ^[0-9]+$ ]] || die "--port must be a number: $PORT"
[[ -z "$CONTROLLER_PORT" ]] && CONTROLLER_PORT=$((PORT + 1))
[[ "$CONTROLLER_PORT" =~ ^[0-9]+$ ]] || die "--controller-port must be a number: $CONTROLLER_PORT"
[[ "$CONTROLLER_PORT" != "$PORT" ]] || die "--controller-port must differ from --port"

command -v java >/dev/null || die "java not found (Java 17 is needed)"
mkdir -p -- "$DATA_DIR"
DATA_DIR="$(cd -- "$DATA_DIR" && pwd -P)"
PID_FILE="$DATA_DIR/kafka.pid"
ADDR_FILE="$DATA_DIR/bootstrap"
PROPS="$DATA_DIR/server.properties"
LOG_DIRS="$DATA_DIR/kraft-logs"

# --- helpers -------------------------------------------------------------------------------------

# shellcheck source=common.sh
source "$SCRIPT_DIR/common.sh"

running_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  is_broker_pid "$pid" || return 1
  printf '%s\n' "$pid"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# One readiness probe: a real client (kafkajs admin listTopics) if kafkajs is installed,
# otherwise a plain TCP connect.
probe() {
  local addr="$1"
  if [[ -f "$ROOT_DIR/node_modules/kafkajs/package.json" ]] && command -v node >/dev/null; then
    timeout 15 node -e '
      const { Kafka, logLevel } = require(process.argv[1]);
      const admin = new Kafka({ clientId: "flinkx-start-probe", brokers: [process.argv[2]],
        logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 5000,
        retry: { retries: 0 } }).admin();
      admin.connect().then(() => admin.listTopics())
        .then(() => admin.disconnect().then(() => process.exit(0)))
        .catch(() => process.exit(1));
    ' "$ROOT_DIR/node_modules/kafkajs" "$addr" >/dev/null 2>&1
  else
    port_in_use "${addr##*:}"
  fi
}

log_tail() {
  local f
  for f in "$DATA_DIR/kafka.out" "$DATA_DIR/kafka.log"; do
    if [[ -s "$f" ]]; then
      printf '[kafka] ---- last lines of %s ----\n' "$f" >&2
      tail -n 40 "$f" >&2
    fi
  done
}

# Wait until the broker answers a client; fail if its process dies or the deadline passes.
wait_ready() {
  local pid="$1" addr="$2" deadline=$((SECONDS + START_DEADLINE_S))
  while true; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log_tail
      rm -f -- "$PID_FILE"
      die "the broker process ($pid) exited during start-up"
    fi
    if probe "$addr"; then return 0; fi
    if (( SECONDS >= deadline )); then
      log_tail
      die "broker did not accept clients on $addr within ${START_DEADLINE_S}s (pid $pid still running; stop it with $SCRIPT_DIR/stop.sh --data-dir $DATA_DIR)"
    fi
    sleep 0.5
  done
}

# --- jars ----------------------------------------------------------------------------------------

fetch_jars() {
  local want
  want="$(sha256sum "$SCRIPT_DIR/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$want" ]]; then return 0; fi
  mkdir -p -- "$LIB_DIR"
  # One fetch at a time, also across concurrent start.sh runs with different data dirs.
  exec 8>"$LIB_DIR/.fetch.lock"
  flock 8
  if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$want" ]]; then exec 8>&-; return 0; fi
  command -v mvn >/dev/null || die "mvn not found (Maven is needed to fetch the Kafka jars)"
  log "fetching Kafka jars with Maven (first run only)..."
  find "$LIB_DIR" -mindepth 1 -maxdepth 1 -name '*.jar' -delete
  local t0=$SECONDS
  # -q leaves only errors; the sed strips the colour codes Debian's Maven 3.8 prints even with -B.
  if ! mvn -B -q -Dstyle.color=never -f "$SCRIPT_DIR/pom.xml" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB_DIR" \
      </dev/null 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g' >&2; then
    die "Maven could not fetch the Kafka jars (see the output above)"
  fi
  ls "$LIB_DIR"/kafka_2.13-*.jar >/dev/null 2>&1 || die "Maven finished but $LIB_DIR has no kafka_2.13 jar"
  printf '%s\n' "$want" >"$MARKER"
  log "fetched $(find "$LIB_DIR" -maxdepth 1 -name '*.jar' | wc -l) jars into $LIB_DIR in $((SECONDS - t0))s"
  exec 8>&-
}

# --- main ----------------------------------------------------------------------------------------

# Serialise start.sh runs on the same data dir.
exec 9>"$DATA_DIR/.start.lock"
flock 9

if pid="$(running_pid)"; then
  addr="$(cat "$ADDR_FILE" 2>/dev/null || echo "127.0.0.1:$PORT")"
  if [[ "$addr" != "127.0.0.1:$PORT" ]]; then
    log "note: the broker already running from $DATA_DIR listens on $addr, not port $PORT"
  fi
  log "broker already running (pid $pid)"
  wait_ready "$pid" "$addr"
  printf '%s\n' "$addr"
  exit 0
fi
rm -f -- "$PID_FILE"

fetch_jars

for p in "$PORT" "$CONTROLLER_PORT"; do
  port_in_use "$p" && die "port $p on 127.0.0.1 is already in use by another process"
done

cat >"$PROPS" <<EOF
# Written by deploy/kafka/start.sh on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$LOG_DIRS

num.partitions=1
default.replication.factor=1
auto.create.topics.enable=true
group.initial.rebalance.delay.ms=0
offsets.topic.num.partitions=4
offsets.topic.replication.factor=1
transaction.state.log.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
EOF

JAVA_CP="$LIB_DIR/*"
if [[ ! -f "$LOG_DIRS/meta.properties" ]]; then
  log "formatting storage in $LOG_DIRS"
  cluster_id="$(java -Dlog4j.configuration="file:$SCRIPT_DIR/log4j-tools.properties" \
    -cp "$JAVA_CP" kafka.tools.StorageTool random-uuid)"
  java -Dlog4j.configuration="file:$SCRIPT_DIR/log4j-tools.properties" -cp "$JAVA_CP" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" --ignore-formatted >&2
fi

log "starting broker on 127.0.0.1:$PORT (controller 127.0.0.1:$CONTROLLER_PORT), data in $DATA_DIR"
: >"$DATA_DIR/kafka.out"
# setsid: the broker gets its own session, so it survives the shell (or test runner) that started
# it and does not receive that terminal's Ctrl-C. The inner shell records its own pid, then execs java.
setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' start-kafka "$PID_FILE" \
  java -Xms256m -Xmx512m -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dkafka.logs.dir="$DATA_DIR" -Dlog4j.configuration="file:$SCRIPT_DIR/log4j.properties" \
    -cp "$JAVA_CP" kafka.Kafka "$PROPS" \
  </dev/null >>"$DATA_DIR/kafka.out" 2>&1 8>&- 9>&- &

# Wait for the pid file the inner shell writes.
for _ in $(seq 1 100); do [[ -s "$PID_FILE" ]] && break; sleep 0.05; done
pid="$(cat "$PID_FILE" 2>/dev/null || true)"
[[ "$pid" =~ ^[0-9]+$ ]] || { log_tail; die "could not read the broker pid from $PID_FILE"; }
printf '127.0.0.1:%s\n' "$PORT" >"$ADDR_FILE"

t0=$SECONDS
wait_ready "$pid" "127.0.0.1:$PORT"
log "broker up (pid $pid) after $((SECONDS - t0))s; log: $DATA_DIR/kafka.log"
printf '127.0.0.1:%s\n' "$PORT"

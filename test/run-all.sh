#!/usr/bin/env bash
# The whole test suite, from a fresh clone after `npm ci`: builds, installs and starts what the
# tests need, runs unit and cluster tests, and stops what it started.
#   - Chromium and Prometheus (Debian's packages) for the dashboard and scraping tests, via apt-get.
#   - A real Kafka broker (deploy/kafka, jars from Maven Central) unless KAFKA_BROKERS names one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== building"
npm run --silent build

# The example jobs are type-checked as a user's project would be: against the built package's types.
echo "== type-checking jobs/"
npx tsc -p jobs/tsconfig.json
# jest's transform strips types unchecked: the tests are type-checked here.
echo "== type-checking the tests"
npx tsc -p tsconfig.test.json
# The layers point one way (common/ imports no process; JM and TM share only common/), no cycles.
echo "== checking the layers"
npm run --silent depcheck
# typescript-eslint with type information: promises nobody awaits or catches, and the like.
echo "== linting"
npm run --silent lint
# Prettier decides formatting: `npm run format` writes it.
echo "== checking the formatting"
npm run --silent format:check

# Debian packages the tests drive for real: chromium (dashboard), prometheus (http_sd scraping).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/bin/prometheus ] || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages for the tests: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo -n"; fi
  $SUDO apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q "${missing[@]}" >/dev/null; }
fi

KAFKA_DATA="$PWD/.data/kafka-test"
if [ -z "${KAFKA_BROKERS:-}" ]; then
  echo "== starting a Kafka broker for the suite"
  KAFKA_BROKERS="$(deploy/kafka/start.sh --port "${KAFKA_TEST_PORT:-19092}" --data-dir "$KAFKA_DATA")"
  trap 'deploy/kafka/stop.sh --data-dir "$KAFKA_DATA" >/dev/null 2>&1 || true' EXIT
fi
export KAFKA_BROKERS
echo "== Kafka at $KAFKA_BROKERS"

echo "== unit and cluster tests"
npx jest --runInBand "$@"

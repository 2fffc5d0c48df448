#!/usr/bin/env bash
# Runs issue #12's cluster test (3-node JetStream cluster on loopback, R3 streams, 100 000
# events; daemon B SIGKILLed and restarted three times, one NATS node killed; A and B's output
# streams compared) RUNS times (default 5) and prints how many passed, and how often a pull
# answer lost with the killed node was read again. `make test` runs it once; this is for
# soaking it.
#
# Usage: scripts/test-cluster.sh [RUNS]     STREAMSMOTE_CLUSTER_EVENTS=N for a smaller run
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
swift build --build-tests || exit 1
passed=0
for i in $(seq 1 "$runs"); do
  if swift test --skip-build --filter JetStreamClusterTests > "/tmp/streamsmote-cluster-$i.log" 2>&1; then
    passed=$((passed + 1)); echo "run $i: passed ($(grep -ho 'read again: A [0-9]*, B [0-9]*' "/tmp/streamsmote-cluster-$i.log"))"
  else
    echo "run $i: FAILED (log /tmp/streamsmote-cluster-$i.log)"
  fi
done
echo "cluster test: $passed of $runs passed"
[ "$passed" = "$runs" ]

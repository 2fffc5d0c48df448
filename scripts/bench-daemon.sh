#!/usr/bin/env bash
# Events/s and latency through `streamsmote run` beside a bare XSUB/XPUB relay in the same
# topology and the same run, for protobuf and JSON. Prints figures and the ratio.
# Usage: scripts/bench-daemon.sh [EVENTS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-300000}
rounds=${2:-3}
swift build -c release --product streamsmote-bench >/dev/null
bench=$(swift build -c release --show-bin-path)/streamsmote-bench
for round in $(seq "$rounds"); do
  echo "== round $round"
  "$bench" pipeline --count "$count"
done

#!/usr/bin/env bash
# PUB/SUB throughput over tcp loopback: the Swift wrapper beside a bare C loop and pyzmq,
# measured in one run on the same machine. Prints each figure and the ratios.
# Usage: scripts/bench-zmq.sh [COUNT] [PAYLOAD_BYTES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
size=${2:-200}
rounds=${3:-3}
swift build -c release --product streamsmote-bench >/dev/null
bench=$(swift build -c release --show-bin-path)/streamsmote-bench
cbin=$(mktemp -d)/zmq_pubsub
cc -O2 -o "$cbin" Benchmarks/baselines/zmq_pubsub.c $(pkg-config --cflags --libs libzmq) -lpthread
rate() { sed -E 's/.*: ([0-9]+) msg\/s/\1/'; }
for round in $(seq "$rounds"); do
  c=$("$cbin" "$count" "$size"); echo "$c"
  s=$("$bench" zmq --count "$count" --size "$size"); echo "$s"
  p=$(python3 Benchmarks/baselines/zmq_pubsub.py "$count" "$size"); echo "$p"
  cr=$(echo "$c" | rate); sr=$(echo "$s" | rate); pr=$(echo "$p" | rate)
  python3 -c "print(f'round $round: swift/c = {$sr/$cr:.2f}, swift/pyzmq = {$sr/$pr:.2f}')"
done

#!/usr/bin/env bash
# `streamsmote run` beside a bare XSUB/XPUB relay in the same run, with the same C publisher
# and subscriber processes: events/s for both codecs at --ratio 0.1 and 0.5, and latency
# percentiles at 20 k and 100 k events/s, and the floor (every event decoded, validated and
# forwarded, none kept). Prints figures and ratios; nothing is pass/fail.
# Usage: scripts/bench-daemon.sh [EVENTS] [ROUNDS] [extra options of scripts/bench_daemon.py]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-300000}
rounds=${2:-3}
shift $(( $# < 2 ? $# : 2 ))
swift build -c release --product streamsmote >/dev/null
bin=$(swift build -c release --show-bin-path)/streamsmote
edge=$(mktemp -d)/bench_edge
cc -O2 -o "$edge" Benchmarks/baselines/bench_edge.c $(pkg-config --cflags --libs libzmq)
python3 scripts/bench_daemon.py "$bin" "$edge" --count "$count" --rounds "$rounds" --floor "$@"

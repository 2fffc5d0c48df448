#!/usr/bin/env bash
# JetStream throughput against a local nats-server: the Swift NATS layer beside a bare C loop
# on libnats, measured in one run on the same server. Prints each figure and the ratios.
# Usage: scripts/bench-nats.sh [COUNT] [PAYLOAD_BYTES] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200000}
size=${2:-200}
rounds=${3:-3}
swift build -c release --product streamsmote-bench >/dev/null
bench=$(swift build -c release --show-bin-path)/streamsmote-bench
work=$(mktemp -d)
cc -O2 -o "$work/js_pubfetch" Benchmarks/baselines/js_pubfetch.c $(pkg-config --cflags --libs libnats)
read -r port monitor < <(python3 -c 'import socket
s, t = socket.socket(), socket.socket()
s.bind(("127.0.0.1", 0)); t.bind(("127.0.0.1", 0))
print(s.getsockname()[1], t.getsockname()[1])')
nats-server -js -sd "$work/store" -a 127.0.0.1 -p "$port" -m "$monitor" -l "$work/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
python3 - "$monitor" <<'PY' || { echo "nats-server did not become ready"; exit 1; }
import sys, time, urllib.request
deadline = time.monotonic() + 20
while True:
    try:
        if b"ok" in urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1).read():
            break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.05)
PY
url="nats://127.0.0.1:$port"
field() { grep "$1" | sed -E 's/.*: ([0-9]+) msg\/s/\1/'; }
for round in $(seq "$rounds"); do
  c=$("$work/js_pubfetch" "$url" "$count" "$size" 256); echo "$c"
  s=$("$bench" jetstream --url "$url" --count "$count" --size "$size" --batch 256); echo "$s"
  cp=$(echo "$c" | field publish); sp=$(echo "$s" | field publish)
  cf=$(echo "$c" | field fetch); sf=$(echo "$s" | field fetch)
  python3 -c "print(f'round $round: publish swift/c = {$sp/$cp:.2f}, fetch+ack swift/c = {$sf/$cf:.2f}')"
done

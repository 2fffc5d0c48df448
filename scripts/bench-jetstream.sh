#!/usr/bin/env bash
# The daemon on JetStream beside a bare consume→republish relay on the same C client
# (Benchmarks/baselines/js_relay.c), in one run on one local nats-server (file storage, R1),
# with the same publisher and subscriber for both (js_relay pub / sub):
#   burst: COUNT events are in the input stream before the relay or daemon starts; events/s
#          from the first to the last arrival in the output stream;
#   paced: LATENCY_COUNT events published at RATE/s while it runs; p50/p99 latency from
#          publish to arrival (send time in the event id, CLOCK_MONOTONIC, one machine).
# Every event must arrive exactly once (the subscriber checks each number), or the script
# fails. Systems: relay; daemon (--forward-real, no state: at-least-once); daemon with
# --state nats://…/STATE (KV snapshots every --snapshot-interval, default 10 s).
# Usage: scripts/bench-jetstream.sh [COUNT] [RATE] [LATENCY_COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
rate=${2:-10000}
latency_count=${3:-$((rate * 5))}
swift build -c release --product streamsmote >/dev/null
daemon=$(swift build -c release --show-bin-path)/streamsmote
work=$(mktemp -d)
cc -O2 -o "$work/js_relay" Benchmarks/baselines/js_relay.c $(pkg-config --cflags --libs libnats)
tool="$work/js_relay"
read -r port monitor < <(python3 -c 'import socket
s, t = socket.socket(), socket.socket()
s.bind(("127.0.0.1", 0)); t.bind(("127.0.0.1", 0))
print(s.getsockname()[1], t.getsockname()[1])')
nats-server -js -sd "$work/store" -a 127.0.0.1 -p "$port" -m "$monitor" -l "$work/server.log" &
server=$!
system=
cleanup() {
  [ -n "$system" ] && kill "$system" 2>/dev/null && wait "$system" 2>/dev/null
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
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

# start NAME IN OUT PREFIX: starts the system under test in the background ($system).
start() {
  case "$1" in
    relay) "$tool" relay "$url" "$2" "$3" "$4" & ;;
    daemon) "$daemon" run --sub "$url/$2?consumer=d" --pub "$url/$3?prefix=$4" --forward-real --minority fraud \
              --ratio 0.5 --window-events 20000 --log-level warning & ;;
    daemon-kv) "$daemon" run --sub "$url/$2?consumer=d" --pub "$url/$3?prefix=$4" --forward-real --minority fraud \
              --ratio 0.5 --window-events 20000 --log-level warning --state "$url/STATE?key=$4" & ;;
  esac
  system=$!
}
stop() { kill "$system"; wait "$system" || true; system=; }

declare -A rates p50 p99
for name in relay daemon daemon-kv; do
  tag=${name//-/_}
  # Burst.
  "$tool" pub "$url" "BIN_$tag" "bin$tag.x" "$count" 0 >/dev/null
  start "$name" "BIN_$tag" "BOUT_$tag" "b$tag"
  line=$("$tool" sub "$url" "BOUT_$tag" "b$tag.real.>" "$count") || { echo "$name burst: $line"; exit 1; }
  stop
  echo "$name burst:  $line"
  rates[$name]=$(echo "$line" | sed -E 's/.*; ([0-9]+) events\/s.*/\1/')
  # Paced.
  "$tool" pub "$url" "PIN_$tag" "pin$tag.x" 0 0 >/dev/null
  start "$name" "PIN_$tag" "POUT_$tag" "p$tag"
  "$tool" sub "$url" "POUT_$tag" "p$tag.real.>" "$latency_count" > "$work/sub.out" &
  subscriber=$!
  "$tool" pub "$url" "PIN_$tag" "pin$tag.x" "$latency_count" "$rate" >/dev/null
  wait "$subscriber" || { echo "$name paced: $(cat "$work/sub.out")"; exit 1; }
  stop
  line=$(cat "$work/sub.out")
  echo "$name paced at $rate/s: $line"
  p50[$name]=$(echo "$line" | sed -E 's/.*p50 ([0-9.]+) ms.*/\1/')
  p99[$name]=$(echo "$line" | sed -E 's/.*p99 ([0-9.]+) ms.*/\1/')
done
for name in daemon daemon-kv; do
  python3 -c "print(f'$name / relay: events/s {${rates[$name]}/${rates[relay]}:.2f}, p50 latency {${p50[$name]}/${p50[relay]}:.2f}x, p99 latency {${p99[$name]}/${p99[relay]}:.2f}x')"
done

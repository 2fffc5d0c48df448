"""Soak: the daemon at a sustained rate for a fixed time, on loopback, with the built-in
generator feeding it and a subscriber draining its output.

Samples the daemon's resident memory and metrics every 10 s and ends with a table and a
verdict: resident memory flat after warm-up, no valid event rejected, no message lost,
every event sent received. Bounded in time (--seconds) and rate (--rate).

Usage: scripts/soak.py [--seconds 600] [--rate 20000] [--binary .build/release/streamsmote] [--checked]

--checked builds the daemon with STREAMSMOTE_INTERNAL_CHECKS (every engine structure checks
its invariants, by brute force, after each mutation) into .build-checked-release and soaks
that binary: use a low rate and a small window (say --rate 200 --window-events 2000), since
each check costs O(n^2 d).
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import zmq

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--seconds", type=float, default=600)
parser.add_argument("--rate", type=float, default=20000)
parser.add_argument("--warmup", type=float, default=60, help="seconds before memory counts as settled")
parser.add_argument("--binary", default=".build/release/streamsmote")
parser.add_argument("--window-events", type=int, default=100000)
parser.add_argument("--checked", action="store_true",
                    help="build and soak a release binary with STREAMSMOTE_INTERNAL_CHECKS")
args = parser.parse_args()
if args.checked:
    scratch = ".build-checked-release"
    env = dict(os.environ, STREAMSMOTE_INTERNAL_CHECKS="1")
    subprocess.run(["swift", "build", "-c", "release", "--product", "streamsmote", "--scratch-path", scratch],
                   check=True, env=env)
    args.binary = os.path.join(scratch, "release", "streamsmote")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metrics(address):
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as answer:
        values = {}
        for line in answer.read().decode().splitlines():
            if line and not line.startswith("#"):
                series, _, value = line.rpartition(" ")
                values[series] = float(value)
        return values


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


inp, out, met = free_port(), free_port(), free_port()
count = int(args.rate * args.seconds)
state = tempfile.mkdtemp(prefix="streamsmote-soak-")
daemon = subprocess.Popen(
    [args.binary, "run", "--sub", f"tcp://127.0.0.1:{inp}", "--pub", f"tcp://127.0.0.1:{out}", "--forward-real",
     "--minority", "fraud", "--ratio", "0.2", "--window-events", str(args.window_events), "--reservoir", "2000",
     "--metrics", f"127.0.0.1:{met}", "--state", state, "--snapshot-interval", "10", "--log-level", "warning"])
ctx = zmq.Context()
sub = ctx.socket(zmq.SUB)
sub.setsockopt(zmq.SUBSCRIBE, b"")
sub.setsockopt(zmq.RCVHWM, 0)
sub.connect(f"tcp://127.0.0.1:{out}")
received = {"real": 0, "synthetic": 0}
stop = threading.Event()


def drain():
    sub.setsockopt(zmq.RCVTIMEO, 200)
    while not stop.is_set():
        try:
            topic, _ = sub.recv_multipart()
        except zmq.Again:
            continue
        received["real" if topic.startswith(b"real.") else "synthetic"] += 1


drainer = threading.Thread(target=drain)
drainer.start()
time.sleep(1)
replay = subprocess.Popen(
    [args.binary, "replay", "--generate", "--pub", f"tcp://127.0.0.1:{inp}", "--rate", str(args.rate),
     "--count", str(count), "--warmup", "2", "--quiet", "--features", "16", "--seed", "5"],
    stdout=subprocess.PIPE, text=True)

samples = []
start = time.monotonic()
print(f"soak: {count} events at {args.rate:.0f}/s for {args.seconds:.0f} s; daemon pid {daemon.pid}", flush=True)
print(f"{'t (s)':>6} {'RSS MiB':>8} {'received':>10} {'rejected':>9} {'lost':>5} {'real out':>9} {'synthetic':>10} {'window':>7}")
while replay.poll() is None and time.monotonic() - start < args.seconds + 120:
    time.sleep(10)
    m = metrics(f"127.0.0.1:{met}")
    row = (time.monotonic() - start, rss_mib(daemon.pid),
           sum(v for k, v in m.items() if k.startswith("streamsmote_events_received_total")),
           sum(v for k, v in m.items() if k.startswith("streamsmote_events_rejected_total")),
           m.get("streamsmote_messages_lost_total", 0), received["real"], received["synthetic"],
           m.get("streamsmote_window_events", 0))
    samples.append(row)
    print(f"{row[0]:6.0f} {row[1]:8.1f} {row[2]:10.0f} {row[3]:9.0f} {row[4]:5.0f} {row[5]:9d} {row[6]:10d} {row[7]:7.0f}", flush=True)
summary = replay.communicate(timeout=120)[0].strip()
time.sleep(3)
final = metrics(f"127.0.0.1:{met}")
daemon.send_signal(signal.SIGTERM)
daemon.wait(timeout=30)
stop.set()
drainer.join()
sub.close(0)
ctx.term()

settled = [s[1] for s in samples if s[0] >= args.warmup]
in_total = sum(v for k, v in final.items() if k.startswith("streamsmote_events_received_total"))
rejected = sum(v for k, v in final.items() if k.startswith("streamsmote_events_rejected_total"))
lost = final.get("streamsmote_messages_lost_total", 0)
print(f"replay: {summary}")
print(f"events sent {count}, received by the daemon {in_total:.0f}, real events out {received['real']}, "
      f"synthetic out {received['synthetic']}")
print(f"rejected {rejected:.0f}, lost {lost:.0f}, daemon exit {daemon.returncode}")
# Resident memory moves in a sawtooth (allocator arenas, socket buffers); "flat" means no
# upward trend: the peak of the last third of the settled samples is not above the peak of
# the first third by more than 10 % + 1 MiB.
flat = False
if len(settled) >= 3:
    third = len(settled) // 3
    early, late = max(settled[:third]), max(settled[-third:])
    flat = late <= early * 1.10 + 1
    print(f"resident memory after warm-up: min {min(settled):.1f} MiB, max {max(settled):.1f} MiB; "
          f"peak of the first third {early:.1f} MiB, of the last third {late:.1f} MiB -> {'flat' if flat else 'GROWING'}")
ok = (in_total == count and rejected == 0 and lost == 0 and daemon.returncode == 0
      and received["real"] == count and flat)
print("soak: PASS" if ok else "soak: FAIL")
sys.exit(0 if ok else 1)

"""kill -9 mid-stream, restart with the same --state: the window comes back as the last
snapshot had it, and processing continues (synthetic samples are seeded by events from
before the crash). Drives the real binary over loopback. Usage: state_recovery.py BINARY
"""
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _daemon_support import (collect_reals, connect_pair, free_port, make_feed, metrics,  # noqa: E402
                             start_daemon, wait_for)

BINARY = sys.argv[1] if len(sys.argv) > 1 else "streamsmote"
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def state_show(directory):
    result = subprocess.run([BINARY, "state", "show", directory], capture_output=True, text=True)
    return json.loads(result.stdout) if result.returncode == 0 else None


window = 1500
state = tempfile.mkdtemp(prefix="streamsmote-state-")
inp, out, met = free_port(), free_port(), free_port()
args = ["--forward-real", "--minority", "fraud", "--ratio", "0.5", "--window-events", str(window),
        "--reservoir", "200", "--state", state, "--snapshot-interval", "0.2", "--metrics", f"127.0.0.1:{met}",
        "--seed", "3"]
ctx = zmq.Context()
first = start_daemon(BINARY, inp, out, args)
before = make_feed(2500, seed=12, prefix="before")
pub, sub = connect_pair(ctx, inp, out)
for event in before:
    pub.send_multipart([b"tx", json.dumps(event).encode()])
reals, _ = collect_reals(sub, len(before))
check(len(reals) == len(before), f"first run forwarded {len(reals)}/{len(before)} events")

expected_classes = collections.Counter(e["label"] for e in before[-window:])
saved = wait_for(lambda: (s := state_show(state)) and s["window"] == window
                 and s["classes"] == dict(expected_classes) and s, timeout=10)
check(saved is not None, f"a snapshot holds the final window {dict(expected_classes)}")
pub.close(0)
sub.close(0)
first.send_signal(signal.SIGKILL)
first.wait(timeout=10)
check(first.returncode == -signal.SIGKILL, "the first daemon was killed with SIGKILL")

second = start_daemon(BINARY, inp, out, args)
ready = wait_for(lambda: metrics(f"127.0.0.1:{met}").get("streamsmote_window_events") == window, timeout=15)
values = metrics(f"127.0.0.1:{met}") if ready else {}
for label, count in expected_classes.items():
    got = values.get(f'streamsmote_window_class_events{{class="{label}"}}')
    check(got == count, f"restored window holds {count} {label} events (metrics: {got})")
fraud_reservoir = (saved or {}).get("reservoirs", {}).get("fraud", [])
got = values.get('streamsmote_reservoir_samples{class="fraud"}')
check(got == len(fraud_reservoir) and got > 0, f"restored fraud reservoir has {len(fraud_reservoir)} samples (metrics: {got})")
check(state_show(state) == saved, "the snapshot on disk is still the last one written before the kill")

after = make_feed(600, seed=13, prefix="after")
pub, sub = connect_pair(ctx, inp, out)
for event in after:
    pub.send_multipart([b"tx", json.dumps(event).encode()])
reals, synthetic = collect_reals(sub, len(after))
check(reals == [e["id"] for e in after], f"after restart every new event is forwarded ({len(reals)}/{len(after)})")
old_ids = set(fraud_reservoir)
seeded_by_old = sum(1 for e in synthetic if e["origin"]["seed"] in old_ids or e["origin"]["neighbor"] in old_ids)
check(seeded_by_old > 0, f"{seeded_by_old} of {len(synthetic)} synthetic samples use restored reservoir members")
pub.close(0)
sub.close(0)
second.send_signal(signal.SIGTERM)
try:
    second.wait(timeout=15)
except subprocess.TimeoutExpired:
    second.kill()
check(second.returncode == 0, f"the restarted daemon exits 0 on SIGTERM (got {second.returncode})")
ctx.term()
print(f"state recovery: {len(failures)} failures")
sys.exit(1 if failures else 0)

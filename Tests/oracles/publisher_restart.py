"""A publisher killed with SIGKILL mid-stream and restarted, against the real daemon.

What reached the daemon is forwarded, in order; what never left the dead process shows up
as a `seq` gap when the restarted publisher continues its numbering. So every event the
first publisher numbered is either forwarded or counted in streamsmote_messages_lost_total:
forwarded + lost == the first seq of the second publisher - 1. No sleep makes delivery
work: each publisher is an XPUB that waits for the daemon's subscription, and the test's
subscriber waits until the daemon has registered it.

Usage: publisher_restart.py BINARY
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _daemon_support import free_port, metrics, wait_for  # noqa: E402

BINARY = sys.argv[1] if len(sys.argv) > 1 else "streamsmote"
failures = []

# A publisher process: binds, waits for one subscription, sends `count` events numbered from
# `first` as fast as it can (every 50th a fraud), then closes with an unbounded LINGER.
PUBLISHER = textwrap.dedent("""
    import sys, zmq
    endpoint, prefix, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ctx = zmq.Context()
    pub = ctx.socket(zmq.XPUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    pub.setsockopt(zmq.LINGER, -1)
    pub.bind(endpoint)
    while pub.recv()[0] != 1:
        pass
    print("subscribed", flush=True)
    for seq in range(first, first + count):
        label = b"fraud" if seq % 50 == 0 else b"legit"
        f = (seq % 97) / 97.0 + (3.0 if label == b"fraud" else 0.0)
        payload = b'{"id":"%s-%d","seq":%d,"label":"%s","features":[%.4f,%.4f,%.4f,%.4f]}' % (
            prefix.encode(), seq, seq, label, f, -f, f * 0.5, 1.0 - f)
        pub.send_multipart([b"tx", payload])
    pub.close()
    ctx.term()
    print("done", flush=True)
""")


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def main():
    port, out, metrics_port = free_port(), free_port(), free_port()
    endpoint = f"tcp://127.0.0.1:{port}"
    address = f"127.0.0.1:{metrics_port}"
    daemon = subprocess.Popen(
        [BINARY, "run", "--sub", endpoint, "--pub", f"tcp://127.0.0.1:{out}", "--forward-real",
         "--minority", "fraud", "--ratio", "0.2", "--metrics", address, "--log-level", "warning"],
        stderr=subprocess.PIPE, text=True)
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"real.")
    sub.connect(f"tcp://127.0.0.1:{out}")
    registered = wait_for(lambda: metrics(address).get("streamsmote_output_subscriptions", 0) >= 1, 30)
    check(bool(registered), "the daemon registered the test's subscription")

    ceiling = 10_000_000  # the first publisher would number 1 … ceiling
    first = subprocess.Popen([sys.executable, "-c", PUBLISHER, endpoint, "p1", "1", str(ceiling)], stdout=subprocess.PIPE, text=True)
    check(first.stdout.readline().strip() == "subscribed", "the first publisher saw the daemon subscribe")
    forwarded = []  # seq of p1 events, in arrival order
    sub.setsockopt(zmq.RCVTIMEO, 10_000)
    while len(forwarded) < 30_000:
        _, payload = sub.recv_multipart()
        forwarded.append(json.loads(payload)["seq"])
    first.send_signal(signal.SIGKILL)
    first.wait()

    restart = ceiling + 1
    second = subprocess.Popen([sys.executable, "-c", PUBLISHER, endpoint, "p2", str(restart), "10000"], stdout=subprocess.PIPE, text=True)
    second_ids = []
    sub.setsockopt(zmq.RCVTIMEO, 30_000)
    try:
        while len(second_ids) < 10_000:
            _, payload = sub.recv_multipart()
            event = json.loads(payload)
            if event["id"].startswith("p1-"):
                forwarded.append(event["seq"])
            else:
                second_ids.append(event["seq"])
    except zmq.Again:
        pass
    second.wait(timeout=60)
    check(len(second_ids) == 10_000 and second_ids == list(range(restart, restart + 10_000)),
          f"the restarted publisher's 10 000 events all arrived, in order ({len(second_ids)})")
    check(forwarded == list(range(1, len(forwarded) + 1)),
          f"what reached the daemon from the killed publisher was forwarded in order, without holes ({len(forwarded)} events)")
    lost = wait_for(lambda: metrics(address).get("streamsmote_messages_lost_total") if metrics(address).get(
        "streamsmote_messages_lost_total", 0) > 0 else None, 10)
    check(lost is not None and len(forwarded) + lost == ceiling,
          f"forwarded {len(forwarded)} + counted lost {lost} = {None if lost is None else len(forwarded) + lost} "
          f"(every event the killed publisher numbered, {ceiling})")
    values = metrics(address)
    check(values.get("streamsmote_sequence_resets_total") == 0, "a publisher that continues its numbering is no reset")

    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=30)
    check(daemon.returncode == 0, f"the daemon stopped cleanly (exit {daemon.returncode})")
    sub.close(0)
    ctx.term()
    print(f"publisher restart: {len(failures)} failures")
    sys.exit(1 if failures else 0)


main()

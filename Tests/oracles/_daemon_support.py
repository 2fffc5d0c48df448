"""Shared helpers of the oracles that drive a real `streamsmote run` process over loopback."""
import json
import random
import socket
import subprocess
import time
import urllib.request

import zmq


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_feed(count, seed, prefix="py"):
    """A fraud-like stream: 10% minority in two clusters, 4 features, seq numbers."""
    rng = random.Random(seed)
    events = []
    for i in range(count):
        minority = rng.random() < 0.1
        centre = (3.0 if rng.random() < 0.5 else -3.0) if minority else 0.0
        events.append({"id": f"{prefix}-{i}", "seq": i + 1, "label": "fraud" if minority else "legit",
                       "features": [centre + rng.uniform(-1, 1) for _ in range(4)]})
    return events


def start_daemon(binary, inp, out, extra, log=None):
    return subprocess.Popen(
        [binary, "run", "--sub-bind", f"tcp://127.0.0.1:{inp}", "--pub", f"tcp://127.0.0.1:{out}", *extra],
        stdout=log or subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def connect_pair(ctx, inp, out, timeout=15):
    """An output SUB with a completed handshake, and an input XPUB that saw the daemon subscribe."""
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.setsockopt(zmq.RCVHWM, 0)
    monitor = sub.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
    deadline = time.monotonic() + timeout
    sub.connect(f"tcp://127.0.0.1:{out}")
    monitor.setsockopt(zmq.RCVTIMEO, timeout * 1000)
    monitor.recv_multipart()
    sub.disable_monitor()
    time.sleep(0.1)
    pub = ctx.socket(zmq.XPUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    pub.connect(f"tcp://127.0.0.1:{inp}")
    pub.setsockopt(zmq.RCVTIMEO, max(1, int((deadline - time.monotonic()) * 1000)))
    pub.recv()  # the daemon's subscription
    return pub, sub


def collect_reals(sub, expected, quiet_ms=5000):
    """Receives until `expected` real events arrived; returns (real ids, synthetic events)."""
    reals, synthetic = [], []
    sub.setsockopt(zmq.RCVTIMEO, quiet_ms)
    while len(reals) < expected:
        try:
            topic, payload = sub.recv_multipart()
        except zmq.Again:
            break
        event = json.loads(payload)
        (reals if topic.startswith(b"real.") else synthetic).append(event["id"] if topic.startswith(b"real.") else event)
    return reals, synthetic


def metrics(address):
    """The Prometheus exposition as {series: value}."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            values[series] = float(value)
    return values


def wait_for(predicate, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception:  # noqa: BLE001 - the thing waited for may not answer yet
            pass
        time.sleep(interval)
    return None

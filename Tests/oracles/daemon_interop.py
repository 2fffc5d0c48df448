"""Python (pyzmq) publishers and subscribers against the real `streamsmote run` process.

Checks, for JSON and for protobuf:
- every real event comes back once, in order, on real.<label> (--forward-real);
- every synthetic sample names real minority ids that were in the window, lies on the
  segment between them, and what the trainer sees over the last window, (real + synthetic
  fraud emitted) ÷ legit, reaches --ratio (--balance stream, the default);
- SIGTERM while a publisher floods the daemon ends it with exit status 0, promptly.
Exits 1 on any failure. Usage: daemon_interop.py PATH/TO/streamsmote
"""
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import zmq

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "examples"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import streamsmote_pb2  # noqa: E402
from _daemon_support import connect_pair, free_port, make_feed, start_daemon  # noqa: E402

BINARY = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("STREAMSMOTE_BIN", "streamsmote")
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def encode(event, codec):
    if codec == "json":
        return json.dumps(event).encode()
    message = streamsmote_pb2.Event(id=event["id"], seq=event["seq"], label=event["label"], features=event["features"])
    return message.SerializeToString()


def decode(payload, codec):
    if codec == "json":
        return json.loads(payload)
    message = streamsmote_pb2.Event()
    message.ParseFromString(payload)
    event = {"id": message.id, "label": message.label, "features": list(message.features),
             "synthetic": message.synthetic}
    if message.HasField("origin"):
        event["origin"] = {"seed": message.origin.seed, "neighbor": message.origin.neighbor, "gap": message.origin.gap}
    return event


def start(extra):
    inp, out = free_port(), free_port()
    return start_daemon(BINARY, inp, out, extra), inp, out


def round_trip(codec):
    window, ratio = 500, 0.5
    process, inp, out = start(["--codec", codec, "--forward-real", "--ratio", str(ratio),
                                      "--window-events", str(window), "--minority", "fraud", "--seed", "4"])
    ctx = zmq.Context()
    try:
        pub, sub = connect_pair(ctx, inp, out)
        events = make_feed(2000, seed=8)
        for event in events:
            pub.send_multipart([b"tx", encode(event, codec)])
        reals, synthetic = [], []
        sub.setsockopt(zmq.RCVTIMEO, 5000)
        while len(reals) < len(events):
            try:
                topic, payload = sub.recv_multipart()
            except zmq.Again:
                break
            event = decode(payload, codec)
            if topic.startswith(b"real."):
                reals.append(event["id"])
            else:
                synthetic.append((len(reals) - 1, topic.decode(), event))
        check(reals == [e["id"] for e in events], f"{codec}: every real event once, in order ({len(reals)}/{len(events)})")
        position = {e["id"]: i for i, e in enumerate(events)}
        ok_provenance = ok_segment = True
        for now, topic, event in synthetic:
            origin = event.get("origin") or {}
            seed, neighbor = origin.get("seed"), origin.get("neighbor")
            if topic != "synthetic.fraud" or not event.get("synthetic"):
                ok_provenance = False
                continue
            for ident in (seed, neighbor):
                at = position.get(ident)
                if at is None or events[at]["label"] != "fraud" or not (now - window < at <= now):
                    ok_provenance = False
            if ok_provenance:
                s, n, gap = events[position[seed]]["features"], events[position[neighbor]]["features"], origin["gap"]
                expected = [a + gap * (b - a) for a, b in zip(s, n)]
                if max(abs(x - y) for x, y in zip(expected, event["features"])) > 1e-3:
                    ok_segment = False
        check(len(synthetic) > 0, f"{codec}: synthetic samples were published ({len(synthetic)})")
        check(ok_provenance, f"{codec}: provenance names fraud events inside the window")
        check(ok_segment, f"{codec}: each sample lies on its seed-neighbour segment")
        last = events[-window:]
        in_window = {e["id"] for e in last}
        legit = sum(e["label"] == "legit" for e in last)
        fraud = sum(e["label"] == "fraud" for e in last)
        emitted = sum(1 for now, _, _ in synthetic if now >= len(events) - window)
        measured = (fraud + emitted) / legit
        check(abs(measured - ratio) < 0.1 * ratio,
              f"{codec}: emitted ratio over the last window {measured:.3f} ≈ {ratio} ± 10 % (real only: {fraud / legit:.3f})")
        pub.close(0)
        sub.close(0)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        ctx.term()
    check(process.returncode == 0, f"{codec}: daemon exited 0 after SIGTERM (got {process.returncode})")


def sigterm_under_load():
    process, inp, out = start(["--forward-real", "--ratio", "1", "--window-events", "5000"])
    ctx = zmq.Context()
    stop = threading.Event()
    sent = [0]
    pub, sub = connect_pair(ctx, inp, out)

    def flood():
        events = make_feed(5000, seed=1)
        payloads = [json.dumps(e).encode() for e in events]
        deadline = time.monotonic() + 20  # bounded in time as well as by the stop flag
        while not stop.is_set() and time.monotonic() < deadline:
            for p in payloads:
                pub.send_multipart([b"tx", p])
            sent[0] += len(payloads)

    def drain():
        sub.setsockopt(zmq.RCVTIMEO, 200)
        while not stop.is_set():
            try:
                sub.recv_multipart()
            except zmq.Again:
                pass

    threads = [threading.Thread(target=flood), threading.Thread(target=drain)]
    for t in threads:
        t.start()
    time.sleep(2)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
        took = time.monotonic() - started
    except subprocess.TimeoutExpired:
        process.kill()
        took = None
    stop.set()
    for t in threads:
        t.join()
    pub.close(0)
    sub.close(0)
    ctx.term()
    log = process.stdout.read()
    check(took is not None and process.returncode == 0,
          f"SIGTERM under load ({sent[0]} events sent): exit {process.returncode} after {took if took is None else round(took, 2)} s")
    check("stopped" in log, "the daemon logged its clean stop")


round_trip("json")
round_trip("protobuf")
sigterm_under_load()
print(f"daemon interop: {len(failures)} failures")
sys.exit(1 if failures else 0)

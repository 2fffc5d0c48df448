"""The Python examples under examples/ run end to end against the real `streamsmote run`.

For JSON and for protobuf: starts the daemon on free loopback ports, starts
examples/trainer.py on its output, publishes a short stream with examples/publish_stream.py,
and checks that the trainer exits 0, prints its table (parsed: both models, metrics in [0, 1],
synthetic samples learned) and writes a PNG. Meanwhile a Feed in this script captures the
merged feed to a JSON-lines file in `streamsmote tap --output` format, and
examples/plot_samples.py plots it (--input, JSON pass) or reads the feed live (--sub,
protobuf pass); its PNG is checked too. Exits 1 on any failure.

The examples and this script use the `streamsmote` package from this checkout
(clients/python/src, through PYTHONPATH), not an installed copy.
Usage: examples_run.py PATH/TO/streamsmote
"""
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PACKAGE = ROOT / "clients" / "python" / "src"
sys.path.insert(0, str(PACKAGE))
from streamsmote import Feed, Publisher  # noqa: E402

BINARY = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("STREAMSMOTE_BIN", "streamsmote")
PY = sys.executable
REAL_EVENTS = 4000
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_png(path):
    try:
        data = pathlib.Path(path).read_bytes()
    except OSError:
        return False
    return len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"


def stop(process, timeout=10):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Lines:
    """Collects a child's stdout lines on a thread; lets the caller wait for one."""

    def __init__(self, process):
        self.lines, self.cond = [], threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for line in stream:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait_for(self, needle, timeout):
        with self.cond:
            return self.cond.wait_for(lambda: any(needle in l for l in self.lines), timeout)

    def text(self):
        self.thread.join(timeout=5)
        return "\n".join(self.lines)


def as_event(sample):
    """A sample as `streamsmote tap --output` writes its event."""
    event = {"id": sample.id, "label": sample.label, "features": sample.features}
    if sample.synthetic:
        event["synthetic"] = True
        event["origin"] = sample.origin._asdict()
    return event


def open_path(publisher, feed, timeout=20.0):
    """Returns once what the daemon publishes from now on reaches `feed`: sends probe events
    (majority class) into the daemon until the feed received one, then an end marker, and
    reads the feed up to the marker. The other subscribers (trainer, plot_samples) had
    subscribed before the probes started, so their subscriptions were in place first."""
    if not publisher.wait_for_subscribers(1, timeout):
        return False
    deadline = time.monotonic() + timeout
    n = 0
    while time.monotonic() < deadline:
        n += 1
        publisher.send(id=f"probe-{n}", label="legit", features=[0.0] * 6)
        sample = feed.recv(timeout=0.05)  # bounded wait for delivery; a lost probe is followed by the next
        if sample is not None and sample.id.startswith("probe-"):
            break
    else:
        return False
    publisher.send(id="probe-end", label="legit", features=[0.0] * 6)
    while True:
        sample = feed.recv(timeout=max(0.0, deadline - time.monotonic()))
        if sample is None:
            return False
        if sample.id == "probe-end":
            return True


def parse_table(text):
    """The last table the trainer printed: {model name: 8 floats}, and its header counts."""
    rows = {}
    for name in ("real only", "real + synthetic"):
        found = re.findall(rf"^{re.escape(name)}\s+((?:[-\d.]+\s+){{6}}[-\d.]+\s+[-\d.]+\s+[-\d.]+\s+[-\d.]+)\s*$",
                           text, re.M)
        if found:
            values = found[-1].split()
            rows[name] = [float(v) for v in values[:4] + values[6:]]
    header = re.findall(r"^trainer: (\d+) real events \((\d+) fraud\), (\d+) synthetic learned", text, re.M)
    return rows, (tuple(int(v) for v in header[-1]) if header else None)


def run_pass(codec, tmp):
    inp, out = free_port(), free_port()
    daemon_log = (tmp / f"daemon-{codec}.log").open("w")
    daemon = subprocess.Popen(
        [BINARY, "run", "--sub-bind", f"tcp://127.0.0.1:{inp}", "--pub", f"tcp://127.0.0.1:{out}",
         "--codec", codec, "--forward-real", "--minority", "fraud", "--ratio", "0.5",
         "--window-events", "2000", "--seed", "3"],
        stdout=daemon_log, stderr=subprocess.STDOUT)
    processes = [daemon]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PACKAGE), os.environ.get("PYTHONPATH")])))
    capture = probes = None
    capture_file = tmp / f"capture-{codec}.jsonl"
    trainer_png, samples_png = tmp / f"trainer-{codec}.png", tmp / f"samples-{codec}.png"
    try:
        trainer = subprocess.Popen(
            [PY, str(EXAMPLES / "trainer.py"), "--sub", f"tcp://127.0.0.1:{out}", "--codec", codec,
             "--minority", "fraud", "--max-events", str(REAL_EVENTS), "--duration", "150",
             "--idle-timeout", "8", "--window", "1000", "--report-every", "2000", "--plot", str(trainer_png)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp, env=env)
        processes.append(trainer)
        trainer_out = Lines(trainer)

        live_plot = None
        if codec == "protobuf":  # plot_samples.py reading the feed live
            live_plot = subprocess.Popen(
                [PY, str(EXAMPLES / "plot_samples.py"), "--sub", f"tcp://127.0.0.1:{out}", "--codec", codec,
                 "--count", "3000", "--duration", "30", "--segments", "--output", str(samples_png)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp, env=env)
            processes.append(live_plot)
            live_out = Lines(live_plot)

        check(trainer_out.wait_for("trainer: subscribed", 20), f"{codec}: trainer subscribed to the daemon")
        if live_plot is not None:
            check(live_out.wait_for("plot_samples: subscribed", 20), f"{codec}: plot_samples --sub subscribed")
        # This script's own capture of the merged feed, and a path proven live before publishing.
        capture = Feed(f"tcp://127.0.0.1:{out}", codec=codec, hwm=0)
        probes = Publisher(f"tcp://127.0.0.1:{inp}", codec=codec, bind=False, topic="probe")
        check(open_path(probes, capture), f"{codec}: probes went through the daemon to the capture Feed")

        publisher = subprocess.run(
            [PY, str(EXAMPLES / "publish_stream.py"), "--connect", f"tcp://127.0.0.1:{inp}", "--codec", codec,
             "--count", str(REAL_EVENTS), "--rate", "0", "--minority-share", "0.05", "--seed", "11",
             "--wait-timeout", "15", "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30, env=env)
        check(publisher.returncode == 0, f"{codec}: publish_stream.py exit 0 ({publisher.stdout.strip()})")

        captured = []
        reals = 0
        while reals < REAL_EVENTS:
            sample = capture.recv(timeout=3)
            if sample is None:
                break
            reals += not sample.synthetic
            captured.append({"topic": sample.topic, "event": as_event(sample)})
        check(reals == REAL_EVENTS, f"{codec}: capture got every real event ({reals}/{REAL_EVENTS}), "
              f"{len(captured) - reals} synthetic")
        with capture_file.open("w") as f:
            for record in captured[:3000]:
                f.write(json.dumps(record) + "\n")

        try:
            # The models learn one sample at a time: on a loaded 2-core machine 4 000 events
            # took the trainer over 40 s (it stopped on --duration at 2 000), so the bound is wide.
            trainer.wait(timeout=160)
        except subprocess.TimeoutExpired:
            pass
        text = trainer_out.text()
        if not check(trainer.returncode == 0, f"{codec}: trainer exit 0 (got {trainer.returncode})"):
            print(text)
        check("stopped (--max-events" in text, f"{codec}: trainer stopped on --max-events")
        rows, header = parse_table(text)
        check(set(rows) == {"real only", "real + synthetic"}
              and all(0.0 <= v <= 1.0 for r in rows.values() for v in r),
              f"{codec}: trainer table has both models with metrics in [0, 1]")
        check(header is not None and header[0] == REAL_EVENTS and header[1] > 0 and header[2] > 0,
              f"{codec}: trainer counted {header} (real, fraud, synthetic learned)")
        if len(rows) == 2:
            a, b = rows["real only"], rows["real + synthetic"]
            print(f"     {codec}: recall {a[0]:.3f} -> {b[0]:.3f}, G-mean {a[3]:.3f} -> {b[3]:.3f} (information)")
        check(is_png(trainer_png), f"{codec}: trainer wrote a PNG ({trainer_png.name})")

        if live_plot is None:
            result = subprocess.run(
                [PY, str(EXAMPLES / "plot_samples.py"), "--input", str(capture_file), "--pca", "--segments",
                 "--output", str(samples_png)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                timeout=30, cwd=tmp, env=env)
            check(result.returncode == 0, f"{codec}: plot_samples.py --input exit 0 ({result.stdout.strip()})")
        else:
            try:
                live_plot.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            check(live_plot.returncode == 0, f"{codec}: plot_samples.py --sub exit 0 ({live_out.text().strip()})")
        check(is_png(samples_png), f"{codec}: plot_samples wrote a PNG ({samples_png.name})")
    finally:
        for closable in (capture, probes):
            if closable is not None:
                closable.close()
        for process in reversed(processes):
            stop(process)
        daemon_log.close()
    if not check(daemon.returncode == 0, f"{codec}: daemon exited 0 after SIGTERM (got {daemon.returncode})"):
        print((tmp / f"daemon-{codec}.log").read_text()[-3000:])


started = time.monotonic()
with tempfile.TemporaryDirectory(prefix="streamsmote-examples-") as tmp:
    for codec in ("json", "protobuf"):
        run_pass(codec, pathlib.Path(tmp))
    keep = os.environ.get("STREAMSMOTE_EXAMPLES_KEEP")
    if keep:  # for a look at the PNGs
        import shutil
        shutil.copytree(tmp, keep, dirs_exist_ok=True)
print(f"examples run: {len(failures)} failures in {time.monotonic() - started:.1f} s")
sys.exit(1 if failures else 0)

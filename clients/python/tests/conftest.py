"""Fixtures: the real `streamsmote` daemon on loopback, and a way to know its path is live.

The daemon's binary comes from $STREAMSMOTE_BIN (CI: Tests/oracles/python_client.py sets it),
else `streamsmote` on PATH. Without one, the daemon tests are skipped, unless
$STREAMSMOTE_REQUIRE_BIN=1, which makes them fail instead (CI sets it).
"""
import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

START_TIMEOUT = 30.0


def _binary():
    path = os.environ.get("STREAMSMOTE_BIN") or shutil.which("streamsmote")
    if path and os.access(path, os.X_OK):
        return path
    if os.environ.get("STREAMSMOTE_REQUIRE_BIN") == "1":
        pytest.fail(f"STREAMSMOTE_BIN={os.environ.get('STREAMSMOTE_BIN')!r} is not an executable streamsmote")
    pytest.skip("no streamsmote binary: set STREAMSMOTE_BIN")


class Daemon:
    """`streamsmote run` as a child process, its standard error read by a thread.

    Ports given as 0 are picked by the daemon and read back from its log lines
    ("output bound", "input bound", "metrics serving"); `restart()` reuses them.
    """

    def __init__(self, binary, args):
        self.binary, self.args = binary, list(args)
        self.process = None
        self.lines = []
        self.cond = threading.Condition()
        self.pub = self.sub_bind = self.metrics = None

    def start(self):
        with self.cond:
            self.lines = []
        self.process = subprocess.Popen([self.binary, "run", *self.args], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        self.pub = self._bound(r"output\.endpoint=(\S+) .*output bound")
        if "--sub-bind" in self.args:
            self.sub_bind = self._bound(r"input\.endpoint=(\S+) .*input bound")
        if "--metrics" in self.args:
            self.metrics = self._bound(r"metrics\.address=(\S+) .*metrics serving")
        return self

    def _read(self, process):
        for line in process.stderr:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def _bound(self, pattern):
        regex = re.compile(pattern)

        def found():
            for line in self.lines:
                match = regex.search(line)
                if match:
                    return match.group(1)
            return None

        with self.cond:
            self.cond.wait_for(lambda: found() or self.process.poll() is not None, START_TIMEOUT)
            value = found()
        if not value:
            raise AssertionError(f"daemon did not log /{pattern}/ (exit {self.process.poll()}):\n" + self.log())
        return value

    def log(self):
        with self.cond:
            return "\n".join(self.lines[-60:])

    def stop(self, timeout=30):
        """SIGTERM, and the exit status (the daemon exits 0 after a graceful stop)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def restart(self):
        """Stops, then starts again on the same endpoints (ports picked at the first start)."""
        assert self.stop() == 0, self.log()
        args = list(self.args)
        for flag, value in (("--pub", self.pub), ("--sub-bind", self.sub_bind), ("--metrics", self.metrics)):
            if value is not None:
                args[args.index(flag) + 1] = value
        self.args = args
        return self.start()

    def scrape(self):
        """The Prometheus exposition as {series: value}."""
        with urllib.request.urlopen(f"http://{self.metrics}/metrics", timeout=10) as answer:
            text = answer.read().decode()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                series, _, value = line.rpartition(" ")
                values[series] = float(value)
        return values

    def wait_metric(self, predicate, timeout=30):
        """Scrapes until `predicate(values)` holds (the daemon publishes its counters ten
        times a second); returns the values, or fails."""
        deadline = time.monotonic() + timeout
        while True:
            values = self.scrape()
            if predicate(values):
                return values
            assert time.monotonic() < deadline, f"metrics never satisfied the condition: {values}"
            time.sleep(0.05)


@pytest.fixture
def daemon():
    """A factory: `daemon("--sub", endpoint, ...)` starts `streamsmote run` with those
    options (`--pub tcp://127.0.0.1:0` unless given); all are stopped at the end."""
    binary = _binary()
    started = []

    def start(*args):
        args = list(args)
        if "--pub" not in args:
            args += ["--pub", "tcp://127.0.0.1:0"]
        d = Daemon(binary, args).start()
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def make_events(count, seed, prefix="ev", minority_share=0.1, dimension=4, start=0):
    """A fraud-like stream: `minority_share` of "fraud" in two clusters, "legit" around 0."""
    rng = random.Random(seed)
    events = []
    for i in range(start, start + count):
        fraud = rng.random() < minority_share
        centre = (3.0 if rng.random() < 0.5 else -3.0) if fraud else 0.0
        events.append({"id": f"{prefix}-{i}", "label": "fraud" if fraud else "legit",
                       "ts": 1_764_403_200.0 + i / 1000.0,
                       "features": [round(centre + rng.uniform(-1, 1), 4) for _ in range(dimension)]})
    return events


def open_path(publisher, feeds, timeout=30.0, dimension=4):
    """Returns once everything `publisher` sends from now on reaches every feed.

    ZeroMQ gives no signal that a subscription has taken effect at the far end (here: the
    feed's at the daemon's output), so this proves it: it sends probe events (majority
    class, ids `probe-N`) until every feed received one, then an end marker, and reads each
    feed up to the marker. One path, one order: what follows the marker is delivered after
    it. Everything the feeds received meanwhile is discarded.
    """
    feeds = list(feeds)
    assert publisher.wait_for_subscribers(1, timeout), "the daemon never subscribed to the publisher"
    deadline = time.monotonic() + timeout
    seen = [False] * len(feeds)
    n = 0
    while not all(seen):
        assert time.monotonic() < deadline, "probes never came through the daemon"
        n += 1
        publisher.send(id=f"probe-{n}", label="legit", features=[0.0] * dimension)
        for i, feed in enumerate(feeds):
            while not seen[i]:
                # Waiting for delivery, bounded: a probe lost before the subscription took
                # effect is simply followed by the next one.
                sample = feed.recv(timeout=0.05)
                if sample is None:
                    break
                seen[i] = sample.id.startswith("probe-")
    marker = f"probe-end-{n}"
    publisher.send(id=marker, label="legit", features=[0.0] * dimension)
    for feed in feeds:
        while True:
            sample = feed.recv(timeout=max(0.0, deadline - time.monotonic()))
            assert sample is not None, "the end marker never came through the daemon"
            if sample.id == marker:
                break

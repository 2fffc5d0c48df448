#!/usr/bin/env python3
"""Oracle: the engine's ADWIN against river's `river.drift.ADWIN`, detection for detection.

Usage: check_adwin.py PATH/TO/streamsmote   (or set STREAMSMOTE_BIN)

Feeds the same sequences to river's ADWIN and to `streamsmote adwin --delta D` (the engine's
detector over standard input) and compares, for each detection, the index of the value at
which it fired and the detector's window width after it. Sequences: a class's 0/1 share with
abrupt and gradual changes (what the engine feeds it), several regimes, real values with a
mean shift and with a variance change, a constant stream, at several deltas.
Exits non-zero on any difference.
"""
import itertools
import os
import random
import subprocess
import sys

from river import drift

BIN = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("STREAMSMOTE_BIN")
if not BIN:
    sys.exit("usage: check_adwin.py PATH/TO/streamsmote (or STREAMSMOTE_BIN)")


def bernoulli(rng, regimes):
    values = []
    for length, p in regimes:
        values += [1.0 if rng.random() < p else 0.0 for _ in range(length)]
    return values


def gradual(rng, length, p0, p1):
    return [1.0 if rng.random() < p0 + (p1 - p0) * i / length else 0.0 for i in range(length)]


def gaussian(rng, regimes):
    values = []
    for length, mu, sigma in regimes:
        values += [rng.gauss(mu, sigma) for _ in range(length)]
    return values


def river_detections(values, delta):
    detector = drift.ADWIN(delta=delta)
    found = []
    for i, x in enumerate(values):
        detector.update(x)
        if detector.drift_detected:
            found.append((i, int(detector.width)))
    return found


def ours(values, delta):
    text = "".join(repr(float(x)) + "\n" for x in values)
    result = subprocess.run([BIN, "adwin", "--delta", repr(delta)], input=text, capture_output=True, text=True, check=True)
    # INDEX WIDTH CHANGE: river exposes the first two.
    return [tuple(int(v) for v in line.split()[:2]) for line in result.stdout.splitlines() if line.strip()]


rng = random.Random(20241)
cases = [
    ("share 1% -> 5% (abrupt)", bernoulli(rng, [(20000, 0.01), (20000, 0.05)])),
    ("share 5% -> 0.5% (abrupt)", bernoulli(rng, [(15000, 0.05), (15000, 0.005)])),
    ("share 20% -> 60% -> 10%", bernoulli(rng, [(8000, 0.2), (8000, 0.6), (8000, 0.1)])),
    ("share 2% -> 8% (gradual)", gradual(rng, 40000, 0.02, 0.08)),
    ("share 0.5% steady", bernoulli(rng, [(50000, 0.005)])),
    ("gaussian mean shift", gaussian(rng, [(5000, 0.0, 1.0), (5000, 0.8, 1.0), (5000, -0.5, 1.0)])),
    ("gaussian variance change", gaussian(rng, [(6000, 0.0, 1.0), (6000, 0.0, 3.0)])),
    ("integers 0..7 then 4..7", [float(rng.randrange(0, 8)) for _ in range(3000)] + [float(rng.randrange(4, 8)) for _ in range(3000)]),
    ("constant", [1.0] * 5000),
    ("share alternating 2% / 10%, 24 regimes", bernoulli(rng, [(3000, 0.02 if i % 2 == 0 else 0.10) for i in range(24)])),
    ("uniform noise, many false alarms at large deltas", [rng.random() for _ in range(40000)]),
    ("random walk", list(itertools.accumulate(rng.gauss(0, 0.05) for _ in range(20000)))),
]
deltas = [0.002, 0.05, 1e-5, 0.5]
failures = 0
total = 0
for name, values in cases:
    for delta in deltas:
        expected = river_detections(values, delta)
        actual = ours(values, delta)
        total += len(expected)
        if expected == actual:
            print(f"ok   {name}, delta {delta}: {len(expected)} detections, first at {expected[0][0] if expected else '-'}")
        else:
            failures += 1
            first = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b), min(len(expected), len(actual)))
            print(f"FAIL {name}, delta {delta}: river {len(expected)} detections, ours {len(actual)}; "
                  f"first difference at detection {first}: river {expected[first:first + 3]}, ours {actual[first:first + 3]}")
print(f"adwin oracle: {len(cases) * len(deltas)} sequences, {total} river detections, {failures} mismatching sequences")
sys.exit(1 if failures else 0)

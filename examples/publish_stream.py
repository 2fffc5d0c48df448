#!/usr/bin/env python3
"""Publish a synthetic fraud-like stream of labeled events over ZeroMQ.

A stand-in for `streamsmote replay --generate` in Python. The stream: a majority class ("legit") drawn from a Gaussian cloud, and
a rare minority class ("fraud", --minority-share, default 0.5%) drawn from a few tighter
clusters that sit partly apart from the majority. The clusters slowly turn around the
majority, so what fraud looks like changes over the stream.

It publishes with the `streamsmote` package's Publisher (clients/python): two frames per
message, the topic (--topic, default "tx") and the payload,

    {"id":"tx-42","ts":1764403200.25,"seq":42,"label":"fraud","features":[...]}

or the same event as a streamsmote.v1.Event protobuf (--codec protobuf). The Publisher numbers
`seq` and, by default, waits until a subscriber has subscribed before the first event (no
slow-joiner losses); then this script publishes --count events at --rate events/s. A
subscriber that falls behind slows it down rather than losing events.

Examples:
    # bind, and let `streamsmote run --sub tcp://127.0.0.1:5555` connect to us
    python examples/publish_stream.py --bind tcp://127.0.0.1:5555 --count 200000 --rate 20000
    # connect to a daemon started with --sub-bind tcp://127.0.0.1:5555
    python examples/publish_stream.py --connect tcp://127.0.0.1:5555 --count 200000
"""
import argparse
import math
import pathlib
import random
import sys
import time

try:
    from streamsmote import Publisher
except ImportError:  # a checkout without `pip install ./clients/python`
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "clients" / "python" / "src"))
    from streamsmote import Publisher


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Default endpoint: --bind tcp://127.0.0.1:5555.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--bind", metavar="ENDPOINT",
                       help="bind the XPUB socket here (subscribers such as `streamsmote run --sub` connect)")
    where.add_argument("--connect", metavar="ENDPOINT",
                       help="connect the XPUB socket here (to `streamsmote run --sub-bind ENDPOINT`)")
    parser.add_argument("--codec", choices=["json", "protobuf"], default="json",
                        help="payload codec (default: json)")
    parser.add_argument("--topic", default="tx", help="topic frame of every message (default: tx)")
    parser.add_argument("--count", type=int, default=100000, help="events to publish (default: 100000)")
    parser.add_argument("--rate", type=float, default=10000.0,
                        help="events per second; 0 = as fast as possible (default: 10000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed; same seed, same stream (default: 7)")
    parser.add_argument("--features", type=int, default=6, help="features per event (default: 6)")
    parser.add_argument("--minority-share", type=float, default=0.005,
                        help="probability that an event is minority (default: 0.005)")
    parser.add_argument("--clusters", type=int, default=3, help="minority clusters (default: 3)")
    parser.add_argument("--separation", type=float, default=3.0,
                        help="distance of the minority clusters from the majority centre, in majority "
                             "standard deviations; smaller is harder (default: 3.0)")
    parser.add_argument("--drift", type=float, default=0.5,
                        help="how fast the stream changes: each minority cluster turns around the "
                             "majority centre by this many radians per 100000 events, and everything "
                             "slides by half as many standard deviations (default: 0.5; 0 = stationary)")
    parser.add_argument("--majority-label", default="legit", help="majority label (default: legit)")
    parser.add_argument("--minority-label", default="fraud", help="minority label (default: fraud)")
    parser.add_argument("--start-ts", type=float, default=None,
                        help="event time of the first event, seconds since the epoch (default: now); "
                             "ts advances by 1/rate per event (1 ms when --rate 0)")
    parser.add_argument("--no-wait", action="store_true",
                        help="do not wait for a subscriber before publishing (events sent before one "
                             "subscribes are lost)")
    parser.add_argument("--wait-timeout", type=float, default=30.0,
                        help="give up (exit 2) if nobody subscribes within this many seconds (default: 30)")
    parser.add_argument("--linger", type=float, default=10.0,
                        help="seconds to keep flushing queued messages at exit (default: 10)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    args = parser.parse_args(argv)
    if args.bind is None and args.connect is None:
        args.bind = "tcp://127.0.0.1:5555"
    if args.count < 0 or args.rate < 0 or args.features < 2 or args.clusters < 1:
        parser.error("--count and --rate must be >= 0, --features >= 2, --clusters >= 1")
    if not 0.0 <= args.minority_share <= 1.0:
        parser.error("--minority-share must be in [0, 1]")
    return args


class FraudStream:
    """Deterministic generator of (label, features) pairs for a given seed.

    Majority: a unit Gaussian cloud (features 0 and 1 correlated). Minority: `clusters`
    tighter clusters at distance `separation` from the majority centre, all on the side of
    high feature 0 ("amount") and each also along a feature of its own. Drift: every cluster
    turns around the majority centre by `drift` radians per 100000 events (so fraud keeps
    moving to where it was not before, at a constant distance from legit behaviour), and the
    whole picture slides along a random direction by `drift` / 2 per 100000 events.
    """

    def __init__(self, seed, features, minority_share, clusters, separation, drift,
                 majority_label="legit", minority_label="fraud"):
        self.rng = rng = random.Random(seed)
        self.d = features
        self.share = minority_share
        self.drift = drift
        self.separation = separation
        self.majority_label, self.minority_label = majority_label, minority_label
        self.slide = self._unit([rng.gauss(0, 1) for _ in range(features)])
        self.starts, self.turns, self.spreads = [], [], []
        for k in range(clusters):
            own = 1 + k % (features - 1)
            start = [0.0] * features
            start[0] = 1.0
            start[own] = 1.0 if k % 2 == 0 else -1.0
            start = self._unit(start)
            # A random direction orthogonal to the start: the plane the cluster turns in.
            turn = [rng.gauss(0, 1) for _ in range(features)]
            dot = sum(a * b for a, b in zip(turn, start))
            turn = self._unit([a - dot * b for a, b in zip(turn, start)])
            self.starts.append(start)
            self.turns.append(turn)
            self.spreads.append(0.45 + 0.25 * rng.random())
        self.weights = [1.0 + rng.random() for _ in range(clusters)]
        self.index = 0

    @staticmethod
    def _unit(v):
        n = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / n for x in v]

    def next(self):
        rng = self.rng
        t = self.index / 100000.0
        self.index += 1
        offset = [0.5 * self.drift * t * u for u in self.slide]
        if rng.random() < self.share:
            k = rng.choices(range(len(self.starts)), weights=self.weights)[0]
            angle = self.drift * t
            c, s = math.cos(angle), math.sin(angle)
            spread = self.spreads[k]
            return self.minority_label, [o + self.separation * (c * a + s * b) + rng.gauss(0, spread)
                                         for o, a, b in zip(offset, self.starts[k], self.turns[k])]
        x = [o + rng.gauss(0, 1) for o in offset]
        x[1] += 0.5 * (x[0] - offset[0])  # correlate feature 1 with feature 0
        return self.majority_label, x


def main(argv=None):
    args = parse_args(argv)
    stream = FraudStream(args.seed, args.features, args.minority_share, args.clusters, args.separation,
                         args.drift, args.majority_label, args.minority_label)
    endpoint = args.bind or args.connect
    pub = Publisher(endpoint, codec=args.codec, bind=bool(args.bind), topic=args.topic, nodrop=True,
                    linger=args.linger)
    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    status = 0
    counts = {}
    started = time.monotonic()
    try:
        if not args.no_wait:
            log(f"publish_stream: {'bound' if args.bind else 'connected'} {pub.endpoint}, waiting for a subscriber")
            if not pub.wait_for_subscribers(1, timeout=args.wait_timeout):
                print(f"publish_stream: nobody subscribed within {args.wait_timeout:g} s", file=sys.stderr)
                return 2
            log(f"publish_stream: {pub.subscribers} subscriber(s); publishing {args.count} events")
        start_ts = time.time() if args.start_ts is None else args.start_ts
        step = 1.0 / args.rate if args.rate > 0 else 0.001
        started = time.monotonic()
        next_report = started + 2.0
        for i in range(args.count):
            label, features = stream.next()
            if args.rate > 0:
                delay = started + i / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            pub.send(id=f"tx-{i + 1}", label=label, features=[round(v, 5) for v in features],
                     ts=round(start_ts + i * step, 6))
            counts[label] = counts.get(label, 0) + 1
            if not args.quiet and (i & 1023) == 0 and time.monotonic() >= next_report:
                next_report += 2.0
                log(f"publish_stream: {pub.sent}/{args.count} events, "
                    f"{pub.sent / (time.monotonic() - started):.0f}/s")
    except KeyboardInterrupt:
        status = 130
    finally:
        took = max(time.monotonic() - started, 1e-9)
        classes = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        print(f"publish_stream: sent {pub.sent} events in {took:.2f} s ({pub.sent / took:.0f}/s); {classes}",
              file=sys.stderr, flush=True)
        pub.close()  # waits up to --linger to flush what is queued
    return status


if __name__ == "__main__":
    sys.exit(main())

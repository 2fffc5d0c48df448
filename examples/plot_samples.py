#!/usr/bin/env python3
"""Plot real against synthetic minority samples in two dimensions.

Reads StreamSMOTE's merged output, either live (--sub ENDPOINT, until --count messages or
--duration seconds) or from a JSON-lines file written by `streamsmote tap --output FILE`
(--input FILE: one received message per line, {"topic": "...", "event": {...}}), and draws
real majority samples (subsampled to --max-majority), real minority samples and synthetic
minority samples, on the first two features (or --features I,J, or a PCA projection fitted on
the real events with --pca). --segments draws a line from each synthetic sample back to its
seed (when the seed was received too), which shows SMOTE's interpolation.

Real events need the daemon's --forward-real to be on the feed; without them only synthetic
samples are drawn.
"""
import argparse
import json
import pathlib
import random
import sys
import time

import numpy as np


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", metavar="FILE", help="JSON-lines file from `streamsmote tap --output FILE` "
                        "('-' for standard input)")
    source.add_argument("--sub", metavar="ENDPOINT", help="the daemon's --pub endpoint to subscribe to")
    parser.add_argument("--codec", choices=["json", "protobuf"], default="json",
                        help="payload codec with --sub (default: json)")
    parser.add_argument("--count", type=int, default=20000,
                        help="with --sub: stop after this many messages (default: 20000)")
    parser.add_argument("--duration", type=float, default=60.0,
                        help="with --sub: stop after this many seconds at most (default: 60)")
    parser.add_argument("--output", "-o", default="samples.png", help="PNG to write (default: samples.png)")
    parser.add_argument("--minority", action="append",
                        help="a minority label (repeatable; default: the labels of the synthetic samples, "
                             "or every real label but the most frequent)")
    parser.add_argument("--features", default="0,1", metavar="I,J",
                        help="the two feature indices to draw (default: 0,1; ignored with --pca)")
    parser.add_argument("--pca", action="store_true", help="project on the first two principal components "
                        "of the real events instead")
    parser.add_argument("--segments", action="store_true", help="draw seed -> synthetic sample segments")
    parser.add_argument("--max-majority", type=int, default=5000,
                        help="draw at most this many majority samples, chosen uniformly (default: 5000)")
    parser.add_argument("--max-synthetic", type=int, default=5000,
                        help="draw at most this many synthetic samples, chosen uniformly (default: 5000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the subsampling (default: 0)")
    return parser.parse_args(argv)


def read_file(path):
    """(topic, event) pairs from a tap JSON-lines file; bare event lines are accepted too."""
    handle = sys.stdin if path == "-" else open(path, encoding="utf-8")
    with handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                print(f"plot_samples: {path}:{number}: skipped, not JSON ({error})", file=sys.stderr)
                continue
            event = record.get("event", record) if isinstance(record, dict) else None
            if not isinstance(event, dict) or "features" not in event:
                continue
            topic = record.get("topic") or ("synthetic." if event.get("synthetic") else "real.") + str(event.get("label"))
            yield topic, event


def read_live(endpoint, codec, count, duration):
    """(topic, event) pairs from the daemon's output, read with the package's Feed."""
    try:
        from streamsmote import Feed
    except ImportError:  # a checkout without `pip install ./clients/python`
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "clients" / "python" / "src"))
        from streamsmote import Feed
    deadline = time.monotonic() + duration
    with Feed(endpoint, codec=codec, hwm=0) as feed:
        # Wait for the connection, so that what is published from now on reaches us.
        if feed.wait_connected(timeout=max(duration, 0)):
            print(f"plot_samples: subscribed to {endpoint}, reading up to {count} messages", file=sys.stderr,
                  flush=True)
        try:
            while feed.received < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                sample = feed.recv(timeout=min(remaining, 0.5))
                if sample is None:
                    continue
                event = {"id": sample.id, "label": sample.label, "features": sample.features,
                         "synthetic": sample.synthetic}
                if sample.origin is not None:
                    event["origin"] = sample.origin._asdict()
                yield sample.topic, event
        except KeyboardInterrupt:
            pass


def main(argv=None):
    args = parse_args(argv)
    source = read_file(args.input) if args.input else read_live(args.sub, args.codec, args.count, args.duration)
    real, synthetic = [], []  # (label, features, event)
    for topic, event in source:
        is_synthetic = topic.startswith("synthetic.") or bool(event.get("synthetic"))
        (synthetic if is_synthetic else real).append((str(event.get("label")), event["features"], event))
    if not real and not synthetic:
        print("plot_samples: no events to plot", file=sys.stderr)
        return 1
    dims = {len(f) for _, f, _ in real + synthetic}
    if len(dims) != 1 or dims.pop() < 2:
        print("plot_samples: events need the same number (>= 2) of features", file=sys.stderr)
        return 1

    counts = {}
    for label, _, _ in real:
        counts[label] = counts.get(label, 0) + 1
    minority = set(args.minority or []) or {label for label, _, _ in synthetic}
    if not minority and counts:
        largest = max(counts, key=counts.get)
        minority = set(counts) - {largest}

    if args.pca:
        basis = np.array([f for _, f, _ in (real or synthetic)], dtype=float)
        mean = basis.mean(axis=0)
        _, _, vt = np.linalg.svd(basis - mean, full_matrices=False)
        components = vt[:2].T
        project = lambda rows: (np.asarray(rows, dtype=float) - mean) @ components  # noqa: E731
        axis_names = ("PC 1", "PC 2")
    else:
        i, j = (int(v) for v in args.features.split(","))
        project = lambda rows: np.asarray(rows, dtype=float)[:, [i, j]]  # noqa: E731
        axis_names = (f"feature {i}", f"feature {j}")

    rng = random.Random(args.seed)
    majority = [f for label, f, _ in real if label not in minority]
    if len(majority) > args.max_majority:
        majority = rng.sample(majority, args.max_majority)
    real_minority = [(label, f) for label, f, _ in real if label in minority]
    drawn_synthetic = synthetic if len(synthetic) <= args.max_synthetic else rng.sample(synthetic, args.max_synthetic)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    fig, ax = plt.subplots(figsize=(9, 7))
    if majority:
        p = project(majority)
        ax.scatter(p[:, 0], p[:, 1], s=4, c="tab:gray", alpha=0.25, linewidths=0,
                   label=f"real majority ({len(majority)} of {sum(1 for l, _, _ in real if l not in minority)})")
    if args.segments and drawn_synthetic:
        by_id = {e.get("id"): f for _, f, e in real}
        pairs = [(by_id[e["origin"]["seed"]], f) for _, f, e in drawn_synthetic
                 if isinstance(e.get("origin"), dict) and e["origin"].get("seed") in by_id]
        if pairs:
            a, b = project([s for s, _ in pairs]), project([f for _, f in pairs])
            ax.add_collection(LineCollection(np.stack([a, b], axis=1), colors="tab:orange", alpha=0.25,
                                             linewidths=0.6, label=f"seed → synthetic ({len(pairs)})"))
    if drawn_synthetic:
        p = project([f for _, f, _ in drawn_synthetic])
        ax.scatter(p[:, 0], p[:, 1], s=10, c="tab:orange", marker="x", alpha=0.6, linewidths=0.8,
                   label=f"synthetic minority ({len(drawn_synthetic)} of {len(synthetic)})")
    for n, label in enumerate(sorted({l for l, _ in real_minority})):
        p = project([f for l, f in real_minority if l == label])
        ax.scatter(p[:, 0], p[:, 1], s=22, c=["tab:red", "tab:blue", "tab:green", "tab:purple"][n % 4],
                   edgecolors="black", linewidths=0.4, label=f"real minority '{label}' ({len(p)})")
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.set_title(f"StreamSMOTE samples: {len(real)} real, {len(synthetic)} synthetic"
                 f"{' (PCA)' if args.pca else ''}")
    ax.legend(loc="best", fontsize=9, markerscale=1.5)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.output, dpi=100)
    plt.close(fig)
    print(f"plot_samples: {len(real)} real ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}), "
          f"{len(synthetic)} synthetic; wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

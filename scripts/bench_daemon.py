"""The daemon beside a bare XSUB/XPUB relay, in the same run, with the same publisher and
subscriber processes (C, Benchmarks/baselines/bench_edge.c): events/s and latency.

Setup, the same for every row: one publisher, one subscriber, a middle box between them,
30 features, 1 % minority, `--forward-real`; the relay is zmq_proxy. The publisher stays
connected until the subscriber has everything, and every row checks that every event
arrived. Throughput counts real events from the first receipt to the last; each row also gives
the middle box's CPU time (user + system, all threads) per event, steadier than events/s on a
loaded machine; latency is
receive time minus the send time stamped in each event's id, and each latency row adds the
daemon's own receive-to-publish latency and batch size from its /metrics (bucket bounds), to
tell time spent inside the daemon from time in libzmq's I/O threads, TCP and the scheduler.

--floor adds, per codec and round, the daemon with a minority label the publisher never sends:
the work the product contract requires of every event (decode, validate, count in the window,
forward) with no minority sample kept and nothing generated, beside the relay in the same run.
--threads splits each middle box's CPU per event by thread (libzmq's I/O thread, the pipeline
threads).

Usage: bench_daemon.py STREAMSMOTE BENCH_EDGE [--count N] [--rounds R] [--codec json,protobuf]
       [--ratio 0.1,0.5] [--latency-rates 20000,100000] [--latency-seconds S] [--floor] [--threads]
       [--daemon-arg=OPTION ...]
"""
import argparse
import json
import os
import pathlib
import random
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

here = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(here.parent / "examples"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


STAMP = "t0000000000000000000"


def payloads(codec, features=30, distinct=10_000, seed=42):
    """10 000 distinct events (1 % minority in two clusters), each with the stamp id."""
    rng = random.Random(seed)
    out = []
    if codec == "protobuf":
        import streamsmote_pb2  # noqa: PLC0415
    for n in range(distinct):
        minority = n % 100 == 0
        centre = (3.0 if n % 200 == 0 else -3.0) if minority else 0.0
        values = [centre + rng.uniform(-1, 1) for _ in range(features)]
        label = "fraud" if minority else "legit"
        if codec == "json":
            body = json.dumps({"id": STAMP, "label": label, "features": [float(f"{v:.6g}") for v in values]},
                              separators=(",", ":")).encode()
        else:
            body = streamsmote_pb2.Event(id=STAMP, label=label, features=values).SerializeToString()
        out.append(body)
    return out


def write_payloads(path, bodies):
    with open(path, "wb") as f:
        for body in bodies:
            f.write(struct.pack("<I", len(body)))
            f.write(body)


def wait_metric(address, name, minimum, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{address}/metrics", timeout=2) as answer:
                for line in answer.read().decode().splitlines():
                    if line.startswith(name + " ") and float(line.split()[-1]) >= minimum:
                        return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def cpu_seconds(pid):
    """User + system CPU time the process has used so far (all its threads), from /proc: on a
    loaded machine the CPU time per event moves far less than the events/s do."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def thread_cpu_seconds(pid):
    """CPU time per thread name (summed over threads of one name), from /proc: the scheduler's
    nanoseconds on CPU (schedstat), where /proc/PID/stat counts 10 ms ticks, 0.03 µs per event
    at 300 k events."""
    threads = {}
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                seconds = int(f.read().split()[0]) / 1e9
            threads[name] = threads.get(name, 0) + seconds
    except (OSError, IndexError, ValueError):
        pass
    return threads


def scrape_histograms(address):
    """The daemon's own view, from /metrics: receive-to-publish latency (from the moment the
    receive thread took the event's batch off the SUB socket to its publication on the XPUB,
    one event in eight) and the batch sizes, as quantiles (the upper bound of the bucket that
    holds each quantile)."""
    try:
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return {}
    buckets = {}
    for line in text.splitlines():
        for name in ("streamsmote_latency_seconds", "streamsmote_batch_events"):
            if line.startswith(name + "_bucket{"):
                bound = line.split('le="', 1)[1].split('"', 1)[0]
                buckets.setdefault(name, []).append((float(bound), float(line.split()[-1])))

    def quantile(name, q):
        rows = sorted(buckets.get(name, []))
        if not rows or rows[-1][1] == 0:
            return float("nan")
        for bound, count in rows:
            if count >= q * rows[-1][1]:
                return bound
        return float("inf")

    return {"latency_p50_us": quantile("streamsmote_latency_seconds", 0.5) * 1e6,
            "latency_p99_us": quantile("streamsmote_latency_seconds", 0.99) * 1e6,
            "batch_p50": quantile("streamsmote_batch_events", 0.5)}


def run_once(args, work, target, codec, ratio, count, rate, payload_file):
    """One publisher → middle → subscriber run; returns the subscriber's JSON summary."""
    inp, out = free_port(), free_port()
    done = os.path.join(work, f"done-{time.monotonic_ns()}")
    middle_log = open(os.path.join(work, f"{target}.log"), "a")
    if target == "relay":
        middle = subprocess.Popen([args.bench_edge, "relay", f"tcp://127.0.0.1:{inp}", f"tcp://127.0.0.1:{out}"],
                                  stdout=middle_log, stderr=middle_log)
    else:
        metrics = f"127.0.0.1:{free_port()}"
        middle = subprocess.Popen(
            [args.streamsmote, "run", "--sub", f"tcp://127.0.0.1:{inp}", "--pub", f"tcp://127.0.0.1:{out}",
             "--codec", codec, "--minority", "fraud" if target == "daemon" else "no-such-label", "--forward-real", "--ratio", str(ratio),
             "--window-events", "50000", "--recv-hwm", "10000000", "--send-hwm", "10000000",
             "--metrics", metrics, "--log-level", "warning", *args.daemon_arg],
            stdout=middle_log, stderr=middle_log)
    sub = subprocess.Popen([args.bench_edge, "sub", f"tcp://127.0.0.1:{out}", str(count), done],
                           stdout=subprocess.PIPE, text=True)
    if target != "relay" and not wait_metric(metrics, "streamsmote_output_subscriptions", 1):
        raise SystemExit("the daemon never registered the subscriber")
    # The relay passes the subscription upstream, so the publisher waits for it either way.
    pub = subprocess.Popen([args.bench_edge, "pub", f"tcp://127.0.0.1:{inp}", payload_file, str(count),
                            str(rate or 0), done])
    summary = json.loads(sub.communicate(timeout=600)[0])
    pub.wait(timeout=60)
    summary["cpu_seconds"] = cpu_seconds(middle.pid)
    summary["threads"] = thread_cpu_seconds(middle.pid)
    if target != "relay":
        summary["internal"] = scrape_histograms(metrics)
    middle.terminate()
    middle.wait(timeout=30)
    summary["rate"] = summary["real"] / summary["seconds"] if summary["seconds"] else 0
    if summary["real"] != count:
        print(f"  !! {target} {codec}: {summary['real']} of {count} events arrived", flush=True)
    return summary


def print_threads(args, runs):
    """The CPU per event of each thread (by name) of each middle box."""
    for name, summary in runs:
        parts = ", ".join(f"{thread} {seconds / args.count * 1e6:.2f}"
                          for thread, seconds in sorted(summary["threads"].items(), key=lambda t: -t[1])
                          if seconds / args.count * 1e6 >= 0.005)
        print(f"    {name} CPU per event by thread (µs): {parts}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("streamsmote")
    parser.add_argument("bench_edge")
    parser.add_argument("--count", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--codec", default="json,protobuf")
    parser.add_argument("--ratio", default="0.1,0.5")
    parser.add_argument("--latency-rates", default="20000,100000")
    parser.add_argument("--latency-seconds", type=float, default=4)
    parser.add_argument("--floor", action="store_true",
                        help="also run the floor once per codec and round: the daemon with a minority label the "
                             "publisher never sends, so every event is decoded, validated, counted in the window "
                             "and forwarded, but no sample is kept and nothing is generated")
    parser.add_argument("--threads", action="store_true",
                        help="also print the CPU per event of each thread of the relay and the daemon")
    parser.add_argument("--daemon-arg", action="append", default=[],
                        help="an extra option for streamsmote run, repeated per word (--daemon-arg=--pipeline-threads --daemon-arg=2)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-daemon-")
    codecs = args.codec.split(",")
    ratios = [float(r) for r in args.ratio.split(",") if r]
    files = {}
    for codec in codecs:
        files[codec] = os.path.join(work, f"payloads.{codec}")
        write_payloads(files[codec], payloads(codec))
    print(f"bench-daemon: {args.count} events x 30 features, 1% minority, --forward-real, {args.rounds} rounds; "
          f"relay = bare zmq_proxy; same C publisher and subscriber for both"
          + (f"; daemon options {' '.join(args.daemon_arg)}" if args.daemon_arg else ""), flush=True)
    rows = []
    for codec in codecs:
        for ratio in ratios:
            for round_ in range(1, args.rounds + 1):
                relay = run_once(args, work, "relay", codec, ratio, args.count, None, files[codec])
                daemon = run_once(args, work, "daemon", codec, ratio, args.count, None, files[codec])
                quotient = daemon["rate"] / relay["rate"] if relay["rate"] else 0
                rows.append((codec, ratio, quotient))
                print(f"{codec:8} --ratio {ratio:<4} round {round_}: relay {relay['rate']:9.0f} ev/s, "
                      f"daemon {daemon['rate']:9.0f} ev/s ({daemon['synthetic'] / max(1, daemon['real']):.2f} synthetic/event), "
                      f"daemon/relay = {quotient:.2f}; CPU per event relay {relay['cpu_seconds'] / args.count * 1e6:.2f} µs, "
                      f"daemon {daemon['cpu_seconds'] / args.count * 1e6:.2f} µs", flush=True)
                if args.threads:
                    print_threads(args, (("relay", relay), ("daemon", daemon)))
    floors = []
    if args.floor:
        for codec in codecs:
            for round_ in range(1, args.rounds + 1):
                relay = run_once(args, work, "relay", codec, 0.1, args.count, None, files[codec])
                floor = run_once(args, work, "floor", codec, 0.1, args.count, None, files[codec])
                quotient = floor["rate"] / relay["rate"] if relay["rate"] else 0
                floors.append((codec, quotient))
                print(f"{codec:8} floor       round {round_}: relay {relay['rate']:9.0f} ev/s, "
                      f"floor  {floor['rate']:9.0f} ev/s (no minority: decode, validate, count, forward), "
                      f"floor/relay = {quotient:.2f}; CPU per event relay {relay['cpu_seconds'] / args.count * 1e6:.2f} µs, "
                      f"floor {floor['cpu_seconds'] / args.count * 1e6:.2f} µs", flush=True)
                if args.threads:
                    print_threads(args, (("relay", relay), ("floor", floor)))
    for codec in codecs:
        for ratio in ratios:
            values = [q for c, r, q in rows if c == codec and r == ratio]
            print(f"summary {codec:8} --ratio {ratio}: daemon/relay min {min(values):.2f} median {statistics.median(values):.2f} max {max(values):.2f}")
        values = [q for c, q in floors if c == codec]
        if values:
            print(f"summary {codec:8} floor      : floor/relay  min {min(values):.2f} median {statistics.median(values):.2f} max {max(values):.2f}")
    latencies = []
    for rate in [int(r) for r in args.latency_rates.split(",") if r]:
        count = int(rate * args.latency_seconds)
        for codec in codecs:
            for round_ in range(1, args.rounds + 1):
                relay = run_once(args, work, "relay", codec, 0.5, count, rate, files[codec])
                daemon = run_once(args, work, "daemon", codec, 0.5, count, rate, files[codec])
                latencies.append((rate, codec, relay, daemon))
                print(f"latency {codec:8} {rate}/s --ratio 0.5 round {round_}: relay p50 {relay['p50_us']:.0f} µs p99 {relay['p99_us']:.0f} µs; "
                      f"daemon p50 {daemon['p50_us']:.0f} µs p99 {daemon['p99_us']:.0f} µs; "
                      f"ratio p50 {daemon['p50_us'] / max(relay['p50_us'], 1):.2f} p99 {daemon['p99_us'] / max(relay['p99_us'], 1):.2f}; "
                      f"inside the daemon (receive thread to XPUB) p50 ≤ {daemon['internal'].get('latency_p50_us', float('nan')):.0f} µs "
                      f"p99 ≤ {daemon['internal'].get('latency_p99_us', float('nan')):.0f} µs, "
                      f"median batch ≤ {daemon['internal'].get('batch_p50', float('nan')):.0f} events",
                      flush=True)
    for rate in sorted({r for r, _, _, _ in latencies}):
        for codec in codecs:
            rows_ = [(relay, daemon) for r, c, relay, daemon in latencies if r == rate and c == codec]
            if not rows_:
                continue
            p50 = [d["p50_us"] / max(r["p50_us"], 1) for r, d in rows_]
            p99 = [d["p99_us"] / max(r["p99_us"], 1) for r, d in rows_]
            print(f"summary latency {codec:8} {rate}/s: relay p50 {statistics.median(r['p50_us'] for r, _ in rows_):.0f} µs "
                  f"p99 {statistics.median(r['p99_us'] for r, _ in rows_):.0f} µs; daemon p50 "
                  f"{statistics.median(d['p50_us'] for _, d in rows_):.0f} µs p99 {statistics.median(d['p99_us'] for _, d in rows_):.0f} µs; "
                  f"daemon/relay median p50 {statistics.median(p50):.2f} p99 {statistics.median(p99):.2f}")


if __name__ == "__main__":
    main()

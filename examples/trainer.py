#!/usr/bin/env python3
"""Online trainer: does StreamSMOTE's synthetic minority help a streaming model?

Subscribes (with the `streamsmote` package's Feed, clients/python) to the merged feed that
`streamsmote run --forward-real` publishes (real events on real.<label>, synthetic minority
samples on synthetic.<label>) and trains two river models
side by side, evaluated prequentially:

  * every REAL event is first predicted by both models (test), then learned by both (train);
  * every SYNTHETIC event is learned only by the "real + synthetic" model, never scored.

So both models are scored on exactly the same real events, and the only difference between
them is the synthetic samples. The table shows, for the minority class (--minority), recall,
precision, F1 and G-mean (sqrt(recall x specificity)) over the whole run and over the last
--window real events. --plot writes the same metrics over time to a PNG.

Reading the table: "whole run" is every scored real event since the start, "last N" the
most recent --window ones (the model as it is now). recall = TP/(TP+FN): share of minority
events caught; precision = TP/(TP+FP): share of alarms that were minority; F1 their harmonic
mean; G-mean = sqrt(recall x specificity), high only when both classes are recognised. A
metric whose denominator is 0 (no minority seen, nothing predicted) shows 0. TP and FP are
counts. "seq gaps" counts real events missing from the publisher's seq numbers (lost on the
way). The "synthetic effect" line is (real + synthetic) minus (real only).

Stops after --max-events real events, after --duration seconds, after --idle-timeout seconds
without a message, or on Ctrl-C / SIGTERM; prints the final table in every case, exits 0.
"""
import argparse
import collections
import math
import pathlib
import signal
import sys
import time

try:
    from streamsmote import Feed
except ImportError:  # a checkout without `pip install ./clients/python`
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "clients" / "python" / "src"))
    from streamsmote import Feed

MODELS = ("hoeffding", "logreg", "naive-bayes")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sub", metavar="ENDPOINT", default="tcp://127.0.0.1:5556",
                        help="the daemon's --pub endpoint to connect to (default: tcp://127.0.0.1:5556)")
    parser.add_argument("--codec", choices=["json", "protobuf"], default="json",
                        help="payload codec, as the daemon's --codec (default: json)")
    parser.add_argument("--minority", default="fraud",
                        help="the minority label scored as the positive class (default: fraud)")
    parser.add_argument("--model", choices=MODELS, default="hoeffding",
                        help="river model trained twice: hoeffding = HoeffdingTreeClassifier, "
                             "logreg = StandardScaler | LogisticRegression, naive-bayes = GaussianNB "
                             "(default: hoeffding)")
    parser.add_argument("--max-events", type=int, default=0, metavar="N",
                        help="stop after N real events (default: 0 = no limit)")
    parser.add_argument("--duration", type=float, default=0.0, metavar="S",
                        help="stop after S seconds (default: 0 = no limit)")
    parser.add_argument("--idle-timeout", type=float, default=0.0, metavar="S",
                        help="stop when no message arrived for S seconds, once the stream has started "
                             "(default: 0 = wait forever)")
    parser.add_argument("--window", type=int, default=20000, metavar="N",
                        help="the recent-metrics window, in real events (default: 20000)")
    parser.add_argument("--report-every", type=int, default=20000, metavar="N",
                        help="print the table every N real events (default: 20000; 0 = only at the end)")
    parser.add_argument("--plot", metavar="PNG", help="write the metrics over time to this PNG "
                        "(rewritten at every report and at the end)")
    parser.add_argument("--plot-every", type=int, default=0, metavar="N",
                        help="record a point of the plot every N real events (default: adaptive)")
    parser.add_argument("--warmup", type=int, default=0, metavar="N",
                        help="learn from the first N real events without scoring them (default: 0)")
    parser.add_argument("--quiet", action="store_true", help="only the final table")
    return parser.parse_args(argv)


# --- models -----------------------------------------------------------------------------

def make_model(kind):
    from river import linear_model, naive_bayes, optim, preprocessing, tree
    if kind == "logreg":
        return preprocessing.StandardScaler() | linear_model.LogisticRegression(optimizer=optim.SGD(0.05))
    if kind == "hoeffding":
        return tree.HoeffdingTreeClassifier(grace_period=100)
    return naive_bayes.GaussianNB()


class Score:
    """Minority-class confusion counts over the whole run and over a sliding window."""

    def __init__(self, window):
        self.total = [0, 0, 0, 0]  # tp, fp, fn, tn
        self.recent = [0, 0, 0, 0]
        self.history = collections.deque()
        self.window = window

    def add(self, truth, predicted):
        cell = (0 if predicted else 2) if truth else (1 if predicted else 3)
        self.total[cell] += 1
        self.recent[cell] += 1
        self.history.append(cell)
        if len(self.history) > self.window:
            self.recent[self.history.popleft()] -= 1

    @staticmethod
    def metrics(counts):
        """recall, precision, F1, G-mean; 0 where undefined (no positive or nothing predicted)."""
        tp, fp, fn, tn = counts
        recall = tp / (tp + fn) if tp + fn else 0.0
        precision = tp / (tp + fp) if tp + fp else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        specificity = tn / (tn + fp) if tn + fp else 0.0
        return recall, precision, f1, math.sqrt(recall * specificity)


NAMES = ("real only", "real + synthetic")
METRICS = ("recall", "precision", "F1", "G-mean")


class Trainer:
    def __init__(self, args):
        self.args = args
        self.models = [make_model(args.model), make_model(args.model)]
        self.scores = [Score(args.window), Score(args.window)]
        self.real = self.minority = self.synthetic = self.other = self.gaps = 0
        self.last_seq = None
        self.points = []  # (real events, [per model: whole-run metrics + window metrics])
        self.plot_every = args.plot_every

    def real_event(self, sample):
        x = sample.x
        y = sample.label == self.args.minority
        seq = sample.seq
        if seq is not None:
            if self.last_seq is not None and seq > self.last_seq + 1:
                self.gaps += seq - self.last_seq - 1
            self.last_seq = seq
        self.real += 1
        self.minority += y
        if self.real > self.args.warmup:
            for model, score in zip(self.models, self.scores):
                score.add(y, bool(model.predict_one(x)))  # test first ...
        for model in self.models:
            model.learn_one(x, y)  # ... then train
        every = self.plot_every or max(100, 10 ** max(2, int(math.log10(max(self.real, 1))) - 1) // 2)
        if self.real % every == 0:
            self.points.append((self.real, [Score.metrics(s.total) + Score.metrics(s.recent) for s in self.scores]))

    def synthetic_event(self, sample):
        self.synthetic += 1
        self.models[1].learn_one(sample.x, sample.label == self.args.minority)

    def table(self, elapsed):
        window = min(self.args.window, len(self.scores[0].history))
        lines = [f"trainer: {self.real} real events ({self.minority} {self.args.minority}), "
                 f"{self.synthetic} synthetic learned, {self.gaps} seq gaps, {elapsed:.1f} s, "
                 f"model {self.args.model}" + (f", {self.other} undecodable messages skipped" if self.other else ""),
                 f"{'':18} {'-------------- whole run --------------':>40}   "
                 f"{'---- last ' + str(window) + ' real events ----':^34}",
                 f"{'model':18} {'recall':>7} {'precis.':>7} {'F1':>6} {'G-mean':>6} {'TP':>6} {'FP':>6}"
                 f"   {'recall':>7} {'precis.':>7} {'F1':>6} {'G-mean':>6}"]
        for name, score in zip(NAMES, self.scores):
            whole, recent = Score.metrics(score.total), Score.metrics(score.recent)
            lines.append(f"{name:18} {whole[0]:7.3f} {whole[1]:7.3f} {whole[2]:6.3f} {whole[3]:6.3f} "
                         f"{score.total[0]:6d} {score.total[1]:6d}   "
                         f"{recent[0]:7.3f} {recent[1]:7.3f} {recent[2]:6.3f} {recent[3]:6.3f}")
        a, b = Score.metrics(self.scores[0].total), Score.metrics(self.scores[1].total)
        lines.append("synthetic effect (whole run): " + ", ".join(
            f"{m} {y - x:+.3f}" for m, x, y in zip(METRICS, a, b)))
        return "\n".join(lines)

    def plot(self, path):
        if not self.points:
            self.points.append((self.real, [Score.metrics(s.total) + Score.metrics(s.recent) for s in self.scores]))
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        xs = [p[0] for p in self.points]
        fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
        colours = ("tab:gray", "tab:red")
        for m, (ax, metric) in enumerate(zip(axes.flat, METRICS)):
            for i, (name, colour) in enumerate(zip(NAMES, colours)):
                ax.plot(xs, [p[1][i][4 + m] for p in self.points], color=colour, lw=1.6,
                        label=f"{name}, last {self.args.window}")
                ax.plot(xs, [p[1][i][m] for p in self.points], color=colour, lw=1.0, ls="--",
                        label=f"{name}, whole run")
            ax.set_title(f"minority ({self.args.minority}) {metric}")
            ax.set_ylim(-0.04, 1.04)
            ax.grid(alpha=0.3)
        for ax in axes[1]:
            ax.set_xlabel("real events (prequential: test, then train)")
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", ncol=4, fontsize=9, bbox_to_anchor=(0.5, 0.955))
        fig.suptitle(f"StreamSMOTE trainer: {self.args.model}, {self.real} real events "
                     f"({self.minority} {self.args.minority}), {self.synthetic} synthetic learned")
        fig.tight_layout(rect=(0, 0, 1, 0.92))
        tmp = pathlib.Path(path).with_suffix(".tmp.png")
        fig.savefig(tmp, dpi=100)
        plt.close(fig)
        tmp.replace(path)  # readers never see a half-written file


def main(argv=None):
    args = parse_args(argv)
    trainer = Trainer(args)
    # hwm=0: queue here rather than let the daemon drop when the models lag behind.
    feed = Feed(args.sub, codec=args.codec, topics=["real.", "synthetic."], hwm=0)
    stop = []

    def on_signal(number, _frame):
        if stop and number == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: stop right away
        stop.append("Ctrl-C" if number == signal.SIGINT else "SIGTERM")

    # Both set a flag that the loop checks between messages, so a model is never left half
    # updated. Installed explicitly: a shell may start background jobs with SIGINT ignored.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    say(f"trainer: connecting to {args.sub} ({args.codec}), minority {args.minority!r}, model {args.model}")
    subscribed = False
    last_message = None
    next_report = args.report_every
    reason = "end"
    try:
        while True:
            now = time.monotonic()
            if stop:
                reason = stop[0]
                break
            if args.duration and now - started >= args.duration:
                reason = f"--duration {args.duration:g} s"
                break
            if args.idle_timeout and last_message is not None and now - last_message >= args.idle_timeout:
                reason = f"no message for {args.idle_timeout:g} s"
                break
            if not subscribed and feed.connections:
                subscribed = True
                say(f"trainer: subscribed to {args.sub}, waiting for events")
            sample = feed.recv(timeout=0.2)
            if sample is None:
                continue
            last_message = time.monotonic()
            if sample.synthetic:
                trainer.synthetic_event(sample)
                continue
            trainer.real_event(sample)
            if args.report_every and trainer.real >= next_report:
                next_report += args.report_every
                trainer.other = feed.skipped
                say(trainer.table(time.monotonic() - started) + "\n")
                if args.plot:
                    trainer.plot(args.plot)
            if args.max_events and trainer.real >= args.max_events:
                reason = f"--max-events {args.max_events}"
                break
    except KeyboardInterrupt:
        reason = "Ctrl-C"
    finally:
        trainer.other = feed.skipped
        feed.close()
    print(f"trainer: stopped ({reason})")
    print(trainer.table(time.monotonic() - started), flush=True)
    if args.plot:
        trainer.plot(args.plot)
        print(f"trainer: wrote {args.plot}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

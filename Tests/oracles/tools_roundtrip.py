"""The tools around the daemon, end to end with the real binary over loopback:
replay of a CSV file into tap --output (every row once, in order, with seq 1..n and its
features), replay --generate into tap (the requested count, a rare minority), keygen files,
and the demo stopping by itself with a summary. Usage: tools_roundtrip.py BINARY
"""
import csv
import json
import os
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _daemon_support import free_port  # noqa: E402

BINARY = sys.argv[1] if len(sys.argv) > 1 else "streamsmote"
failures = []
work = tempfile.mkdtemp(prefix="streamsmote-tools-")


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def tap_while(replay_args, count, port):
    """Starts tap on `port`, then replay with `replay_args`; returns tap's JSON lines and replay's output.

    No sleep makes delivery work: replay waits for tap's subscription (--wait-subscribers 1 is
    its default when it ends by itself) and slows down for it rather than drop (XPUB_NODROP).
    """
    output = os.path.join(work, f"tap-{port}.jsonl")
    tap = subprocess.Popen([BINARY, "tap", "--sub", f"tcp://127.0.0.1:{port}", "--count", str(count),
                            "--duration", "30", "--output", output], stdout=subprocess.PIPE, text=True)
    replay = subprocess.run([BINARY, "replay", *replay_args, "--pub", f"tcp://127.0.0.1:{port}", "--quiet"],
                            capture_output=True, text=True, timeout=60)
    tap_out = tap.communicate(timeout=60)[0]
    lines = [json.loads(line) for line in open(output)] if os.path.exists(output) else []
    return lines, replay, tap, tap_out


# A CSV file with an id column, a timestamp, a categorical column and three features.
rows = [{"tx": f"row-{i}", "when": f"{1764403200 + i * 0.5}", "mcc": ["5411", "5812"][i % 2],
         "a": f"{i * 0.25}", "b": f"{-i}", "c": "1e-3", "class": "fraud" if i % 10 == 0 else "legit"}
        for i in range(200)]
path = os.path.join(work, "events.csv")
with open(path, "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
port = free_port()
lines, replay, tap, tap_out = tap_while([path, "--label-column", "class", "--id-column", "tx", "--timestamp-column", "when",
                                         "--categorical-column", "mcc"], len(rows), port)
check(replay.returncode == 0 and "replayed 200 events" in replay.stdout, f"replay of a CSV file: {replay.stdout.strip()}")
check(tap.returncode == 0, "tap stopped by itself after --count")
events = [line["event"] for line in lines]
check([e["id"] for e in events] == [r["tx"] for r in rows], f"tap --output holds every row once, in order ({len(events)})")
check([e.get("seq") for e in events] == list(range(1, 201)), "every event carries seq 1..n")
check(all(e["label"] == r["class"] and e["categories"] == [r["mcc"]] and abs(e["ts"] - float(r["when"])) < 1e-6
          and e["features"] == [float(r["a"]), float(r["b"]), 0.001] for e, r in zip(events, rows)),
      "labels, times, categories and features survive the trip")
check(all(line["topic"] == "events" for line in lines), "the default topic is 'events'")

# A bad CSV row is refused with its line number, before anything is published.
bad = os.path.join(work, "bad.csv")
with open(bad, "w") as f:
    f.write("a,b,class\n1,2,legit\n3,x,legit\n")
result = subprocess.run([BINARY, "replay", bad, "--label-column", "class", "--pub", f"tcp://127.0.0.1:{free_port()}",
                         "--warmup", "0"], capture_output=True, text=True, timeout=30)
check(result.returncode != 0 and "line 3" in result.stderr, f"a bad row is refused naming its line: {result.stderr.strip()[:120]}")

port = free_port()
lines, replay, tap, _ = tap_while(["--generate", "--count", "3000", "--seed", "3", "--features", "6"], 3000, port)
labels = [line["event"]["label"] for line in lines]
check(len(lines) == 3000 and replay.returncode == 0, f"replay --generate --count 3000 delivered {len(lines)}")
share = labels.count("fraud") / max(1, len(labels))
check(0 < share < 0.02 and set(labels) == {"fraud", "legit"}, f"the generator's minority is rare ({share:.4f})")
check(all(len(line["event"]["features"]) == 6 for line in lines), "--features sets the dimension")

prefix = os.path.join(work, "daemon")
result = subprocess.run([BINARY, "keygen", "--output", prefix], capture_output=True, text=True, timeout=30)
secret_mode = stat.S_IMODE(os.stat(prefix + ".key").st_mode) if os.path.exists(prefix + ".key") else None
public = open(prefix + ".pub").read().strip() if os.path.exists(prefix + ".pub") else ""
check(result.returncode == 0 and secret_mode == 0o600 and len(public) == 40,
      f"keygen writes NAME.key (mode {oct(secret_mode or 0)}) and a 40-character NAME.pub")
again = subprocess.run([BINARY, "keygen", "--output", prefix], capture_output=True, text=True, timeout=30)
check(again.returncode != 0, "keygen refuses to overwrite a key")

demo = subprocess.run([BINARY, "demo", "--duration", "4", "--rate", "3000", "--pub", f"tcp://127.0.0.1:{free_port()}"],
                      capture_output=True, text=True, timeout=60)
check(demo.returncode == 0 and "synthetic.fraud" in demo.stdout and "with synthetic" in demo.stdout,
      f"demo --duration 4 ends by itself with a summary (exit {demo.returncode})")
print(f"tools: {len(failures)} failures")
sys.exit(1 if failures else 0)

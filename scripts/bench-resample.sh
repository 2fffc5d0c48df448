#!/usr/bin/env bash
# Benchmarks `streamsmote resample`, printing figures and ratios (nothing here passes or fails):
#   1. `streamsmote-bench index bulk`: building a whole neighbour graph by plain inserts, through
#      a k-d tree and through blocked distance rows (the figures behind the strategy rule);
#   2. the engine's part (index + generate, from the hidden --timings) against imbalanced-learn's
#      SMOTE.fit_resample on the same rows (same k, same ratio), at ROWS rows of FEATURES features;
#   3. the whole `resample` process (read, parse, index, generate, write) against a Python
#      process that loads the CSV with pandas, runs fit_resample and saves the result with
#      pandas (interpreter start included, as a user would run it), at WIDTHS feature counts;
#      also against that Python process without the save, to show where the time goes.
# Medians of REPEAT runs, everything measured in the same run; data generated here with fixed seeds.
#
# Environment: SCRATCH (SwiftPM scratch path, default .build), ROWS ("10000 100000 500000"),
# FEATURES (16), MINORITY (share, 0.05), K (5), RATIO (1.0), REPEAT (5), WIDTHS
# ("8:100000 30:50000 216:14395", features:rows), BULK_POINTS (20000), BULK_FEATURES
# ("2,4,5,6,8,16,30,216"), SKIP_BULK=1 to skip part 1.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build}
ROWS=${ROWS:-"10000 100000 500000"}
FEATURES=${FEATURES:-16}
MINORITY=${MINORITY:-0.05}
K=${K:-5}
RATIO=${RATIO:-1.0}
REPEAT=${REPEAT:-5}
WIDTHS=${WIDTHS:-"8:100000 30:50000 216:14395"}

swift build -c release --scratch-path "$SCRATCH" --product streamsmote >&2
swift build -c release --scratch-path "$SCRATCH" --product streamsmote-bench >&2
BIN_DIR=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ "${SKIP_BULK:-0}" != 1 ]]; then
    echo "== whole-graph builds (streamsmote-bench index bulk)"
    "$BIN_DIR/streamsmote-bench" index bulk --points "${BULK_POINTS:-20000}" \
        --features "${BULK_FEATURES:-2,4,5,6,8,16,30,216}" --k "$K"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 - "$BIN_DIR/streamsmote" "$WORK" "$FEATURES" "$MINORITY" "$K" "$RATIO" "$REPEAT" "$ROWS" "$WIDTHS" <<'PY'
import statistics, subprocess, sys, time
import numpy as np
from imblearn.over_sampling import SMOTE

binary, work, d, share, k, ratio, repeat = (sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
                                            int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7]))
sizes = [int(s) for s in sys.argv[8].split()]
widths = [tuple(int(x) for x in w.split(":")) for w in sys.argv[9].split()]
try:
    import pandas  # noqa: F401
    have_pandas = True
except ImportError:
    have_pandas = False


def generate(path, n, d, seed):
    """Two Gaussian classes (the minority shifted by 0.8), float32 values written as %.7g."""
    rng = np.random.default_rng(seed)
    n_min = int(n * share)
    X = np.vstack([rng.normal(0, 1, (n - n_min, d)), rng.normal(0.8, 1, (n_min, d))]).astype(np.float32)
    y = np.array([0] * (n - n_min) + [1] * n_min)
    with open(path, "w") as f:
        f.write(",".join(f"f{j}" for j in range(d)) + ",label\n")
        np.savetxt(f, np.column_stack([X.astype(np.float64), y]), delimiter=",", fmt=["%.7g"] * d + ["%d"])
    return n_min


def run_ours(path, out):
    start = time.perf_counter()
    proc = subprocess.run([binary, "resample", path, "--output", out, "--label-column", "label", "--k", str(k),
                           "--ratio", str(ratio), "--seed", "1", "--quiet", "--timings"],
                          check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    phases = {name: float(value) for name, value in
              (part.split("=") for part in proc.stderr.split("timings:")[1].split())}
    return wall, phases


PYTHON_PROCESS = r"""
import sys
import pandas as pd
from imblearn.over_sampling import SMOTE
path, out, k, ratio, save = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
df = pd.read_csv(path)
X, y = df.drop(columns=["label"]), df["label"]
Xr, yr = SMOTE(sampling_strategy=ratio, k_neighbors=k, random_state=1).fit_resample(X, y)
if save:
    Xr["label"] = yr
    Xr.to_csv(out, index=False)
"""

PYTHON_PROCESS_NUMPY = r"""
import sys
import numpy as np
from imblearn.over_sampling import SMOTE
path, out, k, ratio, save = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
X, y = data[:, :-1], data[:, -1].astype(int)
Xr, yr = SMOTE(sampling_strategy=ratio, k_neighbors=k, random_state=1).fit_resample(X, y)
if save:
    np.savetxt(out, np.column_stack([Xr, yr]), delimiter=",", fmt="%.7g")
"""


def run_python(path, out, save):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", PYTHON_PROCESS if have_pandas else PYTHON_PROCESS_NUMPY, path, out, str(k),
                    str(ratio), "1" if save else "0"], check=True)
    return time.perf_counter() - start


print(f"== engine vs fit_resample (features={d}, minority={share}, k={k}, ratio={ratio}; medians of {repeat})")
print(f"{'rows':>9} {'minority':>9} {'synthetic':>10} {'index s':>9} {'generate s':>11} {'engine s':>9} "
      f"{'fit_resample s':>15} {'fit÷engine':>11}")
for n in sizes:
    path = f"{work}/rows-{n}.csv"
    n_min = generate(path, n, d, seed=n)
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    X, y = data[:, :-1], data[:, -1].astype(int)
    engine, index, gen, fit = [], [], [], []
    synthetic = 0
    for _ in range(repeat):
        _, phases = run_ours(path, f"{work}/ours-{n}.csv")
        index.append(phases["index"])
        gen.append(phases["generate"])
        engine.append(phases["index"] + phases["generate"])
        start = time.perf_counter()
        Xr, yr = SMOTE(sampling_strategy=ratio, k_neighbors=k, random_state=1).fit_resample(X, y)
        fit.append(time.perf_counter() - start)
        synthetic = len(yr) - n
    e, f = statistics.median(engine), statistics.median(fit)
    print(f"{n:>9} {n_min:>9} {synthetic:>10} {statistics.median(index):>9.3f} {statistics.median(gen):>11.3f} "
          f"{e:>9.3f} {f:>15.3f} {f / e:>10.2f}×")

saver = "pandas read_csv + fit_resample + to_csv" if have_pandas else "numpy loadtxt + fit_resample + savetxt (no pandas)"
print(f"== whole process vs Python ({saver}), interpreter start included; medians of {repeat}")
print(f"{'features':>8} {'rows':>7} {'resample s':>11} {'read':>6} {'parse':>6} {'index':>6} {'gen':>6} {'write':>6} "
      f"{'python s':>9} {'python÷ours':>12} {'python, no save s':>18} {'÷ours':>7}")
for width, n in widths:
    path = f"{work}/wide-{width}.csv"
    generate(path, n, width, seed=1000 + width)
    ours, python, python_nosave = [], [], []
    parts = {name: [] for name in ("read", "parse", "index", "generate", "write")}
    for _ in range(repeat):
        wall, phases = run_ours(path, f"{work}/ours-wide-{width}.csv")
        ours.append(wall)
        for name in parts:
            parts[name].append(phases[name])
        python.append(run_python(path, f"{work}/theirs-wide-{width}.csv", save=True))
        python_nosave.append(run_python(path, f"{work}/theirs-wide-{width}.csv", save=False))
    o, p, q = statistics.median(ours), statistics.median(python), statistics.median(python_nosave)
    phase = " ".join(f"{statistics.median(parts[name]):>6.3f}" for name in parts)
    print(f"{width:>8} {n:>7} {o:>11.3f} {phase} {p:>9.3f} {p / o:>11.2f}× {q:>18.3f} {q / o:>6.2f}×")
print("Ratios above 1 mean streamsmote is faster. engine s = resample's index + generate phases (ingesting every "
      "row, building the graphs, generating); fit_resample s = SMOTE.fit_resample alone on the loaded arrays.")
PY

#!/usr/bin/env bash
# Benchmarks the resampling engine, printing figures and ratios (nothing here passes or fails):
#   1. `streamsmote-bench index`: incremental kNN slide vs brute-force refit, SIMD vs scalar,
#      SMOTE samples per second (reservoirs of INDEX_SIZES × INDEX_DIMENSIONS);
#   2. `streamsmote resample` vs imbalanced-learn's SMOTE.fit_resample on the same CSV files
#      at several sizes, as ratios (fit_resample alone, and load + fit_resample + save).
#
# Environment: SCRATCH (SwiftPM scratch path, default .build), ROWS (default
# "10000 100000 500000"), FEATURES (16), MINORITY (share, 0.05), K (5), RATIO (1.0),
# REPEAT (best of, 3), INDEX_SIZES ("1000,10000,100000"), INDEX_DIMENSIONS ("8,30,128"), INDEX_SECONDS (3),
# SKIP_INDEX=1 to skip part 1.
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build}
ROWS=${ROWS:-"10000 100000 500000"}
FEATURES=${FEATURES:-16}
MINORITY=${MINORITY:-0.05}
K=${K:-5}
RATIO=${RATIO:-1.0}

swift build -c release --scratch-path "$SCRATCH" --product streamsmote >&2
swift build -c release --scratch-path "$SCRATCH" --product streamsmote-bench >&2
BIN_DIR=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)

if [[ "${SKIP_INDEX:-0}" != 1 ]]; then
    echo "== incremental index (streamsmote-bench index)"
    "$BIN_DIR/streamsmote-bench" index --sizes "${INDEX_SIZES:-1000,10000,100000}" \
        --dimensions "${INDEX_DIMENSIONS:-8,30,128}" --seconds "${INDEX_SECONDS:-3}"
fi

echo "== resample vs imbalanced-learn fit_resample (features=$FEATURES, minority=$MINORITY, k=$K, ratio=$RATIO)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 - "$BIN_DIR/streamsmote" "$WORK" "$FEATURES" "$MINORITY" "$K" "$RATIO" "${REPEAT:-3}" $ROWS <<'PY'
import subprocess, sys, time
import numpy as np
from imblearn.over_sampling import SMOTE

binary, work, d, share, k, ratio = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
repeat = int(sys.argv[7])
sizes = [int(s) for s in sys.argv[8:]]
print(f"{'rows':>9} {'minority':>9} {'synthetic':>10} {'resample s':>11} {'index+gen s':>12} {'fit s':>8} {'load+fit+save s':>16} {'fit÷engine':>11} {'total÷resample':>15}")
for n in sizes:
    rng = np.random.default_rng(n)
    n_min = int(n * share)
    X = np.vstack([rng.normal(0, 1, (n - n_min, d)), rng.normal(0.8, 1, (n_min, d))]).astype(np.float32)
    y = np.array([0] * (n - n_min) + [1] * n_min)
    path = f"{work}/in-{n}.csv"
    with open(path, "w") as f:
        f.write(",".join(f"f{j}" for j in range(d)) + ",label\n")
        np.savetxt(f, np.column_stack([X.astype(np.float64), y]), delimiter=",",
                   fmt=["%.7g"] * d + ["%d"])
    # Best of `repeat` runs each, to damp noise from other work on the machine.
    ours = engine = fit = total = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run([binary, "resample", path, "--output", f"{work}/ours-{n}.csv", "--label-column", "label",
                               "--k", str(k), "--ratio", str(ratio), "--seed", "1", "--quiet", "--timings"],
                              check=True, capture_output=True, text=True)
        ours = min(ours, time.perf_counter() - start)
        phases = dict(part.split("=") for part in proc.stderr.split("timings:")[1].split())
        engine = min(engine, float(phases["index"]) + float(phases["generate"]))
        start = time.perf_counter()
        data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
        Xl, yl = data[:, :-1], data[:, -1].astype(int)
        fit_start = time.perf_counter()
        Xr, yr = SMOTE(sampling_strategy=ratio, k_neighbors=k, random_state=1).fit_resample(Xl, yl)
        fit = min(fit, time.perf_counter() - fit_start)
        np.savetxt(f"{work}/theirs-{n}.csv", np.column_stack([Xr, yr]), delimiter=",", fmt="%.7g")
        total = min(total, time.perf_counter() - start)
    print(f"{n:>9} {n_min:>9} {len(yr) - n:>10} {ours:>11.3f} {engine:>12.3f} {fit:>8.3f} {total:>16.3f} "
          f"{fit / engine:>10.2f}× {total / ours:>14.2f}×")
print(f"best of {repeat} runs each. resample s = whole process (read, parse, index, generate, write); index+gen s = "
      "the engine's part (hidden --timings); fit s = fit_resample alone; load+fit+save = numpy loadtxt + fit_resample + savetxt. "
      "Ratios above 1 mean streamsmote is faster.")
PY

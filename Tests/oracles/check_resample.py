#!/usr/bin/env python3
"""External oracle for `streamsmote resample` (and through it, the engine's kNN index).

Usage: check_resample.py PATH/TO/streamsmote   (or set STREAMSMOTE_BIN)

On generated data (Gaussian blobs, a grid with many duplicates and distance ties, three
classes, per-feature weights) it checks that:
  1. neighbours: every minority row's k neighbours (hidden `--dump-neighbors FILE` option)
     agree with scikit-learn's NearestNeighbors, allowing ties at the k-th distance;
  2. counts: per-class synthetic counts equal imbalanced-learn's SMOTE(sampling_strategy=R,
     k_neighbors=k).fit_resample (a dict strategy with the same formula for 3 classes);
  3. segments: every synthetic row lies on a segment from a minority row to one of that
     row's exact k nearest neighbours (found with scikit-learn, float32 tolerance), and its
     provenance (seed, neighbour, gap) reproduces it;
  4. the real rows are copied verbatim, the `synthetic` column is right;
  5. the same seed gives byte-identical files, another seed a different file;
  6. every index strategy (one insert per row, a k-d tree, blocked distance rows; hidden
     `--index-strategy`) gives the same bytes and neighbour lists, on data sets large enough
     (hundreds of minority rows) that the default builds them in bulk;
  7. bad rows fail with a message naming the line.
Exits non-zero on any disagreement, with a closing summary.
"""
import collections
import csv
import os
import subprocess
import sys
import tempfile

import numpy as np
from imblearn.over_sampling import SMOTE
from sklearn.neighbors import NearestNeighbors

BIN = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("STREAMSMOTE_BIN")
if not BIN:
    sys.exit("usage: check_resample.py PATH/TO/streamsmote (or STREAMSMOTE_BIN)")

checks = 0
failures = []


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        failures.append(message)
        if len(failures) <= 20:
            print("FAIL:", message)


def write_csv(path, X, y, ids=None):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        header = (["id"] if ids is not None else []) + [f"f{j}" for j in range(X.shape[1])] + ["label"]
        w.writerow(header)
        for i in range(len(y)):
            row = ([ids[i]] if ids is not None else []) + [repr(float(v)) for v in X[i]] + [y[i]]
            w.writerow(row)


def run(args, expect_ok=True):
    proc = subprocess.run([BIN, "resample", *args], capture_output=True, text=True)
    if expect_ok and proc.returncode != 0:
        print(proc.stderr)
    return proc


def read_output(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def dataset(name, rng):
    if name == "blobs":
        n_maj, n_min, d = 360, 40, 4
        X = np.vstack([rng.normal(0, 1, (n_maj, d)), rng.normal(1.5, 0.7, (n_min, d))])
        y = ["ok"] * n_maj + ["fraud"] * n_min
        return X.astype(np.float32), y, dict(k=5, ratio=1.0, weights=None)
    if name == "grid-ties":
        n_maj, n_min, d = 240, 60, 3
        X = np.vstack([rng.integers(0, 4, (n_maj, d)), rng.integers(0, 3, (n_min, d))])
        y = ["0"] * n_maj + ["1"] * n_min
        return X.astype(np.float32), y, dict(k=5, ratio=0.6, weights=None)
    if name == "three-classes":
        d = 6
        X = np.vstack([rng.normal(0, 1, (500, d)), rng.normal(2, 1, (60, d)), rng.normal(-2, 0.5, (25, d))])
        y = ["ok"] * 500 + ["a"] * 60 + ["b"] * 25
        return X.astype(np.float32), y, dict(k=3, ratio=0.8, weights=None)
    if name == "weighted":
        d = 5
        X = np.vstack([rng.normal(0, 1, (300, d)), rng.normal(1, 1, (50, d))])
        y = ["neg"] * 300 + ["pos"] * 50
        return X.astype(np.float32), y, dict(k=4, ratio=0.9, weights=[1.0, 0.5, 2.0, 1.0, 0.0])
    # Large enough (at least 256 minority rows) that the graphs are built in bulk: through a
    # k-d tree (up to 5 features) or blocked distance rows (more).
    if name == "bulk-tree":
        n_maj, n_min, d = 1500, 600, 4
        X = np.vstack([rng.normal(0, 1, (n_maj, d)), rng.normal(1.0, 0.8, (n_min, d))])
        y = ["ok"] * n_maj + ["fraud"] * n_min
        return X.astype(np.float32), y, dict(k=5, ratio=1.0, weights=None)
    if name == "bulk-grid-ties":
        n_maj, n_min, d = 900, 400, 3
        X = np.vstack([rng.integers(0, 5, (n_maj, d)), rng.integers(0, 4, (n_min, d))])
        y = ["0"] * n_maj + ["1"] * n_min
        return X.astype(np.float32), y, dict(k=4, ratio=0.7, weights=None)
    if name == "bulk-blocked":
        n_maj, n_min, d = 900, 350, 40
        X = np.vstack([rng.normal(0, 1, (n_maj, d)), rng.normal(0.5, 1, (n_min, d))])
        y = ["neg"] * n_maj + ["pos"] * n_min
        return X.astype(np.float32), y, dict(k=5, ratio=0.8, weights=[1.0 + (j % 3) * 0.5 for j in range(d)])
    raise ValueError(name)


def exact_knn(Xc, k):
    """Per row: sklearn's k neighbours, the k-th distance, and all distances (for ties)."""
    nn = NearestNeighbors(n_neighbors=k).fit(Xc)
    dist, ind = nn.kneighbors()  # no X: a point is not its own neighbour
    return dist, ind


def check_dataset(name, rng, workdir, use_ids):
    X, y, p = dataset(name, rng)
    k, ratio, weights = p["k"], p["ratio"], p["weights"]
    y = np.array(y)
    ids = [f"row-{i}" for i in range(len(y))] if use_ids else None
    inp = os.path.join(workdir, f"{name}.csv")
    out = os.path.join(workdir, f"{name}.out.csv")
    dump = os.path.join(workdir, f"{name}.nb.csv")
    write_csv(inp, X, y, ids)
    args = [inp, "--output", out, "--label-column", "label", "--k", str(k), "--ratio", str(ratio),
            "--seed", "7", "--provenance", "--dump-neighbors", dump, "--quiet"]
    if use_ids:
        args += ["--id-column", "id"]
    if weights is not None:
        args += ["--feature-weights", ",".join(str(w) for w in weights)]
    proc = run(args)
    check(proc.returncode == 0, f"{name}: resample exited {proc.returncode}: {proc.stderr.strip()}")
    if proc.returncode != 0:
        return
    key_of = {(ids[i] if use_ids else str(i)): i for i in range(len(y))}
    X64 = X.astype(np.float64)
    W = np.array(weights if weights is not None else [1.0] * X.shape[1])
    counts = collections.Counter(y.tolist())
    majority = max(counts, key=counts.get)
    minority = sorted(c for c in counts if counts[c] < counts[majority])

    # 1. neighbour lists against scikit-learn.
    dumped = {}
    with open(dump, newline="") as f:
        for row in csv.DictReader(f):
            dumped[row["id"]] = [key_of[t] for t in row["neighbors"].split()]
    allowed = {}  # row index -> set of acceptable neighbour indices (ties included)
    for c in minority:
        idx = np.flatnonzero(y == c)
        Xc = X64[idx] * W
        dist, ind = exact_knn(Xc, k)
        full = np.sqrt(((Xc[:, None, :] - Xc[None, :, :]) ** 2).sum(-1))
        for r, i in enumerate(idx):
            kth = dist[r, -1]
            tol = 1e-5 * max(1.0, kth)
            ok_set = {int(idx[j]) for j in np.flatnonzero(full[r] <= kth + tol) if j != r}
            sure_set = {int(idx[j]) for j in np.flatnonzero(full[r] < kth - tol) if j != r}
            allowed[int(i)] = ok_set
            key = ids[i] if use_ids else str(i)
            mine = dumped.get(key)
            check(mine is not None, f"{name}: no neighbour list for row {key}")
            if mine is None:
                continue
            check(len(mine) == k and len(set(mine)) == k and i not in mine,
                  f"{name}: row {key}: malformed neighbour list {mine}")
            check(set(mine) <= ok_set and sure_set <= set(mine),
                  f"{name}: row {key}: neighbours {sorted(mine)} vs sklearn {sorted(int(idx[j]) for j in ind[r])}")
            mine_d = np.sort(np.sqrt(((X64[mine] * W - X64[i] * W) ** 2).sum(-1)))
            check(np.allclose(mine_d, dist[r], rtol=1e-5, atol=1e-6),
                  f"{name}: row {key}: neighbour distances {mine_d} vs sklearn {dist[r]}")
    check(len(dumped) == sum(counts[c] for c in minority), f"{name}: dump has {len(dumped)} rows")

    # 2. counts against imbalanced-learn.
    rows = read_output(out)
    synthetic = [r for r in rows if r["synthetic"] == "1"]
    real = [r for r in rows if r["synthetic"] == "0"]
    ours = collections.Counter(r["label"] for r in synthetic)
    if len(counts) == 2:
        strategy = ratio
    else:  # imbalanced-learn's float strategy is binary-only; same formula as a dict
        strategy = {c: counts[c] + int(counts[majority] * ratio - counts[c]) for c in minority}
    _, y_res = SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=0).fit_resample(X64, y)
    theirs = collections.Counter(y_res.tolist()) - counts
    check(dict(ours) == dict(theirs), f"{name}: synthetic counts {dict(ours)} vs imbalanced-learn {dict(theirs)}")

    # 4. real rows verbatim and first.
    with open(inp) as f:
        input_lines = f.read().splitlines()
    with open(out) as f:
        output_lines = f.read().splitlines()
    check(output_lines[0].startswith(input_lines[0] + ",synthetic"), f"{name}: header {output_lines[0]}")
    check(all(output_lines[1 + i].startswith(input_lines[1 + i] + ",0") for i in range(len(y))),
          f"{name}: real rows are not copied verbatim first")
    check(len(real) == len(y), f"{name}: {len(real)} real rows, expected {len(y)}")

    # 3. every synthetic row on a segment to an exact neighbour; provenance reproduces it.
    fcols = [f"f{j}" for j in range(X.shape[1])]
    S = np.array([[float(r[c]) for c in fcols] for r in synthetic]) if synthetic else np.zeros((0, X.shape[1]))
    on_segment = 0
    for c in minority:
        idx = [i for i in np.flatnonzero(y == c)]
        pairs = [(s, n) for s in idx for n in sorted(allowed[int(s)])]
        A = X64[[s for s, _ in pairs]]
        B = X64[[n for _, n in pairs]]
        D = B - A
        norm2 = np.maximum((D ** 2).sum(-1), 1e-30)
        for r, x in zip(synthetic, S):
            if r["label"] != c:
                continue
            t = np.clip(((x - A) * D).sum(-1) / norm2, 0.0, 1.0)
            gap_to_segment = np.sqrt(((A + t[:, None] * D - x) ** 2).sum(-1)).min()
            scale = max(1.0, float(np.abs(x).max()))
            if gap_to_segment <= 1e-5 * scale:
                on_segment += 1
            else:
                check(False, f"{name}: synthetic row {r} is {gap_to_segment} away from every seed→neighbour segment")
            seed, nb, gap = key_of[r["origin_seed"]], key_of[r["origin_neighbor"]], float(r["origin_gap"])
            check(0.0 <= gap < 1.0, f"{name}: gap {gap} outside [0, 1)")
            check(y[seed] == c and y[nb] == c, f"{name}: provenance crosses classes")
            check(nb in allowed[seed], f"{name}: neighbour {nb} is not among seed {seed}'s k nearest")
            expected = (X[seed] + np.float32(gap) * (X[nb] - X[seed])).astype(np.float64)
            check(np.allclose(x, expected, rtol=1e-6, atol=1e-6), f"{name}: row {x} != seed + gap·(nb − seed) {expected}")
    check(on_segment == len(synthetic), f"{name}: {on_segment}/{len(synthetic)} synthetic rows on a segment")

    # 5. reproducibility.
    again = os.path.join(workdir, f"{name}.again.csv")
    other = os.path.join(workdir, f"{name}.other.csv")
    run([*args[:2], again, *args[3:]])
    seed_at = args.index("--seed") + 1
    run([*args[:2], other, *args[3:seed_at], "8", *args[seed_at + 1:]])
    with open(out, "rb") as a, open(again, "rb") as b, open(other, "rb") as o:
        first, second, third = a.read(), b.read(), o.read()
    check(first == second, f"{name}: two runs with one seed differ")
    check(len(synthetic) == 0 or first != third, f"{name}: seeds 7 and 8 give the same output")

    # 6. the graphs built in bulk (k-d tree, blocked rows) are the graphs built by one insert
    #    per row: every index strategy gives the same bytes and the same neighbour lists.
    dump_at = args.index("--dump-neighbors") + 1
    with open(dump, "rb") as f:
        first_dump = f.read()
    for strategy in ["scan", "kd-tree", "blocked"]:
        path = os.path.join(workdir, f"{name}.{strategy}.csv")
        path_dump = os.path.join(workdir, f"{name}.{strategy}.nb.csv")
        changed = [*args[:2], path, *args[3:dump_at], path_dump, *args[dump_at + 1:], "--index-strategy", strategy]
        proc = run(changed)
        check(proc.returncode == 0, f"{name}: --index-strategy {strategy} exited {proc.returncode}")
        with open(path, "rb") as a, open(path_dump, "rb") as b:
            check(a.read() == first, f"{name}: --index-strategy {strategy} changes the output")
            check(b.read() == first_dump, f"{name}: --index-strategy {strategy} changes the neighbour lists")
    print(f"  {name}: {len(y)} rows, {len(minority)} minority class(es), {len(synthetic)} synthetic, "
          f"neighbour lists {len(dumped)}, counts {dict(ours)}")


def check_bad_input(workdir):
    cases = {
        "not-a-number": ("a,b,label\n1,2,x\n3,4,y\n5,oops,x\n", "line 4", "not a number"),
        "non-finite": ("a,b,label\n1,2,x\n3,inf,y\n", "line 3", "not finite"),
        "field-count": ("a,b,label\n1,2,x\n3,4\n", "line 3", "expected 3 fields"),
        "quote": ("a,b,label\n1,2,x\n\"3,4,y\n", "line 3", "unterminated"),
        "empty": ("a,b,label\n1,,x\n", "line 2", "empty"),
    }
    for name, (text, where, what) in cases.items():
        path = os.path.join(workdir, f"bad-{name}.csv")
        with open(path, "w") as f:
            f.write(text)
        proc = run([path, "--output", path + ".out", "--label-column", "label", "--k", "1"], expect_ok=False)
        check(proc.returncode != 0, f"bad input {name}: exit status 0")
        check(where in proc.stderr and what in proc.stderr, f"bad input {name}: message {proc.stderr.strip()!r}")
    print(f"  bad input: {len(cases)} cases")


def main():
    rng = np.random.default_rng(20261129)
    with tempfile.TemporaryDirectory() as workdir:
        for name, use_ids in [("blobs", False), ("grid-ties", True), ("three-classes", False), ("weighted", False),
                              ("bulk-tree", False), ("bulk-grid-ties", True), ("bulk-blocked", False)]:
            check_dataset(name, rng, workdir, use_ids)
        check_bad_input(workdir)
    status = "OK" if not failures else "FAILED"
    print(f"check_resample: {status}: {checks} checks, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""External oracle for the SMOTE variants of `streamsmote resample`, against imbalanced-learn.

Usage: check_variants.py PATH/TO/streamsmote   (or set STREAMSMOTE_BIN)

On generated static data (overlapping Gaussian blobs, two and three classes):
  1. Borderline-SMOTE 1 and 2: every minority row's danger status (hidden `--dump-danger`)
     equals BorderlineSMOTE(m_neighbors=m).in_danger_indices; synthetic counts equal
     imbalanced-learn's; every synthetic row's seed is a danger row; kind 1 interpolates to a
     same-class k-neighbour, kind 2 to any-class k-neighbour with λ < 0.5 towards another class;
  2. ADASYN: per-seed synthetic counts (from provenance) equal imbalanced-learn's allocation
     rint(r_i / Σr × n) (its own code path, with the total checked against ADASYN.fit_resample);
  3. SMOTE-NC: neighbour lists and distances (`--dump-neighbors`) equal scikit-learn's
     NearestNeighbors on imbalanced-learn's SMOTENC encoding (continuous features + one-hot
     scaled by median_std_/√2); every synthetic categorical value is a most frequent value
     among its seed's k neighbours; counts equal SMOTENC's;
  4. cleaning: with --clean enn no synthetic row has a majority of other-class rows among
     its 3 nearest real rows; with --clean tomek none forms a Tomek link with a real row of
     another class; both drop something on overlapping data.
Exits non-zero on any disagreement.
"""
import collections
import csv
import os
import subprocess
import sys
import tempfile

import numpy as np
from imblearn.over_sampling import ADASYN, SMOTENC, BorderlineSMOTE
from sklearn.neighbors import NearestNeighbors

BIN = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("STREAMSMOTE_BIN")
if not BIN:
    sys.exit("usage: check_variants.py PATH/TO/streamsmote (or STREAMSMOTE_BIN)")

checks = 0
failures = []


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        failures.append(message)
        if len(failures) <= 25:
            print("FAIL:", message)


def write_csv(path, X, y, cats=None):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        ncat = 0 if cats is None else cats.shape[1]
        w.writerow([f"f{j}" for j in range(X.shape[1])] + [f"c{j}" for j in range(ncat)] + ["label"])
        for i in range(len(y)):
            row = [repr(float(v)) for v in X[i]]
            if cats is not None:
                row += list(cats[i])
            w.writerow(row + [y[i]])


def resample(inp, out, extra):
    args = [BIN, "resample", inp, "--output", out, "--label-column", "label", "--seed", "3",
            "--provenance", "--quiet", *extra]
    proc = subprocess.run(args, capture_output=True, text=True)
    check(proc.returncode == 0, f"{' '.join(extra)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc.returncode == 0


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def blobs(rng, sizes, d, centres, spread):
    X = np.vstack([rng.normal(c, s, (n, d)) for n, c, s in zip(sizes, centres, spread)]).astype(np.float32)
    labels = ["ok", "fraud", "fault"]
    y = np.array(sum(([labels[i]] * n for i, n in enumerate(sizes)), []))
    return X, y


def counts_vs(name, rows, y, y_res):
    ours = collections.Counter(r["label"] for r in rows if r["synthetic"] == "1")
    theirs = collections.Counter(y_res.tolist()) - collections.Counter(y.tolist())
    check(dict(ours) == dict(theirs), f"{name}: synthetic counts {dict(ours)} vs imbalanced-learn {dict(theirs)}")
    return ours


def knn_sets(X, idx_fit, k):
    """Per fitted row: sklearn's k neighbours (self dropped) as sets, allowing ties at the k-th."""
    Xf = X[idx_fit].astype(np.float64)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(Xf)
    dist, ind = nn.kneighbors(Xf)
    full = np.sqrt(((Xf[:, None, :] - Xf[None, :, :]) ** 2).sum(-1))
    allowed = {}
    for r in range(len(idx_fit)):
        kth = dist[r, -1]
        allowed[int(idx_fit[r])] = {int(idx_fit[j]) for j in np.flatnonzero(full[r] <= kth + 1e-5 * max(1, kth)) if j != r}
    return allowed


def check_borderline(rng, workdir, kind, three):
    name = f"{kind}{'-3cls' if three else ''}"
    if three:
        X, y = blobs(rng, [400, 70, 40], 3, [0.0, 0.9, -1.0], [1.0, 0.8, 0.7])
    else:
        X, y = blobs(rng, [400, 80], 4, [0.0, 1.0], [1.0, 0.8])
    m, k = 10, 5
    inp, out, dump = (os.path.join(workdir, f"{name}{s}") for s in (".csv", ".out.csv", ".danger.csv"))
    write_csv(inp, X, y)
    if not resample(inp, out, ["--variant", kind, "--m-neighbors", str(m), "--k", str(k), "--dump-danger", dump]):
        return
    counts = collections.Counter(y.tolist())
    majority = max(counts, key=counts.get)
    minority = sorted(c for c in counts if c != majority)
    strategy = "auto" if not three else {c: counts[majority] for c in minority}
    sm = BorderlineSMOTE(kind=kind, m_neighbors=m, k_neighbors=k, random_state=0, sampling_strategy=strategy)
    _, y_res = sm.fit_resample(X.astype(np.float64), y)
    ours = {r["id"]: r for r in read_rows(dump)}
    total_danger = 0
    for c in minority:
        theirs = set(int(i) for i in sm.in_danger_indices.get(c, []))
        mine = {int(i) for i, r in ours.items() if r["label"] == c and r["danger"] == "1"}
        total_danger += len(mine)
        check(mine == theirs, f"{name}/{c}: danger set differs: only ours {sorted(mine - theirs)[:10]}, "
                              f"only theirs {sorted(theirs - mine)[:10]} ({len(mine)} vs {len(theirs)})")
    rows = read_rows(out)
    synth = [r for r in rows if r["synthetic"] == "1"]
    counts_vs(name, rows, y, y_res)
    # Generation rule.
    all_idx = np.arange(len(y))
    any_class = knn_sets(X, all_idx, k)
    same_class = {}
    for c in minority:
        same_class.update(knn_sets(X, np.flatnonzero(y == c), k))
    fcols = [f"f{j}" for j in range(X.shape[1])]
    for r in synth:
        s, nb, gap = int(r["origin_seed"]), int(r["origin_neighbor"]), float(r["origin_gap"])
        check(ours[str(s)]["danger"] == "1", f"{name}: seed {s} is not a danger row")
        allowed = same_class[s] if kind == "borderline-1" else any_class[s]
        check(nb in allowed, f"{name}: neighbour {nb} is not among seed {s}'s k nearest")
        if y[nb] != y[s]:
            check(kind == "borderline-2" and gap < 0.5, f"{name}: λ {gap} towards another class")
        x = np.array([float(r[c]) for c in fcols])
        expected = X[s] + np.float32(gap) * (X[nb] - X[s])
        check(np.allclose(x, expected, rtol=1e-6, atol=1e-6), f"{name}: row not at seed + λ·(nb − seed)")
    print(f"  {name}: {len(y)} rows, {total_danger} danger rows, {len(synth)} synthetic")


def numpy_allocation(X, y, c, k, n):
    """imbalanced-learn ADASYN's per-seed allocation, its own lines."""
    nn = NearestNeighbors(n_neighbors=k + 1).fit(X)
    idx = np.flatnonzero(y == c)
    nns = nn.kneighbors(X[idx], return_distance=False)[:, 1:]
    ratio_nn = np.sum(y[nns] != c, axis=1) / k
    ratio_nn /= np.sum(ratio_nn)
    return idx, np.rint(ratio_nn * n).astype(int)


def check_adasyn(rng, workdir):
    for name, sizes, centres in [("adasyn", [400, 70], [0.0, 1.0]), ("adasyn-far", [300, 50], [0.0, 2.5])]:
        X, y = blobs(rng, sizes, 3, centres, [1.0, 0.8])
        k = 5
        inp, out, dump = (os.path.join(workdir, f"{name}{s}") for s in (".csv", ".out.csv", ".w.csv"))
        write_csv(inp, X, y)
        if not resample(inp, out, ["--variant", "adasyn", "--k", str(k), "--dump-danger", dump]):
            continue
        X64 = X.astype(np.float64)
        n = sizes[0] - sizes[1]
        idx, alloc = numpy_allocation(X64, y, "fraud", k, n)
        _, y_res = ADASYN(n_neighbors=k, random_state=0).fit_resample(X64, y)
        check(int(alloc.sum()) == len(y_res) - len(y), f"{name}: allocation formula total {alloc.sum()} vs ADASYN {len(y_res) - len(y)}")
        rows = read_rows(out)
        synth = [r for r in rows if r["synthetic"] == "1"]
        per_seed = collections.Counter(int(r["origin_seed"]) for r in synth)
        bad = [(int(i), int(a), per_seed.get(int(i), 0)) for i, a in zip(idx, alloc) if per_seed.get(int(i), 0) != a]
        check(not bad, f"{name}: per-seed counts differ at {len(bad)} seeds, e.g. (row, imblearn, ours) {bad[:5]}")
        check(len(synth) == len(y_res) - len(y), f"{name}: {len(synth)} synthetic vs ADASYN {len(y_res) - len(y)}")
        weights = {int(r["id"]): int(r["other"]) for r in read_rows(dump)}
        nn = NearestNeighbors(n_neighbors=k + 1).fit(X64)
        theirs = (y[nn.kneighbors(X64[idx], return_distance=False)[:, 1:]] != "fraud").sum(1)
        check(all(weights[int(i)] == int(t) for i, t in zip(idx, theirs)), f"{name}: other-class counts differ")
        print(f"  {name}: {len(y)} rows, {len(synth)} synthetic over {len(per_seed)} seeds")


def check_smotenc(rng, workdir):
    for name, ncat, k in [("smotenc", 2, 5), ("smotenc-3cat", 3, 4)]:
        n_maj, n_min, d = 300, 60, 3
        X, y = blobs(rng, [n_maj, n_min], d, [0.0, 1.0], [1.0, [0.5, 1.5, 3.0][:d]])
        cats = np.empty((len(y), ncat), dtype=object)
        for j in range(ncat):
            levels = 2 + j
            cats[:, j] = [f"v{int(v)}" for v in rng.integers(0, levels, len(y))]
        inp, out, dump = (os.path.join(workdir, f"{name}{s}") for s in (".csv", ".out.csv", ".nb.csv"))
        write_csv(inp, X, y, cats)
        ccols = [f"c{j}" for j in range(ncat)]
        if not resample(inp, out, ["--variant", "smotenc", "--categorical", *ccols, "--k", str(k), "--dump-neighbors", dump]):
            continue
        Xmix = np.empty((len(y), d + ncat), dtype=object)
        Xmix[:, :d] = X.astype(np.float64)
        Xmix[:, d:] = cats
        sm = SMOTENC(categorical_features=list(range(d, d + ncat)), k_neighbors=k, random_state=0)
        _, y_res = sm.fit_resample(Xmix, y)
        med = sm.median_std_["fraud"]
        idx = np.flatnonzero(y == "fraud")
        onehot = np.hstack([(cats[idx, j][:, None] == np.unique(cats[:, j])[None, :]).astype(float) for j in range(ncat)])
        enc = np.hstack([X[idx].astype(np.float64), onehot * med / np.sqrt(2)])
        nn = NearestNeighbors(n_neighbors=k + 1).fit(enc)
        dist, ind = nn.kneighbors(enc)
        full = np.sqrt(((enc[:, None, :] - enc[None, :, :]) ** 2).sum(-1))
        pos = {int(i): r for r, i in enumerate(idx)}
        dumped = {int(r["id"]): r for r in read_rows(dump)}
        for r, i in enumerate(idx):
            mine = [int(t) for t in dumped[int(i)]["neighbors"].split()]
            mine_d = np.array([float(t) for t in dumped[int(i)]["distances"].split()])
            kth = dist[r, -1]
            ok = {int(idx[j]) for j in np.flatnonzero(full[r] <= kth + 1e-4 * max(1, kth)) if j != r}
            check(set(mine) <= ok and len(mine) == k, f"{name}: row {i}: neighbours {mine} vs sklearn {sorted(int(idx[j]) for j in ind[r, 1:])}")
            check(np.allclose(mine_d, dist[r, 1:], rtol=1e-4, atol=1e-5), f"{name}: row {i}: distances {mine_d} vs sklearn {dist[r, 1:]}")
        rows = read_rows(out)
        synth = [r for r in rows if r["synthetic"] == "1"]
        counts_vs(name, rows, y, y_res)
        for s in synth:
            seed = int(s["origin_seed"])
            nbs = [int(t) for t in dumped[seed]["neighbors"].split()]
            check(int(s["origin_neighbor"]) in nbs, f"{name}: neighbour not among the seed's k")
            for j, col in enumerate(ccols):
                tally = collections.Counter(cats[nbs, j])
                best = max(tally.values())
                check(tally.get(s[col], 0) == best, f"{name}: {col}={s[col]} is not a most frequent value {dict(tally)}")
        print(f"  {name}: {len(y)} rows, {ncat} categorical, median std {med:.4f}, {len(synth)} synthetic")


def check_cleaning(rng, workdir):
    X, y = blobs(rng, [400, 80], 3, [0.0, 0.6], [1.0, 1.0])
    inp = os.path.join(workdir, "clean.csv")
    write_csv(inp, X, y)
    X64 = X.astype(np.float64)
    fcols = [f"f{j}" for j in range(X.shape[1])]
    plain = os.path.join(workdir, "clean.plain.csv")
    resample(inp, plain, ["--k", "5"])
    n_plain = sum(r["synthetic"] == "1" for r in read_rows(plain))
    nn_all = NearestNeighbors(n_neighbors=2).fit(X64)
    nearest_of_real = nn_all.kneighbors(X64)[0][:, 1]
    for mode in ["enn", "tomek"]:
        out = os.path.join(workdir, f"clean.{mode}.csv")
        if not resample(inp, out, ["--k", "5", "--clean", mode]):
            continue
        synth = [r for r in read_rows(out) if r["synthetic"] == "1"]
        S = np.array([[float(r[c]) for c in fcols] for r in synth])
        dist, ind = NearestNeighbors(n_neighbors=3).fit(X64).kneighbors(S)
        for s, (dd, ii) in enumerate(zip(dist, ind)):
            if mode == "enn":
                other = int((y[ii] != "fraud").sum())
                check(other <= 1, f"enn: synthetic row {s} has {other} of 3 nearest in another class")
            else:
                b = ii[0]
                if y[b] != "fraud":
                    check(dd[0] >= nearest_of_real[b] * (1 - 1e-5), f"tomek: synthetic row {s} forms a Tomek link with row {b}")
        check(len(synth) < n_plain, f"{mode}: nothing dropped ({len(synth)} vs {n_plain})")
        print(f"  clean {mode}: {len(synth)} kept of {n_plain} attempts")


def main():
    rng = np.random.default_rng(20261129)
    with tempfile.TemporaryDirectory() as workdir:
        for kind in ["borderline-1", "borderline-2"]:
            check_borderline(rng, workdir, kind, three=False)
        check_borderline(rng, workdir, "borderline-1", three=True)
        check_adasyn(rng, workdir)
        check_smotenc(rng, workdir)
        check_cleaning(rng, workdir)
    print(f"check_variants: {'OK' if not failures else 'FAILED'}: {checks} checks, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

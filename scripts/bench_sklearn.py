#!/usr/bin/env python3
"""scikit-learn side-by-side benchmark (issue 3), driven by scripts/bench-sklearn.sh.

Fits sklearn's RandomForestClassifier on the feature matrices that
`faceforest export` wrote, times it, predicts the 50 test photos one photo at a
time, then runs `faceforest fit-npy` on exactly the same matrices, scores both
probability arrays with `faceforest score-probs`, and prints a markdown table
(JSON goes to <out>/sklearn-vs-faceforest.json).

Run it through scripts/bench-sklearn.sh, which makes the venv, builds the CLI
and exports the features; this file only needs numpy and scikit-learn.
"""
import argparse
import gc
import json
import os
import pickle
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier

N_CLASSES = 8


def log(msg):
    print(f"\033[1m[bench-sklearn]\033[0m {msg}", file=sys.stderr, flush=True)


class _CountingSink:
    """File-like sink that only counts bytes: pickle.dump into it yields exactly
    len(pickle.dumps(obj, protocol=5)) without holding a multi-GB bytes object."""

    def __init__(self):
        self.n = 0

    def write(self, b):
        n = len(memoryview(b).cast("B"))
        self.n += n
        return n


def pickled_size(obj):
    sink = _CountingSink()
    pickle.dump(obj, sink, protocol=5)
    return sink.n


def subsampled_dir(features: Path, out: Path, fraction: float, seed: int) -> Path:
    """Write a features folder whose training rows are a seeded uniform subsample
    (test matrices and meta.json are symlinked: score-probs needs the full test set)."""
    d = out / f"features-sub{fraction:g}-seed{seed}"
    d.mkdir(parents=True, exist_ok=True)
    for name in ("X_test.npy", "y_test.npy", "meta.json"):
        link = d / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to((features / name).resolve())
    X = np.load(features / "X_train.npy", mmap_mode="r")
    y = np.load(features / "y_train.npy")
    n = len(y)
    k = max(1, int(round(n * fraction)))
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(n, size=k, replace=False))
    np.save(d / "X_train.npy", np.ascontiguousarray(X[idx], dtype=np.float32))
    np.save(d / "y_train.npy", y[idx])
    log(f"subsample {fraction:g}: {k:,} of {n:,} training rows -> {d}")
    return d


def class_order_probs(clf, proba):
    """predict_proba's columns follow clf.classes_; put them in class order 0..7,
    with zeros for classes absent from the training labels."""
    out = np.zeros((proba.shape[0], N_CLASSES), dtype=np.float32)
    for col, c in enumerate(clf.classes_):
        out[:, int(c)] = proba[:, col]
    return out


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        return [
            {k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for p in threadpool_info()
        ]
    except Exception as e:  # noqa: BLE001 - informational only
        return [{"error": repr(e)}]


def run_sklearn(features: Path, out: Path, trees: int, n_jobs: int, seed: int, size: int):
    X = np.load(features / "X_train.npy")
    y = np.load(features / "y_train.npy")
    Xt = np.load(features / "X_test.npy")
    per_image = size * size
    if Xt.shape[0] % per_image:
        raise SystemExit(f"X_test has {Xt.shape[0]} rows, not a multiple of {size}²")
    n_images = Xt.shape[0] // per_image
    log(f"sklearn {sklearn.__version__}: fitting {trees} trees on X {X.shape} (n_jobs={n_jobs})")
    clf = RandomForestClassifier(
        n_estimators=trees,
        max_features="sqrt",
        max_depth=None,
        bootstrap=True,
        n_jobs=n_jobs,
        random_state=seed,
    )
    t0 = time.perf_counter()
    clf.fit(X, y)
    fit_s = time.perf_counter() - t0
    log(f"sklearn fit: {fit_s:.2f} s")
    del X, y
    gc.collect()

    # Warm once (like fit-npy does), then time each test photo on its own.
    clf.predict_proba(Xt[:per_image])
    probs = np.empty((Xt.shape[0], N_CLASSES), dtype=np.float32)
    t1 = time.perf_counter()
    for i in range(n_images):
        sl = slice(i * per_image, (i + 1) * per_image)
        probs[sl] = class_order_probs(clf, clf.predict_proba(Xt[sl]))
    predict_s = time.perf_counter() - t1
    log(f"sklearn predict: {1000 * predict_s / n_images:.1f} ms per image")
    probs_path = out / "sklearn_probs.npy"
    np.save(probs_path, probs)
    del probs, Xt

    nodes = int(sum(e.tree_.node_count for e in clf.estimators_))
    max_depth = int(max(e.tree_.max_depth for e in clf.estimators_))
    log("pickling sklearn model (protocol 5) to measure its size")
    model_bytes = pickled_size(clf)
    del clf
    gc.collect()
    return {
        "fit_seconds": fit_s,
        "predict_seconds_per_image": predict_s / n_images,
        "model_bytes": model_bytes,
        "nodes": nodes,
        "max_depth": max_depth,
        "n_jobs": n_jobs,
        "threads": os.cpu_count() if n_jobs == -1 else n_jobs,
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "blas": blas_info(),
        "probs": str(probs_path),
    }, n_images


def run_ours(cli: str, features: Path, out: Path, trees: int, threads, seed: int):
    probs_path = out / "ours_probs.npy"
    cmd = [cli, "fit-npy", str(features), "--trees", str(trees), "--seed", str(seed), "--probs", str(probs_path)]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    log("ours: " + " ".join(cmd))
    res = json.loads(_last_json_line(subprocess.run(cmd, check=True, capture_output=True, text=True)))
    res["probs"] = str(probs_path)
    return res


def score(cli: str, features: Path, probs: str):
    cmd = [cli, "score-probs", str(features), probs]
    log("score: " + " ".join(cmd))
    return json.loads(_last_json_line(subprocess.run(cmd, check=True, capture_output=True, text=True)))


def _last_json_line(proc):
    if proc.stderr.strip():
        sys.stderr.write(proc.stderr)
    lines = [l for l in proc.stdout.splitlines() if l.strip().startswith("{")]
    if not lines:
        raise SystemExit(f"no JSON line in output:\n{proc.stdout}")
    return lines[-1]


def ratio(a, b):
    return a / b if b else float("nan")


def fmt_int(n):
    return f"{n:,}"


def fmt_bytes(n):
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div:
            return f"{n / div:.1f} {unit} ({n:,})"
    return f"{n:,} B"


def table(sk, ours, r):
    rows = [
        ("Honest accuracy", f"{sk['score']['honest']['accuracy']:.4f}", f"{ours['score']['honest']['accuracy']:.4f}", ""),
        ("Honest macro-F1", f"{sk['score']['honest']['macro_f1']:.4f}", f"{ours['score']['honest']['macro_f1']:.4f}", ""),
        ("Seed accuracy", f"{sk['score']['seed']['accuracy']:.4f}", f"{ours['score']['seed']['accuracy']:.4f}", ""),
        ("Seed macro-F1", f"{sk['score']['seed']['macro_f1']:.4f}", f"{ours['score']['seed']['macro_f1']:.4f}", ""),
        ("Fit (s)", f"{sk['fit_seconds']:.2f}", f"{ours['fit_seconds']:.2f}", f"{r['fit_seconds']:.2f}×"),
        (
            "Predict (ms / image)",
            f"{1000 * sk['predict_seconds_per_image']:.1f}",
            f"{1000 * ours['predict_seconds_per_image']:.1f}",
            f"{r['predict_seconds_per_image']:.2f}×",
        ),
        ("Model bytes", fmt_bytes(sk["model_bytes"]), fmt_bytes(ours["model_bytes"]), f"{r['model_bytes']:.2f}×"),
        ("Nodes", fmt_int(sk["nodes"]), fmt_int(ours["nodes"]), f"{r['nodes']:.2f}×"),
    ]
    out = [
        "| | scikit-learn | faceforest | sklearn / ours |",
        "| --- | ---: | ---: | ---: |",
    ]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features", type=Path, required=True, help="folder written by `faceforest export`")
    ap.add_argument("--out", type=Path, default=Path("bench-out"))
    ap.add_argument("--cli", default="target/release/faceforest")
    ap.add_argument("--trees", type=int, default=55)
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--subsample", type=float, default=1.0, help="fraction of training rows (quick smoke runs)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="both sides (sklearn n_jobs); default all cores")
    a = ap.parse_args()

    a.out.mkdir(parents=True, exist_ok=True)
    meta = json.loads((a.features / "meta.json").read_text())
    if meta.get("size") != a.size:
        raise SystemExit(f"{a.features} was exported at size {meta.get('size')}, not {a.size}")
    features = a.features
    if not 0 < a.subsample <= 1:
        raise SystemExit("--subsample must be in (0, 1]")
    if a.subsample < 1:
        features = subsampled_dir(a.features, a.out, a.subsample, a.seed)
    n_train = int(np.load(features / "y_train.npy", mmap_mode="r").shape[0])

    n_jobs = -1 if a.threads is None else a.threads
    sk, n_images = run_sklearn(features, a.out, a.trees, n_jobs, a.seed, a.size)
    ours = run_ours(a.cli, features, a.out, a.trees, a.threads, a.seed)
    sk["score"] = score(a.cli, features, sk["probs"])
    ours["score"] = score(a.cli, features, ours["probs"])

    keys = ("fit_seconds", "predict_seconds_per_image", "model_bytes", "nodes")
    r = {k: ratio(sk[k], ours[k]) for k in keys}
    report = {
        "config": {
            "trees": a.trees,
            "size": a.size,
            "subsample": a.subsample,
            "seed": a.seed,
            "train_rows": n_train,
            "test_images": n_images,
            "features": meta.get("feature_names"),
            "features_dir": str(features),
            "sklearn_params": "RandomForestClassifier(n_estimators=%d, max_features='sqrt', max_depth=None, "
            "bootstrap=True, n_jobs=%d, random_state=%d)" % (a.trees, n_jobs, a.seed),
            "model_bytes_sklearn": "len(pickle.dumps(clf, protocol=5))",
            "model_bytes_ours": "Model::to_bytes (the .ffm file)",
            "cpu_count": os.cpu_count(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "openblas_vars_absent": [v for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if v not in os.environ],
        },
        "sklearn": sk,
        "faceforest": ours,
        "ratio_sklearn_over_ours": r,
    }
    json_path = a.out / "sklearn-vs-faceforest.json"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    sub = "" if a.subsample >= 1 else f", subsample {a.subsample:g}"
    print(
        f"### scikit-learn {sklearn.__version__} vs faceforest — {a.trees} trees, size {a.size}, "
        f"{n_train:,} training rows{sub}, {n_images} test images\n"
    )
    print(table(sk, ours, r))
    print(f"\nJSON: {json_path}")


if __name__ == "__main__":
    main()

"""riata's group-lasso network path against LassoNet's path (issue #5, item 4c).

The task: ``n = 3,000`` samples, ``p`` standard Gaussian inputs of which 5 carry a
nonlinear signal (a threshold, a saturating term, a product, a quadratic), the rest
noise; labels drawn from the logistic model with

.. math:: \\mathrm{logit} = 4 (1[x_0 > 0] - 1/2) + 2 \\tanh(2 x_1)
          + 1.5 x_2 (1 + x_3) + (x_4 + x_4^2 - 1)

(the five relevant columns at random positions). ``x_3`` acts only through its product
with ``x_2``; every other relevant input also has a first-order effect. (An input with
no first-order effect at all, e.g. a pure product ``x_0 x_1``, has a zero expected
gradient at a zero first layer, where riata's path starts; see docs/benchmarks.md.)

A stratified 60 / 20 / 20 split into train / validation / test, standardized with the
training split's statistics. Both methods fit a network with one hidden layer of 20 units
on the training split, use the
validation split for early stopping *and* for choosing the point of the path (the best
validation AUROC), and are scored once on the test split at that point.

riata
    :func:`riata.estimators.fit_alpha_path` of ``SparseMLPClassifier((20,),
    penalty=GroupLasso(alpha), solver="adam")`` (one group per input variable: the 20
    weights leaving it; ``ProxAdam`` applies the exact group prox in Adam's metric),
    ``--riata-alphas`` values from ``alpha_max`` down to ``--riata-eps * alpha_max``,
    warm-started, each alpha keeping its best validation-AUROC epoch.
LassoNet
    ``LassoNetClassifier(hidden_dims=(20,))`` with its default path (dense Adam start,
    then ``lambda`` growing by ``path_multiplier = 1.02`` until no input is left;
    SGD with momentum, early stopping on the validation loss) and ``path(X_train,
    y_train, X_val=..., y_val=...)``; a callback scores the validation AUROC after each
    path point and keeps the best point's weights (its cost is inside the timing).

Reported: wall time of the whole path, number of path points, validation and test
AUROC at the validation-chosen point, inputs kept there (and how many of the 5
relevant ones), and the time ratio LassoNet / riata, all from the same process.

Usage::

    python benchmarks/network_path_vs_lassonet.py              # p = 1,000
    python benchmarks/network_path_vs_lassonet.py --large      # also p = 10,000
    python benchmarks/network_path_vs_lassonet.py --quick      # smoke test
    python benchmarks/network_path_vs_lassonet.py --out docs/benchmarks_network_path.csv

LassoNet is skipped with a note when it is not installed (see
``benchmarks/requirements.txt`` and ``docs/benchmarks.md``).
"""

from __future__ import annotations

import argparse
import copy
import importlib
import importlib.metadata
import math
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_description, write_csv  # noqa: E402

#: Versions printed with each run.
PACKAGES = ("numpy", "scikit-learn", "lassonet")
from riata import GroupLasso, SparseMLPClassifier
from riata.estimators import fit_alpha_path

HIDDEN = (20,)
N_RELEVANT = 5

COLUMNS = [
    "n", "p", "method", "time_s", "time_ratio", "n_path_points", "chosen_point",
    "chosen_penalty", "valid_auroc", "test_auroc", "n_features_kept",
    "n_relevant_kept", "n_epochs_total", "settings",
]


def simulate(n: int, p: int, seed: int = 0):
    """Gaussian inputs, 5 relevant at random positions, nonlinear logistic labels.

    Returns ``X`` (n, p) float32, ``y`` (n,) int in {0, 1}, and the relevant columns.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)).astype(np.float32)
    relevant = np.sort(rng.choice(p, size=N_RELEVANT, replace=False))
    x0, x1, x2, x3, x4 = (X[:, j].astype(np.float64) for j in relevant)
    logit = (4.0 * ((x0 > 0) - 0.5) + 2.0 * np.tanh(2.0 * x1) + 1.5 * x2 * (1.0 + x3)
             + (x4 + x4**2 - 1.0))
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return X, y, relevant


def split(X, y, seed: int = 0) -> dict:
    """Stratified 60 / 20 / 20 train / valid / test, standardized on train."""
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=seed)
    X_train, X_valid, y_train, y_valid = train_test_split(
        X_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=seed)
    scaler = StandardScaler().fit(X_train)

    def as32(a):
        return scaler.transform(a).astype(np.float32)

    return {"X_train": as32(X_train), "y_train": y_train,
            "X_valid": as32(X_valid), "y_valid": y_valid,
            "X_test": as32(X_test), "y_test": y_test}


# -- riata ------------------------------------------------------------------------------
def run_riata(data: dict, relevant: np.ndarray, args) -> dict:
    estimator = SparseMLPClassifier(
        HIDDEN, penalty=GroupLasso(alpha=1.0), solver="adam",
        learning_rate_init=args.riata_lr, batch_size=args.riata_batch_size,
        max_epochs=args.riata_max_epochs, n_iter_no_change=args.riata_patience,
        random_state=args.seed,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = fit_alpha_path(estimator, data["X_train"], data["y_train"],
                              validation_data=(data["X_valid"], data["y_valid"]),
                              n_alphas=args.riata_alphas, eps=args.riata_eps)
    elapsed = time.perf_counter() - start
    best = path.best_estimator
    kept = np.flatnonzero(np.asarray(best.feature_importances_) > 0)
    return {
        "method": "riata", "time_s": elapsed, "n_path_points": len(path.alphas),
        "chosen_point": path.best_index, "chosen_penalty": path.best_alpha,
        "valid_auroc": path.records[path.best_index]["valid_score"],
        "test_auroc": roc_auc_score(data["y_test"],
                                    best.decision_function(data["X_test"])),
        "n_features_kept": int(kept.size),
        "n_relevant_kept": int(np.isin(relevant, kept).sum()),
        "n_epochs_total": int(sum(r["n_epochs"] for r in path.records)),
        "settings": (f"fit_alpha_path n_alphas={args.riata_alphas} "
                     f"eps={args.riata_eps:g}; adam lr={args.riata_lr:g} "
                     f"batch={args.riata_batch_size} max_epochs={args.riata_max_epochs} "
                     f"patience={args.riata_patience}; float32"),
    }


# -- LassoNet ---------------------------------------------------------------------------
def run_lassonet(data: dict, relevant: np.ndarray, args) -> dict:
    from lassonet import LassoNetClassifier

    options = {"hidden_dims": HIDDEN, "verbose": 0, "random_state": args.seed,
               "torch_seed": args.seed, "device": torch.device("cpu")}
    if args.quick:  # a short path, only to exercise the code
        options.update(n_iters=(20, 5), patience=(5, 2), path_multiplier=1.5)
    model = LassoNetClassifier(**options)
    X_valid, y_valid = data["X_valid"], data["y_valid"]
    best = {"score": -math.inf}
    scores = []

    def keep_best(net, history):
        # After each path point: validation AUROC; keep the best point's weights.
        score = roc_auc_score(y_valid, net.predict_proba(X_valid)[:, 1])
        scores.append(score)
        if score > best["score"]:
            best.update(score=score, index=len(history) - 1,
                        state=copy.deepcopy(net.model.state_dict()),
                        lambda_=history[-1].lambda_,
                        selected=history[-1].selected.clone())

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = model.path(data["X_train"], data["y_train"], X_val=X_valid,
                             y_val=y_valid, callback=keep_best)
    elapsed = time.perf_counter() - start
    model.model.load_state_dict(best["state"])
    kept = np.flatnonzero(best["selected"].cpu().numpy())
    return {
        "method": "lassonet", "time_s": elapsed, "n_path_points": len(history),
        "chosen_point": best["index"], "chosen_penalty": best["lambda_"],
        "valid_auroc": best["score"],
        "test_auroc": roc_auc_score(data["y_test"],
                                    model.predict_proba(data["X_test"])[:, 1]),
        "n_features_kept": int(kept.size),
        "n_relevant_kept": int(np.isin(relevant, kept).sum()),
        "n_epochs_total": int(sum(h.n_iters for h in history)),
        "settings": ("LassoNetClassifier(hidden_dims=(20,)) default path"
                     + (" (quick: n_iters=(20, 5), path_multiplier=1.5)"
                        if args.quick else "")
                     + "; float32; point 0 is the dense model"),
    }


# -- running ----------------------------------------------------------------------------
def warm_up() -> None:
    """A tiny riata fit, so that torch's one-time initialization is not timed."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 5)).astype(np.float32), np.tile([0, 1], 20)
    SparseMLPClassifier((4,), penalty=GroupLasso(alpha=0.01), max_epochs=2,
                        early_stopping=False, random_state=0).fit(X, y)


def lassonet_available() -> str | None:
    try:
        importlib.import_module("lassonet")
    # Any failure (ImportError, a dependency that fails to load) skips LassoNet.
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def run(args, log=print) -> list[dict]:
    warm_up()
    why = lassonet_available() if "lassonet" in args.methods else None
    if why is not None:
        print(f"note: skipping LassoNet (lassonet not importable: {why})")
    rows = []
    for p in args.sizes:
        X, y, relevant = simulate(args.n, p, seed=args.seed)
        data = split(X, y, seed=args.seed)
        log(f"# n={args.n} p={p}: relevant columns {relevant.tolist()}, "
            f"{y.mean():.2f} positive")
        group = []
        for method, runner in (("riata", run_riata), ("lassonet", run_lassonet)):
            if method not in args.methods or (method == "lassonet" and why is not None):
                continue
            row = {"n": args.n, "p": p, **runner(data, relevant, args)}
            group.append(row)
            log(f"  p={p} {method:8s} {row['time_s']:8.1f} s  "
                f"{row['n_path_points']} points  valid AUROC {row['valid_auroc']:.3f}  "
                f"test AUROC {row['test_auroc']:.3f}  kept {row['n_features_kept']} "
                f"({row['n_relevant_kept']}/{N_RELEVANT} relevant)")
        riata_time = next((r["time_s"] for r in group if r["method"] == "riata"),
                          math.nan)
        for row in group:
            row["time_ratio"] = row["time_s"] / riata_time
        rows.extend(group)
    return rows


def markdown_table(rows: list[dict]) -> str:
    header = ["p", "method", "path time (s)", "time / riata", "path points",
              "chosen point", "valid AUROC", "test AUROC", "features kept",
              f"relevant kept (of {N_RELEVANT})", "epochs (all points)"]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---:", "---"] + ["---:"] * (len(header) - 2)) + "|"]
    for r in rows:
        lines.append("| " + " | ".join([
            f"{r['p']:,}", r["method"], f"{r['time_s']:.1f}", f"{r['time_ratio']:.1f}x",
            str(r["n_path_points"]), str(r["chosen_point"]), f"{r['valid_auroc']:.3f}",
            f"{r['test_auroc']:.3f}", str(r["n_features_kept"]),
            str(r["n_relevant_kept"]), str(r["n_epochs_total"]),
        ]) + " |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000],
                        help="numbers of input variables p")
    parser.add_argument("--large", action="store_true", help="also p = 10,000")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: n = 300, p = 30, short paths")
    parser.add_argument("--n", type=int, default=3_000, help="number of samples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", default=["riata", "lassonet"],
                        choices=["riata", "lassonet"])
    parser.add_argument("--riata-alphas", type=int, default=10,
                        help="points on riata's path")
    parser.add_argument("--riata-eps", type=float, default=0.05,
                        help="smallest alpha / alpha_max on riata's path")
    parser.add_argument("--riata-lr", type=float, default=3e-3)
    parser.add_argument("--riata-batch-size", type=int, default=200)
    parser.add_argument("--riata-max-epochs", type=int, default=200)
    parser.add_argument("--riata-patience", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads for both methods; 0 keeps torch's "
                             "default")
    parser.add_argument("--out", default=None, help="write the rows to this CSV")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.n = [30], 300
        args.riata_alphas, args.riata_max_epochs = 4, 20
    elif args.large and 10_000 not in args.sizes:
        args.sizes = [*args.sizes, 10_000]
    return args


def main(argv: Sequence[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"machine: {machine_description(PACKAGES)}")
    start = time.perf_counter()
    rows = run(args, log=lambda message: print(message, file=sys.stderr, flush=True))
    print(f"\nn = {args.n}, hidden {HIDDEN}, {N_RELEVANT} relevant inputs; "
          f"{time.perf_counter() - start:.0f} s in all")
    for r in rows:
        print(f"  {r['method']}: {r['settings']}")
    print()
    print(markdown_table(rows))
    if args.out:
        print(f"\nrows written to {write_csv(rows, args.out, columns=COLUMNS)}")
    return rows


if __name__ == "__main__":
    main()

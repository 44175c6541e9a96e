"""Compare the three ways riata applies a penalty: proximal, autograd and shrink.

One data set (scikit-learn's bundled breast-cancer data, 569 samples x 30 variables),
one penalty at one ``alpha``, and a :class:`riata.SparseMLPClassifier` with one hidden
layer of 20 units trained with Adam and with SGD + momentum in each mode:

- ``proximal``    prox of the penalty with the optimizer's exact step (default);
- ``autograd``    penalty added to the loss, subgradient by autograd;
- ``shrink``      decoupled constant step toward zero after the update;
- ``shrink+clip`` the same, truncated at zero (``shrink_clip=True``).

For each seed the data are split 60 / 20 / 20 (stratified) into train / validation /
test; the inputs are standardized with the training split's statistics; the estimator
keeps the epoch with the best validation AUROC (``validation_data=``), and the test
split is scored once, at the end.

Measured per fit: first-layer weights exactly zero and with ``|w| < 1e-3``; input
variables selected (a column of ``nn.Linear.weight`` with a nonzero entry) and those
a post-hoc threshold would keep (some ``|w| >= 1e-3``); the final
training objective, computed the same way for every mode (mean logistic loss on the
whole training split, in float64, plus ``penalty.value`` at the returned weights);
test accuracy, AUROC and average precision; the largest KKT ratio among zero columns
(<= 1 means every zero is optimal at this ``alpha``); the fit time (wall clock,
``time.perf_counter``, and CPU time of the process, also per epoch); the best epoch.

Usage::

    python benchmarks/compare_penalty_modes.py
    python benchmarks/compare_penalty_modes.py --penalty l1 --seeds 0 1
    python benchmarks/compare_penalty_modes.py --solvers sgd --sgd-momentum 0 --sgd-lr 0.1

Defaults: group lasso with alpha = 0.02 (L1: 0.01); Adam with lr 1e-3; SGD with lr
1e-2 and momentum 0.9; mini-batches of 64; at most 200 epochs, patience 50; one torch
thread. Prints the machine, a Markdown table (mean ± sd over seeds) and writes one
CSV row per fit (atomically: temporary file, then ``os.replace``). Progress goes to
stderr. docs/penalty_modes.md shows and discusses a run.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import accuracy_score, average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_description, write_csv  # noqa: E402

from riata import L1, GroupLasso, SparseMLPClassifier

#: label -> (penalty_mode, shrink_clip)
MODES = {
    "proximal": ("proximal", False),
    "autograd": ("autograd", False),
    "shrink": ("shrink", False),
    "shrink+clip": ("shrink", True),
}

#: label -> default estimator options of the optimizer (``--adam-lr``, ``--sgd-lr`` and
#: ``--sgd-momentum`` override them).
SOLVERS = {
    "adam": {"solver": "adam", "learning_rate_init": 1e-3},
    "sgd": {"solver": "sgd", "learning_rate_init": 1e-2, "momentum": 0.9},
}

PENALTIES = {"group-lasso": GroupLasso, "l1": L1}

#: Default strength per penalty (see docs/penalty_modes.md for how it was chosen).
DEFAULT_ALPHA = {"group-lasso": 0.02, "l1": 0.01}

HIDDEN_LAYER_SIZES = (20,)
SMALL = 1e-3

#: Columns of the per-fit CSV, in order.
COLUMNS = [
    "dataset", "penalty", "alpha", "solver", "mode", "penalty_mode", "shrink_clip",
    "seed", "n_train", "n_valid", "n_test", "n_weights", "n_exact_zero", "n_abs_below_1e-3",
    "n_selected",
    "n_selected_above_1e-3",
    "train_objective", "train_loss", "penalty_value", "test_accuracy", "test_roc_auc",
    "test_average_precision", "max_kkt_ratio", "fit_time_s", "fit_cpu_time_s",
    "cpu_ms_per_epoch", "best_epoch", "n_epochs",
]


def load_split(dataset: str, seed: int) -> dict[str, np.ndarray]:
    """Stratified 60 / 20 / 20 train / valid / test split, standardized on train."""
    if dataset != "breast_cancer":
        raise ValueError(f"Unknown dataset {dataset!r}; the only one is 'breast_cancer'.")
    X, y = load_breast_cancer(return_X_y=True)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=0.2, stratify=y, random_state=seed
    )
    # 0.25 of the remaining 80 % is 20 % of the whole.
    X_train, X_valid, y_train, y_valid = train_test_split(
        X_rest, y_rest, test_size=0.25, stratify=y_rest, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    return {
        "X_train": scaler.transform(X_train), "y_train": y_train,
        "X_valid": scaler.transform(X_valid), "y_valid": y_valid,
        "X_test": scaler.transform(X_test), "y_test": y_test,
    }


def training_objective(clf: SparseMLPClassifier, X: np.ndarray, y: np.ndarray):
    """Mean logistic loss on ``(X, y)`` plus the penalty at the returned weights.

    Computed in float64 from the fitted network, identically for every mode (the
    per-epoch ``history_`` objective is a mean over mini-batches taken while the
    weights changed, so it is not comparable across modes).
    """
    logits = clf.decision_function(X)
    # log(1 + exp(z)) - y z, the binary cross-entropy with logits, without overflow.
    loss = float(np.mean(np.logaddexp(0.0, logits) - y * logits))
    weight = torch.as_tensor(clf.first_layer_weights_.T, dtype=torch.float64)
    with torch.no_grad():
        penalty = float(clf.penalty_.value(weight)) if clf.penalty_ is not None else 0.0
    return loss + penalty, loss, penalty


def fit_one(data: dict, penalty_name: str, alpha: float, solver_options: dict,
            mode: str, seed: int, max_epochs: int, n_iter_no_change: int,
            batch_size: int) -> dict:
    """Fit one classifier and measure it; returns one CSV row as a dict.

    ``solver_options`` are estimator parameters (``solver``, ``learning_rate_init``,
    ``momentum``), e.g. ``SOLVERS["adam"]``.
    """
    penalty_mode, shrink_clip = MODES[mode]
    clf = SparseMLPClassifier(
        HIDDEN_LAYER_SIZES, penalty=PENALTIES[penalty_name](alpha=alpha),
        penalty_mode=penalty_mode, shrink_clip=shrink_clip, max_epochs=max_epochs,
        n_iter_no_change=n_iter_no_change, batch_size=batch_size, random_state=seed,
        **solver_options,
    )
    start, cpu_start = time.perf_counter(), time.process_time()
    clf.fit(data["X_train"], data["y_train"],
            validation_data=(data["X_valid"], data["y_valid"]))
    fit_time = time.perf_counter() - start
    # CPU time of this process: on a shared machine it is far less sensitive than the
    # wall-clock time to what else runs (identical fits differed several-fold in wall
    # time there).
    cpu_time = time.process_time() - cpu_start
    weights = clf.first_layer_weights_  # (n_features, n_hidden): one row per variable
    objective, loss, penalty = training_objective(clf, data["X_train"], data["y_train"])
    X_test, y_test = data["X_test"], data["y_test"]
    scores = clf.decision_function(X_test)
    kkt = np.asarray(clf.kkt_violation_, dtype=float)
    zero_columns = kkt[~np.isnan(kkt)]
    return {
        "penalty_mode": penalty_mode,
        "shrink_clip": shrink_clip,
        "n_train": len(data["y_train"]),
        "n_valid": len(data["y_valid"]),
        "n_test": len(y_test),
        "n_weights": int(weights.size),
        "n_exact_zero": int(np.sum(weights == 0)),
        "n_abs_below_1e-3": int(np.sum(np.abs(weights) < SMALL)),
        "n_selected": len(clf.selected_features_),
        # What a post-hoc threshold would keep: variables with some |w| >= 1e-3.
        "n_selected_above_1e-3": int(np.sum(np.abs(weights).max(axis=1) >= SMALL)),
        "train_objective": objective,
        "train_loss": loss,
        "penalty_value": penalty,
        "test_accuracy": accuracy_score(y_test, clf.predict(X_test)),
        "test_roc_auc": roc_auc_score(y_test, scores),
        "test_average_precision": average_precision_score(y_test, scores),
        "max_kkt_ratio": float(zero_columns.max()) if zero_columns.size else math.nan,
        "fit_time_s": fit_time,
        "fit_cpu_time_s": cpu_time,
        # Modes stop at different epochs; the time per epoch compares their cost.
        "cpu_ms_per_epoch": 1e3 * cpu_time / clf.n_iter_,
        "best_epoch": int(clf.best_epoch_),
        "n_epochs": int(clf.n_iter_),
    }


def run_benchmark(*, dataset: str = "breast_cancer", penalty: str = "group-lasso",
                  alpha: float | None = None, seeds: Sequence[int] = (0, 1, 2),
                  solvers: Sequence[str] = tuple(SOLVERS),
                  modes: Sequence[str] = tuple(MODES),
                  solver_options: dict | None = None, max_epochs: int = 200,
                  n_iter_no_change: int = 50, batch_size: int = 64,
                  progress=None) -> pd.DataFrame:
    """Every (seed, solver, mode) fit; one row each, columns :data:`COLUMNS`.

    ``solver_options`` maps a solver label to estimator parameters that replace
    :data:`SOLVERS`' (e.g. ``{"sgd": {"solver": "sgd", "momentum": 0.0, ...}}``).
    """
    alpha = DEFAULT_ALPHA[penalty] if alpha is None else float(alpha)
    options = {**SOLVERS, **(solver_options or {})}
    _warm_up()
    rows = []
    for seed in seeds:
        data = load_split(dataset, seed)
        for solver in solvers:
            for mode in modes:
                row = {"dataset": dataset, "penalty": penalty, "alpha": alpha,
                       "solver": solver, "mode": mode, "seed": int(seed)}
                row.update(fit_one(data, penalty, alpha, options[solver], mode, seed,
                                   max_epochs, n_iter_no_change, batch_size))
                rows.append(row)
                if progress is not None:
                    progress(f"seed {seed} {solver:4s} {mode:11s} "
                             f"selected {row['n_selected']:2d}  "
                             f"{row['fit_time_s']:.1f} s")
    return pd.DataFrame(rows, columns=COLUMNS)


def _warm_up() -> None:
    """One tiny fit before timing, so that the first timed fit does not also pay for
    torch's one-time initialization (lazy imports, kernel selection)."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), np.tile([0, 1], 10)
    SparseMLPClassifier((2,), penalty=GroupLasso(alpha=0.01), max_epochs=1,
                        early_stopping=False, random_state=0).fit(X, y)


def _mean_sd(values: pd.Series, digits: int) -> str:
    values = values.dropna()
    if values.empty:
        return "–"
    if len(values) == 1:
        return f"{values.iloc[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


#: (header, CSV column, decimals) of the Markdown table; mean ± sd over seeds.
TABLE = [
    ("exact zeros", "n_exact_zero", 0),
    ("abs(w) < 1e-3", "n_abs_below_1e-3", 0),
    ("selected vars", "n_selected", 1),
    ("vars with some abs(w) >= 1e-3", "n_selected_above_1e-3", 1),
    ("train objective", "train_objective", 4),
    ("train loss", "train_loss", 4),
    ("test acc", "test_accuracy", 3),
    ("test AUROC", "test_roc_auc", 3),
    ("test AP", "test_average_precision", 3),
    ("fit time (s)", "fit_time_s", 2),
    ("CPU ms / epoch", "cpu_ms_per_epoch", 1),
    ("best epoch", "best_epoch", 0),
]


def markdown_table(results: pd.DataFrame) -> str:
    """Mean ± sd over seeds per (solver, mode); max KKT ratio is the max over seeds."""
    header = ["solver", "mode"] + [h for h, _, _ in TABLE] + ["max KKT ratio"]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|"]
    for (solver, mode), part in results.groupby(["solver", "mode"], sort=False):
        cells = [solver, mode] + [_mean_sd(part[col], d) for _, col, d in TABLE]
        kkt = part["max_kkt_ratio"].dropna()
        cells.append("–" if kkt.empty else f"{kkt.max():.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--dataset", default="breast_cancer", choices=["breast_cancer"])
    parser.add_argument("--penalty", default="group-lasso", choices=sorted(PENALTIES))
    parser.add_argument("--alpha", type=float, default=None,
                        help="penalty strength; None means "
                             + ", ".join(f"{k}: {v}" for k, v in DEFAULT_ALPHA.items()))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--solvers", nargs="+", default=list(SOLVERS),
                        choices=list(SOLVERS))
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    parser.add_argument("--adam-lr", type=float,
                        default=SOLVERS["adam"]["learning_rate_init"])
    parser.add_argument("--sgd-lr", type=float,
                        default=SOLVERS["sgd"]["learning_rate_init"])
    parser.add_argument("--sgd-momentum", type=float, default=SOLVERS["sgd"]["momentum"])
    parser.add_argument("--max-epochs", type=int, default=200)
    parser.add_argument("--n-iter-no-change", type=int, default=50,
                        help="patience of early stopping on the validation AUROC")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads; 0 leaves torch's default. One "
                             "thread is the fastest on these tiny matrices")
    parser.add_argument("--out", default="docs/penalty_modes_results.csv",
                        help="CSV with one row per fit")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if args.alpha is not None and not args.alpha >= 0:
        parser.error(f"--alpha must be >= 0; got {args.alpha}")
    if args.threads < 0:
        parser.error(f"--threads must be >= 0; got {args.threads}")
    return args


def main(argv: Sequence[str] | None = None) -> pd.DataFrame:
    """Run the comparison, print the machine and the table, write the CSV.

    Returns the per-fit results (the CSV's rows).
    """
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    alpha = DEFAULT_ALPHA[args.penalty] if args.alpha is None else args.alpha
    solver_options = {
        "adam": {"solver": "adam", "learning_rate_init": args.adam_lr},
        "sgd": {"solver": "sgd", "learning_rate_init": args.sgd_lr,
                "momentum": args.sgd_momentum},
    }

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    print(f"machine: {machine_description()}")
    start = time.perf_counter()
    results = run_benchmark(
        dataset=args.dataset, penalty=args.penalty, alpha=alpha, seeds=args.seeds,
        solvers=args.solvers, modes=args.modes, solver_options=solver_options,
        max_epochs=args.max_epochs, n_iter_no_change=args.n_iter_no_change,
        batch_size=args.batch_size, progress=None if args.quiet else progress,
    )
    total = time.perf_counter() - start
    solvers = "; ".join(
        f"{name}: " + ", ".join(f"{k}={v:g}" for k, v in solver_options[name].items()
                                if k != "solver")
        for name in args.solvers
    )
    first = results.iloc[0]
    print(f"\n{args.dataset} (train/valid/test {first['n_train']}/{first['n_valid']}/"
          f"{first['n_test']}), {args.penalty}(alpha={alpha:g}) on the first layer, hidden "
          f"{HIDDEN_LAYER_SIZES}, {first['n_weights']} first-layer weights; "
          f"{solvers}; batch {args.batch_size}, max {args.max_epochs} epochs, best "
          f"validation AUROC epoch kept (patience {args.n_iter_no_change}); "
          f"mean ± sd over seeds {list(args.seeds)}\n")
    print(markdown_table(results))
    path = write_csv(results, args.out)
    print(f"\n{len(results)} fits in {total:.1f} s; per-fit rows written to {path}")
    return results


if __name__ == "__main__":
    main()

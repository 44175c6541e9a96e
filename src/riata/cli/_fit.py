"""``riata fit``: a sparse network on a researcher's own clinical table and genotypes.

The run reads the clinical file (and a PLINK fileset), matches samples by id, splits
train / validation / test (stratified for classification, seeded), learns every
preprocessing statistic on the training split, fits the network along a penalty
path (or at one alpha), scores it and a plain scikit-learn baseline on the same test
split, and writes the run directory of the case study: ``config.json``,
``results.csv`` / ``results.md``, ``metrics.json``, ``selected_variables.csv``,
``figures/``, ``paths/``, ``model/`` and ``report.html``.

The directory is written under a hidden temporary name beside ``--out`` and renamed
into place at the very end, so a run that fails leaves nothing at ``--out``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

__all__ = ["add_parser", "run", "PENALTY_NAMES", "DATA_DEFAULTS", "NETWORK_DEFAULTS"]

logger = logging.getLogger("riata")

PENALTY_NAMES = ("none", "l1", "l2", "elastic-net", "group-lasso", "sparse-group-lasso")

#: The CLI's data and run settings (also the keys of a --config file), with defaults.
DATA_DEFAULTS = {
    "clinical": None, "genotypes": None, "target": None, "id": None, "out": None,
    "categorical": [], "numeric": [], "drop": [], "missing": "impute",
    "min_samples": 20, "task": "auto", "max_classes": 10,
    "penalty": "group-lasso", "alpha": None, "l1_ratio": 0.5, "n_alphas": 8,
    "eps": 0.02, "test_size": 0.2, "valid_size": 0.2, "seed": 0, "overwrite": False,
}
#: Network settings under the estimator's own parameter names, with the CLI's
#: defaults (those of the case study); every other estimator parameter keeps the
#: estimator's default unless a --config file sets it.
NETWORK_DEFAULTS = {
    "hidden_layer_sizes": (20,), "max_epochs": 100, "learning_rate_init": 3e-3,
    "batch_size": 128, "n_iter_no_change": 10, "encoder_dim": 20,
}
#: Estimator parameters that the data or the run decide, not the user.
_FIXED_PARAMETERS = ("penalty", "encoder_penalty", "n_encoded_features", "warm_start",
                     "verbose")
_PATH_KEYS = ("clinical", "genotypes", "out")
_LIST_KEYS = ("categorical", "numeric", "drop")
_CHOICES = {"missing": ("impute", "indicator", "error"),
            "task": ("auto", "classification", "regression"),
            "penalty": PENALTY_NAMES}
#: A text column whose values are at least this share numbers is a numeric column
#: with a typo, not a categorical one (unless declared categorical).
_NUMERIC_SHARE = 0.9
#: Fewest samples of each class a stratified three-way split can work with.
_MIN_PER_CLASS = 3

_EPILOG = """\
examples:
  riata fit --clinical cohort.csv --target chd --id pid --out runs/chd
  riata fit --clinical cohort.parquet --genotypes geno/cohort --target chd --id pid \\
            --penalty group-lasso --n-alphas 10 --out runs/chd_snps
  riata fit --clinical cohort.csv --target chd --id pid --alpha 0.01 --out runs/fixed
  riata fit --config fit.toml

A --config file is TOML with flat keys: the data keys below (clinical, genotypes,
target, id, out, categorical, numeric, drop, missing, min_samples, task, max_classes,
penalty, alpha, l1_ratio, n_alphas, eps, test_size, valid_size, seed, overwrite) and
the estimator's parameter names (hidden_layer_sizes, max_epochs, learning_rate_init,
batch_size, n_iter_no_change, encoder_dim, activation, dropout, solver, ...). Paths in
it are relative to the config file. Options given on the command line win.

missing values: 'impute' fills a numeric gap with the training median and a category
with the training mode; 'indicator' also adds a VARIABLE_missing column; 'error'
refuses them. Missing genotype calls are always imputed by the training mean (0 after
standardization) and counted in metrics.json. Columns that are all missing or
constant are dropped with a warning and listed in config.json.

exit status: 0 on success, 2 on any error (the message names the file, column and
sample); a failed run leaves no output directory.
"""


# --------------------------------------------------------------------------- parser
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number in (0, 1); got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1); got {text}")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number >= 0; got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0; got {text}")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser(
        "fit", help="fit a sparse network on your clinical table (+ PLINK genotypes)",
        description=(
            "Fit a sparse, interpretable network on a clinical table (CSV, TSV or\n"
            "Parquet) and optionally PLINK genotypes; choose the penalty strength on a\n"
            "validation split, score the network next to a plain scikit-learn baseline\n"
            "on the test split, and write a run directory: config.json, results.csv/.md,\n"
            "metrics.json, selected_variables.csv, figures/, paths/, model/ and\n"
            "report.html."),
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        argument_default=argparse.SUPPRESS)
    data = p.add_argument_group("data")
    data.add_argument("--clinical", metavar="FILE",
                      help="clinical table: .csv, .tsv (optionally .gz) or .parquet")
    data.add_argument("--genotypes", metavar="PREFIX",
                      help="PLINK 1 binary fileset PREFIX.bed/.bim/.fam; samples are "
                           "matched on the .fam's individual id (second column)")
    data.add_argument("--target", metavar="COL", help="outcome column")
    data.add_argument("--id", metavar="COL", help="sample id column")
    data.add_argument("--categorical", nargs="+", metavar="COL",
                      help="columns to one-hot encode even if numeric (e.g. coded "
                           "education levels); text columns are categorical anyway")
    data.add_argument("--numeric", nargs="+", metavar="COL",
                      help="columns that must be numeric (a text value is an error)")
    data.add_argument("--drop", nargs="+", metavar="COL", help="columns to ignore")
    data.add_argument("--missing", choices=_CHOICES["missing"],
                      help="policy for missing clinical values (default: impute)")
    data.add_argument("--min-samples", type=_positive_int, dest="min_samples", metavar="N",
                      help="fewest samples that must remain after matching clinical and "
                           "genotype ids (default: 20)")
    model = p.add_argument_group("model")
    model.add_argument("--task", choices=_CHOICES["task"],
                       help="default auto: classification for text labels or integer "
                            "labels with at most --max-classes values, else regression")
    model.add_argument("--max-classes", type=_positive_int, dest="max_classes", metavar="K",
                       help="most classes a classification target may have "
                            "(default: 10)")
    model.add_argument("--penalty", choices=PENALTY_NAMES,
                       help="penalty on the first-layer weights (default: group-lasso, "
                            "one group per clinical variable and per genetic unit)")
    model.add_argument("--alpha", type=_non_negative, metavar="A",
                       help="fixed penalty strength; default: a path of --n-alphas "
                            "values from alpha_max down, chosen on the validation split")
    model.add_argument("--l1-ratio", type=float, dest="l1_ratio", metavar="R",
                       help="L1 share of elastic-net and sparse-group-lasso (default 0.5)")
    model.add_argument("--n-alphas", type=_positive_int, dest="n_alphas", metavar="N",
                       help="points on the penalty path (default: 8)")
    model.add_argument("--eps", type=_fraction, metavar="E",
                       help="smallest alpha of the path as a fraction of alpha_max "
                            "(default: 0.02)")
    model.add_argument("--hidden", type=_positive_int, nargs="*", metavar="N",
                       dest="hidden_layer_sizes",
                       help="hidden layer widths (default: 20); give no number for a "
                            "linear model")
    model.add_argument("--epochs", type=_positive_int, dest="max_epochs", metavar="N",
                       help="most training epochs per alpha (default: 100)")
    model.add_argument("--patience", type=_positive_int, dest="n_iter_no_change",
                       metavar="N",
                       help="epochs without validation improvement before stopping "
                            "(default: 10)")
    model.add_argument("--learning-rate", type=float, dest="learning_rate_init",
                       metavar="LR",
                       help="Adam learning rate (default: 0.003)")
    model.add_argument("--batch-size", type=_positive_int, dest="batch_size", metavar="N",
                       help="mini-batch size (default: 128)")
    model.add_argument("--encoder-dim", type=_positive_int, dest="encoder_dim", metavar="N",
                       help="units of the learned genotype encoder (default: 20)")
    run_group = p.add_argument_group("run")
    run_group.add_argument("--test-size", type=_fraction, dest="test_size", metavar="F",
                           help="test share of the samples (default: 0.2)")
    run_group.add_argument("--valid-size", type=_fraction, dest="valid_size", metavar="F",
                           help="validation share of the samples (default: 0.2)")
    run_group.add_argument("--seed", type=int, metavar="S",
                           help="seed of the split and of the network (default: 0)")
    run_group.add_argument("--config", metavar="FILE.toml",
                           help="read settings from a TOML file (see below)")
    run_group.add_argument("--out", metavar="DIR", help="run directory to write")
    run_group.add_argument("--overwrite", action="store_true",
                           help="replace an existing non-empty --out directory")
    p.set_defaults(func=run)


# ------------------------------------------------------------------------- settings
def _network_keys() -> list[str]:
    from ..estimators import SparseMLPClassifier

    return sorted(set(SparseMLPClassifier().get_params(deep=False))
                  - set(_FIXED_PARAMETERS))


def _read_config(path: Path) -> tuple[dict, dict]:
    """The data settings and estimator parameters of a TOML config file."""
    from ..data import DataError

    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError as err:
            raise ImportError("Reading a --config file needs Python 3.11 or later, or "
                              "the tomli package (pip install tomli).") from err
    if not path.is_file():
        raise DataError(f"Config file '{path}' does not exist (working directory: "
                        f"'{os.getcwd()}').")
    try:
        content = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"Config file '{path}' is not valid TOML: {err}.") from err
    network_keys = _network_keys()
    accepted = sorted(DATA_DEFAULTS) + network_keys
    unknown = sorted(set(content) - set(accepted))
    if unknown:
        raise DataError(f"Config file '{path}': unknown key(s) {unknown}. Accepted "
                        f"keys: {accepted}.")
    data = {k: v for k, v in content.items() if k in DATA_DEFAULTS}
    for key in _PATH_KEYS:
        if isinstance(data.get(key), str):
            data[key] = str(path.parent / data[key])
    network = {k: v for k, v in content.items() if k in network_keys}
    return data, network


def _check_data_settings(settings: dict, where: str) -> None:
    """Types and ranges of the data settings, however they were given."""
    from ..data import DataError

    def bad(key, expected):
        return DataError(f"{where}: '{key}' must be {expected}; got "
                         f"{settings[key]!r}.")

    for key in ("clinical", "target", "id", "out"):
        if settings[key] is None:
            flag = "--" + key
            raise DataError(f"riata fit needs {flag} (or '{key}' in --config).")
    for key in ("clinical", "genotypes", "target", "id", "out"):
        value = settings[key]
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise bad(key, "a non-empty text")
    for key in _LIST_KEYS:
        value = settings[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad(key, "a list of column names")
    for key, choices in _CHOICES.items():
        if settings[key] not in choices:
            raise bad(key, f"one of {list(choices)}")
    for key, low in (("min_samples", 1), ("max_classes", 2), ("n_alphas", 1)):
        value = settings[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise bad(key, f"an integer >= {low}")
    if isinstance(settings["seed"], bool) or not isinstance(settings["seed"], int):
        raise bad("seed", "an integer")
    if not isinstance(settings["overwrite"], bool):
        raise bad("overwrite", "true or false")
    for key in ("test_size", "valid_size", "eps"):
        value = settings[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                0 < value < 1):
            raise bad(key, "a number in (0, 1)")
    if settings["test_size"] + settings["valid_size"] >= 1:
        raise DataError(f"{where}: test_size + valid_size must be below 1; got "
                        f"{settings['test_size']} + {settings['valid_size']}.")
    ratio = settings["l1_ratio"]
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not (
            0 <= ratio <= 1):
        raise bad("l1_ratio", "a number in [0, 1]")
    alpha = settings["alpha"]
    if alpha is not None:
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not (
                math.isfinite(alpha) and alpha >= 0):
            raise bad("alpha", "a finite number >= 0")
        if settings["penalty"] == "none":
            raise DataError(f"{where}: alpha={alpha} was given with penalty 'none'; "
                            "choose a penalty or leave alpha out.")


def resolve_settings(args) -> tuple[dict, dict, str | None]:
    """Defaults, then the --config file, then the command line (which wins)."""
    given = {k: v for k, v in vars(args).items()
             if k not in ("func", "command", "quiet", "config")}
    settings = {k: (list(v) if isinstance(v, list) else v)
                for k, v in DATA_DEFAULTS.items()}
    network = dict(NETWORK_DEFAULTS)
    config_path = getattr(args, "config", None)
    where = "riata fit"
    if config_path is not None:
        data, net = _read_config(Path(config_path))
        settings.update(data)
        network.update(net)
        where = f"Config file '{config_path}'"
    network_keys = set(_network_keys())
    for key, value in given.items():
        if key in network_keys:
            network[key] = value
        else:
            settings[key] = value
    if isinstance(network.get("hidden_layer_sizes"), list):
        network["hidden_layer_sizes"] = tuple(network["hidden_layer_sizes"])
    _check_data_settings(settings, where)
    hidden = network["hidden_layer_sizes"]
    if not isinstance(hidden, tuple) or not all(
            isinstance(h, int) and not isinstance(h, bool) and h >= 1 for h in hidden):
        from ..data import DataError

        raise DataError(f"{where}: 'hidden_layer_sizes' must be a list of positive "
                        f"integers; got {hidden!r}.")
    network.setdefault("random_state", settings["seed"])
    from ..estimators import SparseMLPClassifier

    try:
        SparseMLPClassifier(**network)._validate_params()
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    return settings, network, config_path


# --------------------------------------------------------------------- run directory
def _check_out(out: Path, overwrite: bool) -> None:
    from ..data import DataError

    if out.exists():
        if not out.is_dir():
            raise DataError(f"--out '{out}' exists and is not a directory.")
        if any(out.iterdir()) and not overwrite:
            raise DataError(f"--out '{out}' exists and is not empty; pass --overwrite "
                            "to replace it or choose another directory.")


def _publish(stage: Path, out: Path) -> None:
    """Move the finished run directory into place (replacing an old one)."""
    old = None
    if out.exists():
        old = stage.parent / (out.name + ".old")
        os.replace(out, old)
    try:
        os.replace(stage, out)
    except BaseException:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------- steps
def _warn(message: str, notes: list, quiet: bool) -> None:
    notes.append(message)
    if not quiet:
        print(f"riata fit: warning: {message}", file=sys.stderr)


def _collect(caught, notes: list, quiet: bool) -> None:
    from ..data import DataWarning

    for item in caught:
        if issubclass(item.category, DataWarning):
            _warn(str(item.message), notes, quiet)
        else:
            warnings.warn_explicit(item.message, item.category, item.filename,
                                   item.lineno)


def _check_numeric_typos(frame, path: Path, declared: list) -> None:
    """Refuse a mostly numeric column that a few text cells made categorical."""
    import pandas as pd

    from ..data import DataError

    if frame is None:
        return
    for column in frame.columns:
        series = frame[column]
        if column in declared or not isinstance(series.dtype, pd.CategoricalDtype):
            continue
        observed = series.dropna().astype(str)
        numbers = pd.to_numeric(observed, errors="coerce")
        is_number = numbers.notna().to_numpy()
        if observed.size and not is_number.all() and is_number.mean() >= _NUMERIC_SHARE:
            first = int(np.flatnonzero(~is_number)[0])
            raise DataError(
                f"Clinical file '{path}': column '{column}' looks numeric "
                f"({int(is_number.sum())} of {observed.size} values are numbers) but "
                f"has the non-numeric value {observed.iloc[first]!r} for id "
                f"{str(observed.index[first])!r}. Fix the value or leave the cell "
                f"empty (missing); to keep the column as categories, pass "
                f"--categorical {column}.")


def _task_and_target(y: np.ndarray, settings: dict, path: Path):
    """The task, and the target ready for it (checked against the task)."""
    from ..data import DataError

    target = settings["target"]
    values, counts = np.unique(y.astype(str) if y.dtype == object else y,
                               return_counts=True)
    integral = y.dtype != object and np.issubdtype(y.dtype, np.integer)
    task = settings["task"]
    if task == "auto":
        task = ("classification" if y.dtype == object or (
            integral and values.size <= settings["max_classes"]) else "regression")
    if task == "regression":
        if y.dtype == object:
            raise DataError(f"Clinical file '{path}': target column '{target}' has text "
                            f"values (e.g. {values[0]!r}); regression needs numbers. "
                            "Use --task classification for class labels.")
        return task, y.astype(np.float64)
    if values.size > settings["max_classes"]:
        raise DataError(
            f"Clinical file '{path}': target column '{target}' has {values.size} "
            f"distinct values; classification allows at most {settings['max_classes']} "
            "classes (--max-classes). If the target is a measurement, use --task "
            "regression; if it really has that many classes, raise --max-classes.")
    if y.dtype != object and not integral:
        raise DataError(f"Clinical file '{path}': target column '{target}' has "
                        "non-integer numbers; class labels must be integers or text. "
                        "Use --task regression for a measurement.")
    rare = [(v, c) for v, c in zip(values.tolist(), counts.tolist())
            if c < _MIN_PER_CLASS]
    if rare:
        shown = ", ".join(f"{v!r} ({c} sample{'s' if c > 1 else ''})" for v, c in rare)
        raise DataError(
            f"Clinical file '{path}': target column '{target}' has class(es) with fewer "
            f"than {_MIN_PER_CLASS} samples: {shown}. A stratified train / validation / "
            "test split needs at least 3 of each class; merge or drop the rare class.")
    return task, y


def _split(y, task: str, settings: dict, path: Path):
    from sklearn.model_selection import train_test_split

    from ..data import DataError

    n = y.shape[0]
    seed = settings["seed"]
    stratify = y if task == "classification" else None
    idx = np.arange(n)
    try:
        rest, test = train_test_split(idx, test_size=settings["test_size"],
                                      stratify=stratify, random_state=seed)
        valid_share = settings["valid_size"] / (1 - settings["test_size"])
        train, valid = train_test_split(
            rest, test_size=valid_share,
            stratify=None if stratify is None else stratify[rest],
            random_state=seed + 1)
    except ValueError as err:
        raise DataError(f"Clinical file '{path}': {n} samples cannot be split into "
                        f"train / validation / test with test_size "
                        f"{settings['test_size']} and valid_size "
                        f"{settings['valid_size']}: {err}") from err
    if min(train.size, valid.size, test.size) < 2:
        raise DataError(f"Clinical file '{path}': {n} samples leave only {train.size} "
                        f"/ {valid.size} / {test.size} for train / validation / test; "
                        "riata needs more samples.")
    return np.sort(train), np.sort(valid), np.sort(test)


def _penalty(name: str, alpha: float, l1_ratio: float, groups):
    from ..penalties import L1, L2, ElasticNet, GroupLasso, SparseGroupLasso

    return {
        "none": lambda: None,
        "l1": lambda: L1(alpha),
        "l2": lambda: L2(alpha),
        "elastic-net": lambda: ElasticNet(alpha, l1_ratio=l1_ratio),
        "group-lasso": lambda: GroupLasso(alpha, groups=groups),
        "sparse-group-lasso": lambda: SparseGroupLasso(alpha, l1_ratio=l1_ratio,
                                                       groups=groups),
    }[name]()


def _scores(task: str, y_true, prediction: dict, classes=None) -> dict:
    from sklearn.metrics import (
        accuracy_score,
        average_precision_score,
        mean_squared_error,
        r2_score,
        roc_auc_score,
    )
    from sklearn.preprocessing import label_binarize

    if task == "regression":
        return {"r2": float(r2_score(y_true, prediction["prediction"])),
                "mse": float(mean_squared_error(y_true, prediction["prediction"]))}
    proba = prediction["proba"]
    out = {"accuracy": float(accuracy_score(y_true, prediction["prediction"]))}
    present = np.isin(classes, y_true)
    if not present.all():  # a score over absent classes is undefined
        out.update(auroc=math.nan, ap=math.nan)
        return out
    if len(classes) == 2:
        positive = y_true == classes[1]
        out["auroc"] = float(roc_auc_score(positive, proba[:, 1]))
        out["ap"] = float(average_precision_score(positive, proba[:, 1]))
    else:
        onehot = label_binarize(y_true, classes=classes)
        out["auroc"] = float(roc_auc_score(onehot, proba, average="macro"))
        out["ap"] = float(average_precision_score(onehot, proba, average="macro"))
    return out


def _baseline(task: str, X_train, y_train, X_test, notes: list, quiet: bool,
              label: str) -> dict:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, Ridge

    model = (LogisticRegression(max_iter=2000) if task == "classification"
             else Ridge(alpha=1.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X_train, y_train)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        _warn(f"baseline '{label}' did not converge in {model.max_iter} iterations; "
              "its scores are those of the last iterate.", notes, quiet)
    if task == "classification":
        proba = model.predict_proba(X_test)
        return {"prediction": model.classes_[np.argmax(proba, axis=1)], "proba": proba}
    return {"prediction": model.predict(X_test)}


def _json_value(value):
    """A setting or parameter for config.json (penalties as class + params)."""
    from ..penalties import Penalty

    if isinstance(value, Penalty):
        return {"class": type(value).__name__,
                "params": {k: _json_value(v)
                           for k, v in value.get_params(deep=False).items()}}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [_json_value(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _json_text(data) -> str:
    def default(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
        return str(value)

    def clean(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if isinstance(value, np.generic):
            return clean(value.item())
        return value

    return json.dumps(clean(data), indent=2, default=default, allow_nan=False) + "\n"


_COUNT_COLUMNS = ("best_epoch", "n_inputs_kept", "n_inputs", "n_clinical_variables_kept",
                  "n_genetic_units_kept")


def _display(results):
    """The results table for Markdown: counts as integers, '-' where not applicable."""
    shown = results.copy()
    for column in _COUNT_COLUMNS:
        shown[column] = ["-" if v != v else str(int(v)) for v in shown[column]]
    return shown


# ------------------------------------------------------------------------------ run
def _fit_run(stage: Path, settings: dict, network: dict, quiet: bool,
             given: dict) -> dict:
    """Read, split, encode, fit, score and write everything into ``stage``."""
    import pandas as pd

    from ..data import ClinicalEncoder, DataError, DataWarning, read_table
    from ..estimators import SparseMLPClassifier, SparseMLPRegressor, fit_alpha_path
    from ..experiments import atomic_write_text, markdown_table
    from ..io import (
        assemble_features,
        count_missing_calls,
        predict_in_batches,
        save_model,
    )
    from ..plotting import (
        plot_regularization_path,
        plot_validation_curve,
        plot_weight_heatmap,
        save_figure,
    )

    t0 = time.perf_counter()
    notes: list[str] = []
    clinical_path = Path(settings["clinical"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        table = read_table(
            clinical_path, target=settings["target"], id_column=settings["id"],
            plink_prefix=settings["genotypes"], categorical=settings["categorical"] or None,
            numeric=settings["numeric"] or None, drop=settings["drop"] or None,
            min_samples=settings["min_samples"])
    _collect(caught, notes, quiet)
    _check_numeric_typos(table.clinical, clinical_path, settings["categorical"])
    task, y = _task_and_target(table.y, settings, clinical_path)
    train, valid, test = _split(y, task, settings, clinical_path)
    logger.info("riata fit: %d samples (%d train, %d validation, %d test), task %s",
                y.size, train.size, valid.size, test.size, task)

    # Clinical columns: every statistic from the training rows only.
    encoder, encoded, clinical_names, column_groups = None, None, [], []
    missing_values = {}
    if table.clinical is not None:
        missing_values = {str(c): int(n) for c, n in table.clinical.isna().sum().items()
                          if n}
        encoder = ClinicalEncoder(missing=settings["missing"])
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", DataWarning)
                encoder.fit(table.clinical.iloc[train])
                encoded = encoder.transform(table.clinical)
        except DataError as err:
            raise DataError(f"Clinical file '{clinical_path}': {err}") from None
        _collect(caught, notes, quiet)
        clinical_names = [str(n) for n in encoder.get_feature_names_out()]
        column_groups = [str(encoder.group_names_[g]) for g in encoder.feature_groups_]
        if missing_values:
            policy = {"impute": "imputed with the training median (numbers) or mode "
                                "(categories)",
                      "indicator": "imputed and flagged in VARIABLE_missing columns"}
            _warn(f"Clinical file '{clinical_path}': missing values in "
                  + ", ".join(f"'{c}' ({n})" for c, n in missing_values.items())
                  + f" were {policy[settings['missing']]}.", notes, quiet)

    # Genotypes: int8 until standardized by blocks with the training mean and scale.
    genotypes = table.genotypes
    n_snps = 0 if genotypes is None else genotypes.n_snps
    genotype_stats, missing_calls = None, {}
    if genotypes is not None:
        mean, scale = genotypes.mean_and_scale(train)
        genotype_stats = {"snp_names": genotypes.snp_names, "mean": mean, "scale": scale,
                          "allele_1": genotypes.allele_1, "allele_2": genotypes.allele_2,
                          "chromosome": genotypes.chromosome}
        missing_calls = {name: count_missing_calls(genotypes, rows)
                         for name, rows in (("train", train), ("valid", valid),
                                            ("test", test))}
        if sum(missing_calls.values()):
            _warn(f"{sum(missing_calls.values())} missing genotype call(s) "
                  f"({missing_calls['train']} train, {missing_calls['valid']} "
                  f"validation, {missing_calls['test']} test) were imputed by the "
                  "training mean of their SNP.", notes, quiet)
    else:
        mean = scale = None
    X = {name: assemble_features(encoded, genotypes, rows, mean, scale)
         for name, rows in (("train", train), ("valid", valid), ("test", test))}
    for name, block in X.items():
        if not np.isfinite(block).all():  # pragma: no cover - the readers refuse these
            raise DataError(f"The {name} features hold NaN or infinite values after "
                            "preprocessing; please report this as a riata bug.")
    n_clinical = len(clinical_names)
    encoder_dim = network["encoder_dim"]
    first_names = ([f"genetic_{k}" for k in range(encoder_dim)] if n_snps else []
                   ) + clinical_names
    first_groups = ([f"genetic:{k}" for k in range(encoder_dim)] if n_snps else []
                    ) + [f"clinical:{g}" for g in column_groups]
    clash = sorted(set(clinical_names) & set(first_names[:encoder_dim if n_snps else 0]))
    if clash:
        raise DataError(f"Clinical file '{clinical_path}': column(s) {clash} have the "
                        "names riata gives the genetic units; rename them.")
    variable_of = dict(zip(first_names, [g.split(":", 1)[1] if g.startswith("clinical")
                                         else "genetics" for g in first_groups]))

    # The network.
    cls = SparseMLPClassifier if task == "classification" else SparseMLPRegressor
    alpha = settings["alpha"]
    penalty = _penalty(settings["penalty"], 1.0 if alpha is None else float(alpha),
                       float(settings["l1_ratio"]), first_groups)
    estimator = cls(**network, penalty=penalty, n_encoded_features=n_snps)
    estimator._validate_params()
    y_train, y_valid, y_test = y[train], y[valid], y[test]
    # A regression target is standardized with its training mean and SD, so that
    # the output bias need not travel to the target's scale (years, mg/dL) and alpha
    # means the same for every target; predictions are mapped back before scoring,
    # and the two numbers are saved with the model for `riata predict`.
    target_mean, target_scale = 0.0, 1.0
    if task == "regression":
        target_mean = float(np.mean(y_train))
        target_scale = float(np.std(y_train)) or 1.0
        y_train = (y_train - target_mean) / target_scale
        y_valid = (y_valid - target_mean) / target_scale
    path = None
    t_fit = time.perf_counter()
    if penalty is None or alpha is not None:
        estimator.fit(X["train"], y_train, validation_data=(X["valid"], y_valid))
        chosen_alpha = math.nan if penalty is None else float(alpha)
    else:
        def progress(i, record):
            logger.info("  alpha %d/%d = %.4g: validation score %.4f, %d input(s) kept",
                        i + 1, settings["n_alphas"], record["alpha"],
                        record["valid_score"], record["n_selected"])

        path = fit_alpha_path(estimator, X["train"], y_train,
                              validation_data=(X["valid"], y_valid),
                              n_alphas=settings["n_alphas"], eps=settings["eps"],
                              callback=progress)
        estimator = path.best_estimator
        chosen_alpha = path.best_alpha
    fit_seconds = time.perf_counter() - t_fit

    # Scores on the test split, riata and the baselines on the same rows.
    classes = getattr(estimator, "classes_", None)
    riata_prediction = predict_in_batches(estimator, X["test"])
    if task == "regression":
        riata_prediction["prediction"] = (riata_prediction["prediction"] * target_scale
                                          + target_mean)
    riata_test = _scores(task, y_test, riata_prediction, classes)
    norms = estimator.feature_importances_
    kept = [n for n, v in zip(first_names, norms) if v > 0]
    kept_clinical = sorted({variable_of[n] for n in kept if not n.startswith("genetic_")})
    kept_genetic = sum(1 for n in kept if n.startswith("genetic_"))
    label = "riata " + ("MLP" if estimator.hidden_layer_sizes else "linear") + (
        f" ({settings['penalty']})")
    rows = [{"model": label, "inputs": "clinical + genotypes" if n_snps and n_clinical
             else "genotypes" if n_snps else "clinical",
             "penalty": settings["penalty"], "alpha": chosen_alpha,
             "best_epoch": int(estimator.best_epoch_),
             "n_inputs_kept": len(kept), "n_inputs": len(first_names),
             "n_clinical_variables_kept": len(kept_clinical),
             "n_genetic_units_kept": kept_genetic if n_snps else math.nan,
             **{f"test_{k}": v for k, v in riata_test.items()},
             "fit_seconds": round(fit_seconds, 2)}]
    baselines = {}
    base_name = ("logistic regression" if task == "classification"
                 else "ridge regression")
    blocks = []
    if n_clinical:
        blocks.append(("clinical", slice(0, n_clinical)))
    if n_snps:
        blocks.append(("clinical + genotypes" if n_clinical else "genotypes",
                       slice(0, n_clinical + n_snps)))
    for inputs, columns in blocks:
        name = f"{base_name} ({inputs})"
        t = time.perf_counter()
        prediction = _baseline(task, X["train"][:, columns], y[train],
                               X["test"][:, columns], notes, quiet, name)
        scores = _scores(task, y_test, prediction, classes)
        baselines[name] = scores
        rows.append({"model": name, "inputs": inputs, "penalty": "l2 (sklearn default)",
                     "alpha": math.nan, "best_epoch": math.nan,
                     "n_inputs_kept": math.nan, "n_inputs": columns.stop,
                     "n_clinical_variables_kept": math.nan,
                     "n_genetic_units_kept": math.nan,
                     **{f"test_{k}": v for k, v in scores.items()},
                     "fit_seconds": round(time.perf_counter() - t, 2)})
    results = pd.DataFrame(rows)

    # The run directory.
    stage.mkdir(parents=True)
    versions = {}
    from importlib.metadata import PackageNotFoundError, version

    for package in ("riata", "torch", "numpy", "scikit-learn", "pandas"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover - source tree
            versions[package] = None
    summary = table.summary()
    config = {
        "options_given": given,
        "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": {**settings,
                     "clinical": str(Path(settings["clinical"]).resolve()),
                     "genotypes": (None if settings["genotypes"] is None
                                   else str(Path(settings["genotypes"]).resolve())),
                     "out": str(Path(settings["out"]).resolve()),
                     "task": task},
        "estimator": {"class": cls.__name__,
                      "params": {k: _json_value(v) for k, v in
                                 estimator.get_params(deep=False).items()}},
        "data": {"n_samples": int(y.size), "n_train": int(train.size),
                 "n_valid": int(valid.size), "n_test": int(test.size),
                 "classes": None if classes is None else [str(c) for c in classes],
                 "class_counts": summary["class_counts"] if task == "classification"
                 else None,
                 "clinical_columns": summary["clinical_columns"],
                 "n_encoded_clinical_features": n_clinical, "n_snps": n_snps,
                 "dropped_columns": summary["dropped_columns"] or "none",
                 "missing_values": missing_values or "none",
                 "missing_policy": settings["missing"],
                 "missing_genotype_calls": missing_calls or "none",
                 "sample_matching": summary["sample_summary"] or "no genotypes"},
        "warnings": notes,
        "versions": versions,
    }
    atomic_write_text(stage / "config.json", _json_text(config))
    atomic_write_text(stage / "results.csv", results.to_csv(index=False))
    atomic_write_text(stage / "results.md", markdown_table(_display(results)))
    kkt = estimator.kkt_violation_
    metrics = {
        "task": task,
        "riata": {"test": riata_test, "alpha": chosen_alpha,
                  "monitor": estimator.monitor_,
                  "valid_score": float(estimator.best_score_),
                  "best_epoch": int(estimator.best_epoch_),
                  "kkt_max_ratio_of_zeros": (None if np.all(np.isnan(kkt))
                                             else float(np.nanmax(kkt))),
                  "selected_clinical_variables": kept_clinical,
                  "history": estimator.history_},
        "baselines": baselines,
        "path": None if path is None else {"alpha_max": path.alpha_max,
                                           "records": path.records},
        "splits": {"train": int(train.size), "valid": int(valid.size),
                   "test": int(test.size)},
        "genotypes": None if genotypes is None else {
            "n_snps": n_snps, "missing_calls": missing_calls,
            "imputation": "training mean of the SNP (0 after standardization)"},
        "warnings": notes,
        "seconds": round(time.perf_counter() - t0, 2),
    }
    atomic_write_text(stage / "metrics.json", _json_text(metrics))
    selected = pd.DataFrame({"model": "riata", "variable": first_names,
                             "group": [variable_of[n] for n in first_names],
                             "selected": norms > 0, "norm": norms.astype(float)})
    atomic_write_text(stage / "selected_variables.csv", selected.to_csv(index=False))
    ax = plot_weight_heatmap(estimator.first_layer_weights_, first_names,
                             title=f"{label}: first-layer weights")
    save_figure(ax.figure, stage / "figures" / "heatmap.png")
    if path is not None:
        frame = pd.DataFrame(path.records)
        atomic_write_text(stage / "paths" / "path.csv", frame.to_csv(index=False))
        ax = plot_regularization_path(path.alphas, path.group_norms, labels=first_names,
                                      chosen_alpha=path.best_alpha)
        ax.set_title("first-layer norms along the penalty path")
        save_figure(ax.figure, stage / "figures" / "path.png")
        metric = {"roc_auc": "AUROC", "average_precision": "AP", "loss": "-loss",
                  "r2": "R2"}.get(estimator.monitor_ or "loss", "score")
        ax = plot_validation_curve(path.alphas, frame["valid_score"].to_numpy(),
                                   metric_name=metric, chosen_alpha=path.best_alpha)
        ax.set_title(f"validation {metric} along the path")
        save_figure(ax.figure, stage / "figures" / "validation.png")
    save_model(stage / "model", estimator, clinical_encoder=encoder,
               genotype_stats=genotype_stats,
               metadata={"target": settings["target"], "id_column": settings["id"],
                         "task": task, "clinical_file": str(clinical_path),
                         "target_mean": target_mean, "target_scale": target_scale,
                         "genotypes": settings["genotypes"],
                         "clinical_feature_names": clinical_names,
                         "first_layer_groups": first_groups,
                         "penalty": settings["penalty"], "alpha": chosen_alpha})
    try:
        from ..experiments._report import write_report
    except ImportError:  # pragma: no cover - the report module ships with riata
        _warn("the HTML report module is not available; report.html not written.",
              notes, quiet)
    else:
        write_report(stage, title=f"riata fit: {settings['target']} in "
                                  f"{clinical_path.name}")
    return {"results": results, "task": task}


def run(args) -> int:
    """Run ``riata fit``; return the exit code."""
    from ..data import DataError
    from ..experiments import markdown_table

    settings, network, _ = resolve_settings(args)
    out = Path(settings["out"])
    _check_out(out, settings["overwrite"])
    # Staged as <parent>/.riata-fit-XXXX/<name>: the run directory has its final name
    # while it is written (the report shows it), and one rename publishes it.
    created = []
    parent = out.parent if str(out.parent) else Path(".")
    for folder in [parent, *parent.parents]:
        if folder.exists():
            break
        created.append(folder)
    import tempfile

    try:
        parent.mkdir(parents=True, exist_ok=True)
        holder = Path(tempfile.mkdtemp(prefix=".riata-fit-", dir=parent))
    except OSError as err:
        raise DataError(f"Cannot create the run directory '{out}': {err}.") from err
    stage = holder / out.name
    given = {k: _json_value(v) for k, v in vars(args).items()
             if k not in ("func", "command", "quiet")}
    try:
        outcome = _fit_run(stage, settings, network, bool(args.quiet), given)
        _publish(stage, out)
    except OSError as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise DataError(f"riata fit could not write its outputs: {err}.") from err
    finally:
        shutil.rmtree(holder, ignore_errors=True)
        if not out.exists():
            for folder in created:  # parents this run made, innermost first
                try:
                    folder.rmdir()
                except OSError:
                    break
    if not args.quiet:
        print(markdown_table(_display(outcome["results"])), end="")
        print(f"run directory: {out}")
        print(f"report: {out / 'report.html'}")
        sys.stdout.flush()
    return 0

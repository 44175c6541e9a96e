"""``fit_cohort``: a sparse network on a researcher's own clinical table and genotypes.

The run reads the clinical file (and a PLINK fileset), matches samples by id, splits
train / validation / test, learns every preprocessing statistic on the training
split (:mod:`._cohort_data`), fits the network along a penalty path or at one alpha,
scores it and a plain scikit-learn baseline on the same test split, and writes the
run directory (:mod:`._cohort_outputs`) under a hidden temporary name that is
renamed into place at the very end, so a run that fails leaves nothing behind.
"""

from __future__ import annotations

import logging
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import atomic_directory
from ..data import DataError, kernel_encoder_weights
from ..estimators import (
    SparseMLPClassifier,
    SparseMLPRegressor,
    explicit_encoder_estimator,
    fit_alpha_path,
)
from ..io import predict_in_batches
from ..penalties import make_penalty
from ._cohort_config import CohortFitConfig
from ._cohort_data import Notes, PreparedCohort, prepare_cohort
from ._cohort_outputs import display_results, write_run_directory
from ._outputs import markdown_table
from ._scoring import test_metrics

__all__ = ["CohortFitResult", "fit_cohort"]

logger = logging.getLogger("riata")


@dataclass
class CohortFitResult:
    """What :func:`fit_cohort` fitted, scored and wrote.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model (the riata network, then each baseline) with its test
        scores (``test_accuracy``, ``test_auroc``, ``test_ap`` or ``test_r2``,
        ``test_mse``), the inputs kept and the fit time; ``results.csv``.
    estimator : SparseMLPClassifier or SparseMLPRegressor
        The network at the chosen alpha, over ``[clinical | standardized SNPs]`` (it
        was trained on the genotype kernel and its encoder then written out as one
        weight per SNP; ``riata predict`` applies it to new samples). A regressor
        predicts the standardized target: multiply by ``target_scale`` and add
        ``target_mean``.
    run_dir : pathlib.Path
        The run directory written.
    task : {"classification", "regression"}
    alpha : float
        The chosen (or given) penalty strength; NaN without a penalty.
    path : AlphaPath or None
        The penalty path, when alpha was chosen on the validation split.
    test_scores : dict
        The network's scores on the test split.
    baseline_scores : dict
        Baseline name -> its scores on the same test split.
    selected_variables : list of str
        Clinical variables with a nonzero first-layer weight.
    target_mean, target_scale : float
        Standardization of a regression target (0 and 1 for classification).
    notes : list of str
        The warnings of the run (also in ``config.json``).
    """

    table: pd.DataFrame
    estimator: object
    run_dir: Path
    task: str
    alpha: float
    path: object = None
    test_scores: dict = field(default_factory=dict)
    baseline_scores: dict = field(default_factory=dict)
    selected_variables: list = field(default_factory=list)
    target_mean: float = 0.0
    target_scale: float = 1.0
    notes: list = field(default_factory=list)

    def to_markdown(self) -> str:
        """The results table as ``results.md`` shows it ('-' where not applicable)."""
        return markdown_table(display_results(self.table))


def fit_cohort(config: CohortFitConfig, out_dir, *, overwrite: bool = False,
               on_warning=None, options_given: dict | None = None) -> CohortFitResult:
    """Fit, score and report a sparse network on a cohort's files.

    Reads ``config.clinical`` (and the PLINK fileset ``config.genotypes``), matches
    samples by id, splits train / validation / test (stratified for classification,
    seeded by ``config.seed``), learns every preprocessing statistic on the training
    split, fits a :class:`~riata.SparseMLPClassifier` or
    :class:`~riata.SparseMLPRegressor` whose first layer carries ``config.penalty``
    (one group per clinical variable and per genetic unit) along a warm-started path
    of ``config.n_alphas`` alphas chosen on the validation split (or at
    ``config.alpha``), and scores it next to a logistic or ridge regression on the
    same test split. A regression target is standardized with its training mean and
    SD for the fit; scores are on the original scale.

    ``out_dir`` receives ``config.json``, ``results.csv`` / ``results.md``,
    ``metrics.json``, ``selected_variables.csv``, ``figures/``, ``paths/`` (with a
    path), ``model/`` (for :func:`riata.io.load_model` and ``riata predict``) and
    ``report.html``. It is written under a hidden temporary name beside ``out_dir``
    and renamed into place at the end: a run that fails leaves ``out_dir`` as it was
    (and no temporary).

    Parameters
    ----------
    config : CohortFitConfig
        The files, preprocessing, penalty, split and network settings.
    out_dir : str or path-like
        Run directory to write.
    overwrite : bool, default=False
        Replace an existing non-empty ``out_dir`` (an empty one is always replaced).
    on_warning : callable, default=None
        Called with the text of each warning as it arises (a dropped column, imputed
        values, samples left out by matching, a baseline that did not converge),
        e.g. ``print``. None: each is issued as a :class:`riata.data.DataWarning`.
        Either way the warnings are listed in ``config.json`` and in the result.
    options_given : dict, default=None
        How the run was asked for (e.g. the command-line options), recorded in
        ``config.json`` under ``options_given``; None records the settings of
        ``config`` that differ from their defaults.

    Returns
    -------
    CohortFitResult
        The results table, the fitted network, its path and scores, the selected
        clinical variables, the warnings and the run directory.

    Raises
    ------
    riata.data.DataError
        If a file is missing or malformed, a column or sample is unusable, the
        target does not suit the task, the samples cannot be split, ``out_dir``
        exists and is not an empty directory (without ``overwrite``), or the run
        directory cannot be written. The message names the file, column and sample.
    TypeError
        If ``config`` is not a :class:`CohortFitConfig` or ``overwrite`` is not a
        bool.

    See Also
    --------
    CohortFitConfig : the settings, with their defaults.
    riata.estimators.fit_alpha_path : the penalty path.
    riata.io.load_model : reload the saved network.

    Examples
    --------
    >>> from riata.experiments import CohortFitConfig, fit_cohort
    >>> config = CohortFitConfig(clinical="cohort.csv", genotypes="geno/cohort",
    ...                          target="chd", id_column="pid", n_alphas=6)
    >>> result = fit_cohort(config, "runs/chd")  # doctest: +SKIP
    >>> print(result.to_markdown())  # doctest: +SKIP
    >>> result.selected_variables  # doctest: +SKIP
    ['age', 'sex', 'smoker']
    """
    if not isinstance(config, CohortFitConfig):
        raise TypeError(f"config must be a CohortFitConfig; got "
                        f"{type(config).__name__}.")
    if not isinstance(overwrite, bool):
        raise TypeError(f"'overwrite' must be true or false; got {overwrite!r}.")
    out = Path(os.fspath(out_dir))
    _check_out(out, overwrite)
    try:
        with atomic_directory(out) as stage:
            result = _run(config, stage, out, Notes(on_warning),
                          time.perf_counter(), overwrite=overwrite,
                          options_given=options_given)
    except OSError as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise DataError(f"Cannot write the run directory '{out}': {err}.") from err
    return result


def _check_out(out: Path, overwrite: bool) -> None:
    if out.exists():
        if not out.is_dir():
            raise DataError(f"Run directory '{out}' exists and is not a directory.")
        if any(out.iterdir()) and not overwrite:
            raise DataError(f"Run directory '{out}' exists and is not empty; pass "
                            "--overwrite (overwrite=True) to replace it or choose "
                            "another directory.")


def _run(config: CohortFitConfig, stage: Path, out: Path, notes: Notes, started: float,
         **record) -> CohortFitResult:
    """Prepare, fit, score and write everything into ``stage``."""
    params = config.estimator_params()
    data = prepare_cohort(config, notes, params["encoder_dim"])
    result, seconds, trained = _fit_network(config, params, data)
    result.run_dir = out
    _score(config, data, result, notes, seconds, trained)
    write_run_directory(stage, config, data, result, notes, started=started, **record)
    result.notes = list(notes)
    return result


def _fit_network(config: CohortFitConfig, params: dict, data: PreparedCohort):
    """The network at the given alpha, or the best of its penalty path.

    Returns the result to be scored, the seconds the fit took, and the estimator as
    trained (on the split matrices ``data.X``; with genotypes it reads the kernel,
    while ``result.estimator`` is its explicit, per-SNP form).
    """
    cls = SparseMLPClassifier if data.task == "classification" else SparseMLPRegressor
    alpha = config.alpha
    penalty = make_penalty(config.penalty, 1.0 if alpha is None else float(alpha),
                           l1_ratio=float(config.l1_ratio), groups=data.first_groups)
    n_kernel = data.train.size if data.n_snps else 0
    estimator = cls(**params, penalty=penalty, n_encoded_features=n_kernel,
                    encoder_kernel="precomputed" if n_kernel else None)
    estimator._validate_params()
    y_train, y_valid = data.y[data.train], data.y[data.valid]
    # A regression target is standardized with its training mean and SD, so that
    # the output bias need not travel to the target's scale (years, mg/dL) and alpha
    # means the same for every target; predictions are mapped back before scoring,
    # and the two numbers are saved with the model for `riata predict`.
    target_mean, target_scale = 0.0, 1.0
    if data.task == "regression":
        target_mean = float(np.mean(y_train))
        target_scale = float(np.std(y_train)) or 1.0
        y_train = (y_train - target_mean) / target_scale
        y_valid = (y_valid - target_mean) / target_scale
    path = None
    started = time.perf_counter()
    if penalty is None or alpha is not None:
        estimator.fit(data.X["train"], y_train,
                      validation_data=(data.X["valid"], y_valid))
        chosen = math.nan if penalty is None else float(alpha)
    else:
        def progress(i, record):
            logger.info("  alpha %d/%d = %.4g: validation score %.4f, %d input(s) kept",
                        i + 1, config.n_alphas, record["alpha"],
                        record["valid_score"], record["n_selected"])

        path = fit_alpha_path(estimator, data.X["train"], y_train,
                              validation_data=(data.X["valid"], y_valid),
                              n_alphas=config.n_alphas, eps=config.eps,
                              callback=progress)
        estimator = path.best_estimator
        chosen = path.best_alpha
    trained = estimator
    if n_kernel:
        # One weight per SNP (one more pass over the int8 genotypes), so that the saved
        # model predicts new samples from their genotypes alone.
        stats = data.genotype_stats
        weights = kernel_encoder_weights(trained.encoder_dual_coef_, data.table.genotypes,
                                         data.train, mean=stats["mean"],
                                         scale=stats["scale"])
        estimator = explicit_encoder_estimator(trained, weights)
    seconds = time.perf_counter() - started
    result = CohortFitResult(table=pd.DataFrame(), estimator=estimator, run_dir=Path(),
                             task=data.task, alpha=chosen, path=path,
                             target_mean=target_mean, target_scale=target_scale)
    return result, seconds, trained


def _score_predictions(task: str, y_true, prediction: dict, classes=None) -> dict:
    """Test scores: accuracy, AUROC and AP (macro over classes), or R2 and MSE.

    ``prediction`` is :func:`riata.io.predict_in_batches`'s dict. AUROC and AP are
    NaN when a class of the model is absent from ``y_true`` (they are undefined).
    """
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
    if len(classes) == 2 and np.isin(classes, y_true).all():
        return test_metrics(y_true == classes[1], proba[:, 1])
    out = {"accuracy": float(accuracy_score(y_true, prediction["prediction"]))}
    if not np.isin(classes, y_true).all():  # a score over absent classes is undefined
        out.update(auroc=math.nan, ap=math.nan)
        return out
    onehot = label_binarize(y_true, classes=classes)
    out["auroc"] = float(roc_auc_score(onehot, proba, average="macro"))
    out["ap"] = float(average_precision_score(onehot, proba, average="macro"))
    return out


def _score(config: CohortFitConfig, data: PreparedCohort, result: CohortFitResult,
           notes: Notes, fit_seconds: float, trained) -> None:
    """Score the network and the baselines on the test split; fill ``result.table``.

    ``trained`` is the network in the form that reads ``data.X`` (the kernel form
    with genotypes); it computes the same function as ``result.estimator``.
    """
    estimator, task = result.estimator, data.task
    y_test = data.y[data.test]
    classes = getattr(estimator, "classes_", None)
    prediction = predict_in_batches(trained, data.X["test"])
    if task == "regression":
        prediction["prediction"] = (prediction["prediction"] * result.target_scale
                                    + result.target_mean)
    result.test_scores = _score_predictions(task, y_test, prediction, classes)
    norms = estimator.feature_importances_
    kept = [n for n, v in zip(data.first_names, norms) if v > 0]
    result.selected_variables = sorted({data.variable_of[n] for n in kept
                                        if not n.startswith("genetic_")})
    n_snps, n_clinical = data.n_snps, data.n_clinical
    label = "riata " + ("MLP" if estimator.hidden_layer_sizes else "linear") + (
        f" ({config.penalty})")
    rows = [{"model": label, "inputs": "clinical + genotypes" if n_snps and n_clinical
             else "genotypes" if n_snps else "clinical",
             "penalty": config.penalty, "alpha": result.alpha,
             "best_epoch": int(estimator.best_epoch_),
             "n_inputs_kept": len(kept), "n_inputs": len(data.first_names),
             "n_clinical_variables_kept": len(result.selected_variables),
             "n_genetic_units_kept": (sum(1 for n in kept if n.startswith("genetic_"))
                                      if n_snps else math.nan),
             **{f"test_{k}": v for k, v in result.test_scores.items()},
             "fit_seconds": round(fit_seconds, 2)}]
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
        started = time.perf_counter()
        if columns.stop > n_clinical:
            X_train, X_test = _linear_kernel_features(data.X["train"], data.X["test"],
                                                      n_clinical, n_snps)
        else:
            X_train, X_test = data.X["train"][:, columns], data.X["test"][:, columns]
        prediction = _baseline(task, X_train, data.y[data.train], X_test, notes, name)
        scores = _score_predictions(task, y_test, prediction, classes)
        result.baseline_scores[name] = scores
        rows.append({"model": name, "inputs": inputs, "penalty": "l2 (sklearn default)",
                     "alpha": math.nan, "best_epoch": math.nan,
                     "n_inputs_kept": math.nan, "n_inputs": columns.stop,
                     "n_clinical_variables_kept": math.nan,
                     "n_genetic_units_kept": math.nan,
                     **{f"test_{k}": v for k, v in scores.items()},
                     "fit_seconds": round(time.perf_counter() - started, 2)})
    result.table = pd.DataFrame(rows)


def _linear_kernel_features(X_train, X_test, n_clinical: int, n_snps: int):
    """``[clinical | F]`` with ``F`` standing in exactly for the standardized SNPs.

    The last columns of the split matrices hold ``K = Z Z_train^T / p``. With
    ``p K_train = U diag(lam) U^T``, the features ``F_train = U sqrt(lam)`` and
    ``F_test = p K_test U / sqrt(lam)`` have the inner products of ``Z``
    (``F F_train^T = p K = Z Z_train^T``), so an L2-penalized linear model on
    ``[clinical | F]`` has the decision function and the penalty of the same model
    on ``[clinical | Z]``: its genotype weights lie in the span of the training rows
    (representer theorem). Directions whose eigenvalue is below the kernel's rounding
    (the precision of its dtype times the number of samples) carry no training
    information, only rounding noise that ``1 / sqrt(lam)`` would amplify: dropped.
    """
    eps = np.finfo(np.asarray(X_train).dtype).eps  # the split matrices are float
    gram = np.asarray(X_train[:, n_clinical:], dtype=np.float64) * n_snps
    gram = (gram + gram.T) / 2
    lam, vecs = np.linalg.eigh(gram)
    keep = lam > lam.max() * max(eps * gram.shape[0], 1e-12)
    lam, vecs = lam[keep], vecs[:, keep]
    f_train = vecs * np.sqrt(lam)
    f_test = (np.asarray(X_test[:, n_clinical:], dtype=np.float64) * n_snps) @ (
        vecs / np.sqrt(lam))
    return (np.hstack([X_train[:, :n_clinical], f_train]),
            np.hstack([X_test[:, :n_clinical], f_test]))


def _baseline(task: str, X_train, y_train, X_test, notes: Notes, label: str) -> dict:
    """A plain scikit-learn model (default L2) on the same inputs: its predictions."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, Ridge

    model = (LogisticRegression(max_iter=2000) if task == "classification"
             else Ridge(alpha=1.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X_train, y_train)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        notes.add(f"baseline '{label}' did not converge in {model.max_iter} "
                  "iterations; its scores are those of the last iterate.")
    if task == "classification":
        proba = model.predict_proba(X_test)
        return {"prediction": model.classes_[np.argmax(proba, axis=1)], "proba": proba}
    return {"prediction": model.predict(X_test)}

"""One pipeline from a Table to a run directory, shared by every workflow."""

from __future__ import annotations

import dataclasses
import logging
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import Table
from ._fit import FittedModel, PipelineSettings, fit_model
from ._inputs import PreparedInputs, prepare_inputs
from ._notes import Notes
from ._scoring import KnownTruth, prediction_scores, result_row
from ._uncertainty import bootstrap_intervals, threshold_scores, youden_threshold

__all__ = ["RunResult", "run_pipeline", "fit_and_score", "feasible_folds", "oracle_scores",
           "REFERENCE_MODEL", "THRESHOLD_RULE", "CERTIFIED_TOLERANCE"]

#: The baseline every model's AUROC is compared with (paired bootstrap interval).
REFERENCE_MODEL = ("logistic_clinical", "linear_clinical")
#: How the classification threshold is chosen (see riata.pipeline._uncertainty).
THRESHOLD_RULE = "youden (validation)"
#: A model's zeros count as certified when its largest KKT ratio is at most 1 plus this.
CERTIFIED_TOLERANCE = 1e-3

logger = logging.getLogger("riata")


@dataclass(frozen=True, eq=False)
class RunResult:
    """What a run fitted and scored.

    Attributes
    ----------
    workflow : str
        ``"casestudy"`` or ``"fit"``.
    table : pandas.DataFrame
        results.csv: one row per model.
    models : dict of str to FittedModel
    scores : dict of str to dict
        Test scores per model.
    inputs : PreparedInputs
    truth : KnownTruth or None
    oracle : dict
        Test AUROC / AP of the true risk (simulated cohorts).
    notes : tuple of str
        The warnings of the run.
    run_dir : pathlib.Path or None
    predictions : dict of str to ndarray
        Binary classification: each model's test probability of the positive class
        (the ROC, precision-recall and calibration figures).
    stability : dict of str to StabilitySelection
        Models whose selection was refitted on half-samples.
    """

    workflow: str
    table: pd.DataFrame
    models: dict
    scores: dict
    inputs: PreparedInputs
    truth: KnownTruth | None = None
    oracle: dict = field(default_factory=dict)
    notes: tuple = ()
    run_dir: Path | None = None
    predictions: dict = field(default_factory=dict)
    stability: dict = field(default_factory=dict)

    def truth_document(self) -> dict:
        """``truth.json``: the truth, the oracle's test scores and the split sizes."""
        t = self.truth
        return {"clinical_variables": list(t.clinical_variables), "decoys": t.decoys,
                "causal_snps": list(t.causal_snps), **t.description,
                **{f"oracle_{k}_test": v for k, v in self.oracle.items()},
                **{f"n_{k}": v for k, v in self.inputs.split.sizes().items()}}


def oracle_scores(inputs: PreparedInputs, truth: KnownTruth | None) -> dict:
    """Test AUROC and AP of the true risk: the ceiling of any model."""
    if truth is None or truth.risk is None:
        return {}
    rows = inputs.rows("test")
    classes = sorted(set(inputs.y.tolist()))
    proba = truth.risk[rows]
    scores = prediction_scores(inputs.task, inputs.y[rows],
                               {"proba": pd.DataFrame({0: 1 - proba, 1: proba}).to_numpy(),
                                "classes": classes})
    return {"auroc": scores["auroc"], "ap": scores["ap"]}


def _binary_extras(fitted: FittedModel, inputs: PreparedInputs) -> tuple[dict, np.ndarray]:
    """The threshold chosen on the validation rows, the test scores at it, and the
    test probabilities of the positive class."""
    positive = inputs.positive_class
    column = list(fitted.estimator.classes_).index(positive)
    valid = fitted.predict(inputs, "valid")["proba"][:, column]
    test = fitted.predict(inputs, "test")["proba"][:, column]
    threshold = youden_threshold(inputs.target("valid") == positive, valid)
    extras = threshold_scores(inputs.target("test") == positive, test, threshold)
    extras["accuracy"] = extras.pop("accuracy_at_threshold")
    return {**extras, "threshold_rule": THRESHOLD_RULE}, test


def _certified(row: dict) -> object:
    """Whether every zero input of the model is a KKT point ("" without zeros)."""
    kkt = row.get("kkt_max", math.nan)
    if kkt is None or (isinstance(kkt, float) and math.isnan(kkt)):
        return ""
    return bool(kkt <= 1 + CERTIFIED_TOLERANCE)


def _interval_columns(rows: list, predictions: dict, inputs: PreparedInputs) -> None:
    """Add bootstrap intervals of test AUROC and AP (and of the difference to the
    clinical baseline) to the rows of ``results.csv``."""
    if not predictions:
        return
    reference = next((k for k in REFERENCE_MODEL if k in predictions), None)
    positive = inputs.target("test") == inputs.positive_class
    intervals = bootstrap_intervals(positive, predictions, reference=reference)
    for row in rows:
        entry = intervals.get(row["model"], {})
        for name, value in entry.items():
            key = (f"test_{name}" if not name.startswith("auroc_diff")
                   else name.replace("auroc_diff", f"auroc_minus_{reference}"))
            row[key] = value


def _fit_noting_convergence(spec, inputs, settings, notes: Notes,
                            checkpoint=None) -> FittedModel:
    """:func:`fit_model`, with the estimators' ConvergenceWarnings (one per fit of a
    path, fold or half-sample) gathered into one note of the run per model."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        fitted = fit_model(spec, inputs, settings, notes, checkpoint)
    stops = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    for w in caught:
        if w not in stops:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if stops:
        notes.add(f"model '{spec.key}': {len(stops)} of its fits stopped before "
                  f"converging, e.g. {stops[0].message} Its scores are those of the "
                  "returned weights (riata fit: raise --epochs).")
    return fitted


def feasible_folds(settings: PipelineSettings, inputs: PreparedInputs,
                   notes: Notes) -> PipelineSettings:
    """``settings`` with as many cross-validation folds as the training rows allow.

    Stratified K-fold needs every class in every fold (scikit-learn's
    ``StratifiedKFold`` refuses otherwise); a K larger than the smallest class's
    training count is lowered to that count, with a note; below 2 the validation
    split chooses alpha instead. A regression needs K <= the number of training rows.
    """
    if not settings.cv:
        return settings
    y = inputs.target("train")
    if inputs.task == "classification":
        _, counts = np.unique(y, return_counts=True)
        most, what = int(counts.min()), "the smallest class has"
    else:
        most, what = int(y.size), "there are"
    if settings.cv <= most:
        return settings
    folds = most if most >= 2 else None
    chosen = (f"{folds}-fold cross-validation" if folds else
              "the validation split (cross-validation needs 2 rows per fold)")
    notes.add(f"{settings.cv}-fold cross-validation asked for, but {what} {most} "
              f"training row(s); alpha is chosen by {chosen}. Collect more samples "
              "or pass a smaller --cv.")
    return dataclasses.replace(settings, cv=folds)


def fit_and_score(specs, inputs: PreparedInputs, settings: PipelineSettings,
                  truth: KnownTruth | None = None, notes: Notes | None = None,
                  progress=None, workflow: str = "fit", checkpoint=None) -> RunResult:
    """Fit every spec on the same split and score it on the test rows.

    Besides :func:`prediction_scores` and :func:`result_row`, a binary
    classification gets, per model, the threshold of Youden's J on the validation rows
    with the accuracy, sensitivity and specificity at it (beside the prevalence and
    the majority-class rate), the Brier score, and 95 % bootstrap intervals of its test
    AUROC and AP and of its AUROC's difference to the clinical logistic regression.
    ``zeros_certified`` says whether every zero input passed its KKT check.
    ``checkpoint`` (a :class:`riata.io.PathCheckpoint`) is handed to
    :func:`fit_model`: the paths save their state after each alpha and resume from it.

    Returns
    -------
    RunResult
        Without a run directory (:func:`riata.pipeline.write_run_directory`).
    """
    notes = Notes() if notes is None else notes
    settings = feasible_folds(settings, inputs, notes)
    oracle = oracle_scores(inputs, truth)
    models, scores, rows, predictions = {}, {}, [], {}
    y_test = inputs.target("test")
    binary = inputs.task == "classification" and len(np.unique(inputs.y)) == 2
    for spec in (specs if progress is None else progress(specs)):
        if spec.inputs == "genetic" and not inputs.n_snps:
            continue
        fitted: FittedModel = _fit_noting_convergence(spec, inputs, settings, notes,
                                                      checkpoint)
        models[spec.key] = fitted
        scores[spec.key] = prediction_scores(inputs.task, y_test,
                                             fitted.predict(inputs, "test"),
                                             positive=inputs.positive_class)
        if binary:
            extras, predictions[spec.key] = _binary_extras(fitted, inputs)
            scores[spec.key].update(extras)
        row = result_row(fitted, inputs, scores[spec.key], truth, oracle)
        row["zeros_certified"] = _certified(row)
        rows.append(row)
        shown = ", ".join(f"{k} {v:.3f}" for k, v in scores[spec.key].items()
                          if isinstance(v, float))
        logger.info("%-45s %s", spec.label, shown)
    _interval_columns(rows, predictions, inputs)
    return RunResult(workflow=workflow, table=pd.DataFrame(rows), models=models,
                     scores=scores, inputs=inputs, truth=truth, oracle=oracle,
                     notes=tuple(notes), predictions=predictions)


def run_pipeline(table: Table, specs, *, settings: PipelineSettings | None = None,
                 truth: KnownTruth | None = None, notes: Notes | None = None,
                 workflow: str = "fit", prepare: dict | None = None,
                 progress=None) -> RunResult:
    """Prepare a table, fit and score every spec: the stages both workflows share.

    Parameters
    ----------
    table : Table
    specs : sequence of ModelSpec
    settings : PipelineSettings, optional
    truth : KnownTruth, optional
        Scores selections and the oracle (simulated cohorts).
    notes : Notes, optional
    workflow : str
        Recorded in ``config.json``.
    prepare : dict, optional
        Keyword arguments of :func:`prepare_inputs` (task, split sizes, seed,
        missing-value policy, source).
    progress : callable, optional
        Wraps the list of specs (e.g. a progress bar).

    Returns
    -------
    RunResult
        Not yet written: :func:`riata.pipeline.write_run_directory` writes it.
    """
    notes = Notes() if notes is None else notes
    settings = PipelineSettings() if settings is None else settings
    inputs = prepare_inputs(table, notes=notes, **(prepare or {}))
    return fit_and_score(specs, inputs, settings, truth, notes, progress, workflow)

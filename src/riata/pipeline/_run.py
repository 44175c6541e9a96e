"""One pipeline from a Table to a run directory, shared by every workflow."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..data import Table
from ._fit import FittedModel, PipelineSettings, fit_model
from ._inputs import PreparedInputs, prepare_inputs
from ._notes import Notes
from ._scoring import KnownTruth, prediction_scores, result_row

__all__ = ["RunResult", "run_pipeline"]

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


def fit_and_score(specs, inputs: PreparedInputs, settings: PipelineSettings,
                  truth: KnownTruth | None = None, notes: Notes | None = None,
                  progress=None):
    """Fit every spec on the same split and score it on the test rows.

    Returns ``(table, models, scores, oracle)``.
    """
    notes = Notes() if notes is None else notes
    oracle = oracle_scores(inputs, truth)
    models, scores, rows = {}, {}, []
    y_test = inputs.target("test")
    for spec in (specs if progress is None else progress(specs)):
        if spec.inputs == "genetic" and not inputs.n_snps:
            continue
        fitted: FittedModel = fit_model(spec, inputs, settings, notes)
        models[spec.key] = fitted
        scores[spec.key] = prediction_scores(inputs.task, y_test,
                                             fitted.predict(inputs, "test"),
                                             positive=inputs.positive_class)
        rows.append(result_row(fitted, inputs, scores[spec.key], truth, oracle))
        shown = ", ".join(f"{k} {v:.3f}" for k, v in scores[spec.key].items())
        logger.info("%-45s %s", spec.label, shown)
    return pd.DataFrame(rows), models, scores, oracle


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
    frame, models, scores, oracle = fit_and_score(specs, inputs, settings, truth, notes,
                                                  progress)
    return RunResult(workflow=workflow, table=frame, models=models, scores=scores,
                     inputs=inputs, truth=truth, oracle=oracle, notes=tuple(notes))

"""One pipeline from a Table to a run directory, shared by every workflow.

split -> prepare inputs (clinical encoding, genotype statistics, kernel) -> fit each
model spec (alpha chosen on the validation rows) -> score on the test rows (and
against a known truth) -> write the run directory (one schema, atomic) and its report.
``riata casestudy`` and ``riata fit`` (:mod:`riata.workflows`) differ only in where
their Table comes from and which specs they fit.
"""

from .._files import atomic_write_text
from ._export import deployable_model
from ._fit import FittedModel, PipelineSettings, fit_model
from ._inputs import TASKS, PreparedInputs, prepare_inputs
from ._notes import Notes
from ._repeats import SUMMARY_METRICS, selection_frequency, summarize_repeats
from ._report import write_report
from ._run import (
    CERTIFIED_TOLERANCE,
    REFERENCE_MODEL,
    THRESHOLD_RULE,
    RunResult,
    feasible_folds,
    fit_and_score,
    oracle_scores,
    run_pipeline,
)
from ._rundir import RESULT_COLUMNS, check_run_directory, markdown_table, write_run_directory
from ._scoring import (
    KnownTruth,
    clinical_selection,
    prediction_scores,
    result_row,
    selection_scores,
    snp_scores,
)
from ._specs import (
    INPUTS,
    KIND_PARAMS,
    KINDS,
    PENALTY_PARAMS,
    SPARSE_PENALTIES,
    ModelSpec,
    case_study_specs,
    cohort_specs,
)
from ._split import Split, split_samples
from ._stability import STABLE_THRESHOLD, StabilitySelection, stability_selection
from ._uncertainty import bootstrap_intervals, threshold_scores, youden_threshold

__all__ = [
    "Split",
    "split_samples",
    "PreparedInputs",
    "prepare_inputs",
    "TASKS",
    "Notes",
    "ModelSpec",
    "KINDS",
    "INPUTS",
    "KIND_PARAMS",
    "PENALTY_PARAMS",
    "SPARSE_PENALTIES",
    "case_study_specs",
    "cohort_specs",
    "PipelineSettings",
    "FittedModel",
    "fit_model",
    "deployable_model",
    "KnownTruth",
    "prediction_scores",
    "clinical_selection",
    "selection_scores",
    "snp_scores",
    "result_row",
    "RunResult",
    "fit_and_score",
    "feasible_folds",
    "THRESHOLD_RULE",
    "REFERENCE_MODEL",
    "CERTIFIED_TOLERANCE",
    "stability_selection",
    "StabilitySelection",
    "STABLE_THRESHOLD",
    "bootstrap_intervals",
    "youden_threshold",
    "threshold_scores",
    "oracle_scores",
    "run_pipeline",
    "write_run_directory",
    "check_run_directory",
    "markdown_table",
    "RESULT_COLUMNS",
    "write_report",
    "atomic_write_text",
    "summarize_repeats",
    "selection_frequency",
    "SUMMARY_METRICS",
]

"""The workflows: the case study, a fit on a researcher's own files, and prediction.

Each reads its data into a :class:`riata.data.Table` and hands it to the shared
pipeline (:mod:`riata.pipeline`); they differ in where the Table comes from and which
models they fit.
"""

from ._casestudy import CASE_STUDY_MODELS, CaseStudyConfig, CaseStudyResult, run_case_study
from ._cohort import CohortFitResult, finished_before, fit_cohort
from ._cohort_config import CohortFitConfig
from ._predict import Predictions, predict_cohort, predict_from_genotypes, predict_in_batches

__all__ = [
    "CaseStudyConfig",
    "CaseStudyResult",
    "run_case_study",
    "CASE_STUDY_MODELS",
    "CohortFitConfig",
    "CohortFitResult",
    "fit_cohort",
    "finished_before",
    "Predictions",
    "predict_cohort",
    "predict_in_batches",
    "predict_from_genotypes",
]

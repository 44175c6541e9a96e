"""The Framingham-style case study and the run directory it writes."""

from ._casestudy import MODELS, PANELS, CaseStudyConfig, CaseStudyResult, run_case_study
from ._cohort_config import NETWORK_DEFAULTS, CohortFitConfig
from ._cohort_fit import CohortFitResult, fit_cohort
from ._outputs import atomic_write_text, markdown_table

__all__ = [
    "MODELS",
    "PANELS",
    "CaseStudyConfig",
    "CaseStudyResult",
    "run_case_study",
    "CohortFitConfig",
    "CohortFitResult",
    "fit_cohort",
    "NETWORK_DEFAULTS",
    "atomic_write_text",
    "markdown_table",
]

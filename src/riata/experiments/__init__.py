"""The Framingham-style case study and the run directory it writes."""

from ._casestudy import MODELS, PANELS, CaseStudyConfig, CaseStudyResult, run_case_study
from ._outputs import atomic_write_text, markdown_table

__all__ = [
    "MODELS",
    "PANELS",
    "CaseStudyConfig",
    "CaseStudyResult",
    "run_case_study",
    "atomic_write_text",
    "markdown_table",
]

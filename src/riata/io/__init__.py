"""Model files: a fitted estimator as safetensors weights plus JSON metadata.

``save_model`` / ``load_model`` store a fitted estimator with its feature names,
groups, preprocessing statistics and versions; nothing is pickled. Reading the files
of new samples lives in :mod:`riata.data`, predicting them in
:func:`riata.workflows.predict_cohort`.
"""

from ._model_files import (
    METADATA_FILE,
    SCHEMA_VERSION,
    WEIGHTS_FILE,
    ModelVersionWarning,
    load_model,
    save_model,
)

__all__ = [
    "save_model",
    "load_model",
    "ModelVersionWarning",
    "SCHEMA_VERSION",
    "WEIGHTS_FILE",
    "METADATA_FILE",
]

"""Model files: a fitted estimator as safetensors weights plus JSON metadata.

``save_model`` / ``load_model`` store a fitted estimator with its feature names,
groups, preprocessing statistics and versions; nothing is pickled.
``PathCheckpoint`` keeps the resume files of a long fit (torch.distributed.checkpoint,
one per solved alpha); they are for resuming a job, not a model format. Reading the files
of new samples lives in :mod:`riata.data`, predicting them in
:func:`riata.workflows.predict_cohort`.
"""

from ._checkpoint import (
    FINGERPRINT_FILE,
    FINISHED_FILE,
    CheckpointError,
    PathCheckpoint,
    delete_checkpoint_directory,
)
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
    "PathCheckpoint",
    "CheckpointError",
    "FINGERPRINT_FILE",
    "FINISHED_FILE",
    "delete_checkpoint_directory",
]

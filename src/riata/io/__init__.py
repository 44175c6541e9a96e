"""Model files and feature building for a user's own data.

``save_model`` / ``load_model`` store a fitted estimator as safetensors weights plus
JSON metadata (feature names, groups, preprocessing statistics, versions); nothing is
pickled. ``read_new_clinical``, ``read_genotypes_for_model`` and
``assemble_features`` turn the files of new samples into the inputs a saved model
expects, with the statistics learned in training; ``predict_in_batches`` predicts a
block of rows at a time.
"""

from ._features import (
    assemble_features,
    count_missing_calls,
    predict_from_genotypes,
    predict_in_batches,
    read_genotypes_for_model,
    read_new_clinical,
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
    "assemble_features",
    "count_missing_calls",
    "predict_in_batches",
    "predict_from_genotypes",
    "read_genotypes_for_model",
    "read_new_clinical",
]

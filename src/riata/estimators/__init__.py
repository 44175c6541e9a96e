"""scikit-learn estimators: sparse feed-forward networks, and the paths that fit them."""

from ._base import BaseSparseMLP
from ._classifier import SparseMLPClassifier
from ._encoder import GenotypeEncoder
from ._explicit import explicit_encoder_estimator
from ._genotype_path import fit_genotype_path
from ._path import (
    PATH_RULES,
    AlphaPath,
    PathRecord,
    choose_alpha,
    choose_alpha_cv,
    compute_alpha_max,
    fit_alpha_path,
)
from ._regressor import SparseMLPRegressor
from ._working_set import NetworkWorkingSetModel, WorkingSetModel

__all__ = [
    "BaseSparseMLP",
    "SparseMLPClassifier",
    "SparseMLPRegressor",
    "GenotypeEncoder",
    "AlphaPath",
    "PathRecord",
    "PATH_RULES",
    "choose_alpha",
    "choose_alpha_cv",
    "compute_alpha_max",
    "fit_alpha_path",
    "fit_genotype_path",
    "WorkingSetModel",
    "NetworkWorkingSetModel",
    "explicit_encoder_estimator",
]

#: Every public estimator; the conformance tests run on each entry.
ESTIMATORS = (SparseMLPClassifier, SparseMLPRegressor)

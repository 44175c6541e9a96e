"""scikit-learn estimators: sparse feed-forward networks."""

from ._base import BaseSparseMLP
from ._classifier import SparseMLPClassifier
from ._explicit import explicit_encoder_estimator
from ._path import AlphaPath, compute_alpha_max, fit_alpha_path
from ._regressor import SparseMLPRegressor
from ._working_set import SNPPath, fit_snp_path

__all__ = [
    "BaseSparseMLP",
    "SparseMLPClassifier",
    "SparseMLPRegressor",
    "AlphaPath",
    "compute_alpha_max",
    "fit_alpha_path",
    "SNPPath",
    "fit_snp_path",
    "explicit_encoder_estimator",
]

#: Every public estimator; the conformance tests run on each entry.
ESTIMATORS = (SparseMLPClassifier, SparseMLPRegressor)

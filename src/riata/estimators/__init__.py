"""scikit-learn estimators: sparse feed-forward networks."""

from ._base import BaseSparseMLP
from ._classifier import SparseMLPClassifier
from ._path import AlphaPath, compute_alpha_max, fit_alpha_path
from ._regressor import SparseMLPRegressor

__all__ = [
    "BaseSparseMLP",
    "SparseMLPClassifier",
    "SparseMLPRegressor",
    "AlphaPath",
    "compute_alpha_max",
    "fit_alpha_path",
]

#: Every public estimator; the conformance tests run on each entry.
ESTIMATORS = (SparseMLPClassifier, SparseMLPRegressor)

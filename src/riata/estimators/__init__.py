"""scikit-learn estimators: sparse feed-forward networks."""

from ._base import BaseSparseMLP
from ._classifier import SparseMLPClassifier
from ._regressor import SparseMLPRegressor

__all__ = ["BaseSparseMLP", "SparseMLPClassifier", "SparseMLPRegressor"]

#: Every public estimator; the conformance tests run on each entry.
ESTIMATORS = (SparseMLPClassifier, SparseMLPRegressor)

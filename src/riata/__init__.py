"""riata: sparse, interpretable neural networks for tabular and genomic data."""

from importlib.metadata import PackageNotFoundError, version

from .estimators import SparseMLPClassifier, SparseMLPRegressor, fit_alpha_path
from .optim import ProxAdam, ProxSGD
from .penalties import L1, L2, ElasticNet, GroupLasso, SparseGroupLasso

try:
    __version__ = version("riata")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "SparseMLPClassifier",
    "SparseMLPRegressor",
    "fit_alpha_path",
    "ProxAdam",
    "ProxSGD",
    "L1",
    "L2",
    "ElasticNet",
    "GroupLasso",
    "SparseGroupLasso",
    "__version__",
]

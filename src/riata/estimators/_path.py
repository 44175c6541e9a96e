"""Warm-started regularization paths with the alpha chosen on validation data."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone

from ..penalties import L1

__all__ = ["AlphaPath", "compute_alpha_max", "fit_alpha_path"]


@dataclass
class AlphaPath:
    """A fitted regularization path.

    Attributes
    ----------
    alphas : ndarray of shape (n_alphas,)
        Decreasing.
    records : list of dict
        One per alpha: ``alpha``, ``valid_score``, ``best_epoch``, ``n_epochs``,
        ``n_selected``, ``objective`` (training objective at the last epoch).
    group_norms : ndarray of shape (n_alphas, n_first_inputs)
        Norm of each first-layer input's weights along the path.
    feature_names : ndarray of str
    best_index : int
        The alpha with the best validation score (the first, i.e. largest alpha, among
        ties).
    best_estimator : estimator
        The network fitted at ``alphas[best_index]``.
    alpha_max : float
    """

    alphas: np.ndarray
    records: list = field(default_factory=list)
    group_norms: np.ndarray | None = None
    feature_names: np.ndarray | None = None
    best_index: int = 0
    best_estimator: object = None
    alpha_max: float = math.nan

    @property
    def best_alpha(self) -> float:
        return float(self.alphas[self.best_index])


_PARAMETERS = {"penalty": "input_layer.weight", "encoder_penalty": "encoder.weight"}


def compute_alpha_max(estimator, X, y, *, param: str = "penalty") -> float:
    """The alpha above which every penalized group of a layer starts at zero.

    From the KKT conditions at a zero first layer: ``penalty.alpha_max`` of the data
    gradient there (see ``BaseSparseMLP.initial_gradient``). Ridge never produces
    zeros (its alpha_max is infinite); its path then starts at the L1 alpha_max of the
    same gradient, glmnet's convention of borrowing a sparse penalty's scale.
    ``param="encoder_penalty"`` does the same for the genotype encoder's weight.
    """
    if param not in _PARAMETERS:
        raise ValueError(f"param must be one of {list(_PARAMETERS)}; got {param!r}.")
    grad = estimator.initial_gradient(X, y, parameter=_PARAMETERS[param])
    value = getattr(estimator, param).alpha_max(grad)
    if not math.isfinite(value):
        value = L1().alpha_max(grad)
    return float(value)


def fit_alpha_path(
    estimator,
    X,
    y,
    *,
    validation_data,
    alphas=None,
    n_alphas: int = 10,
    eps: float = 1e-2,
    param: str = "penalty",
    callback=None,
) -> AlphaPath:
    """Fit ``estimator`` along a decreasing alpha grid with warm starts.

    Each alpha starts from the previous alpha's weights (``warm_start=True``), keeps
    its best validation epoch, and is scored on ``validation_data`` with the
    estimator's ``monitor``; the alpha with the best score is chosen. The test set is
    never seen here.

    Parameters
    ----------
    estimator : SparseMLPClassifier or SparseMLPRegressor
        With a ``penalty``; its ``alpha`` is overwritten along the path (on a clone).
    X, y : array-like
        Training data.
    validation_data : tuple (X_valid, y_valid)
    alphas : array-like, optional
        Explicit grid (sorted decreasing); otherwise ``n_alphas`` values spaced
        geometrically from ``alpha_max`` down to ``eps * alpha_max``.
    n_alphas : int, default=10
    eps : float, default=1e-2
    param : {"penalty", "encoder_penalty"}, default="penalty"
        Which penalty's alpha the path varies.
    callback : callable, optional
        ``callback(index, record)`` after each alpha (progress reporting).

    Returns
    -------
    AlphaPath
    """
    if getattr(estimator, param, None) is None:
        raise ValueError(f"fit_alpha_path needs an estimator whose {param} is set; got None.")
    est = clone(estimator).set_params(warm_start=True)
    # Also leaves est.model_ with a zero first layer: the path starts from there.
    alpha_max = compute_alpha_max(est, X, y, param=param)
    if alphas is None:
        if not alpha_max > 0:
            raise ValueError(
                "alpha_max is 0: every first-layer gradient vanishes at zero, so no "
                "penalty level is informative; check that the inputs vary."
            )
        alphas = alpha_max * np.geomspace(1.0, eps, n_alphas)
    alphas = np.sort(np.asarray(alphas, dtype=float))[::-1]
    path = AlphaPath(alphas=alphas, alpha_max=alpha_max)
    norms = []
    best_score = -math.inf
    for i, alpha in enumerate(alphas):
        est.set_params(**{f"{param}__alpha": float(alpha)})
        est.fit(X, y, validation_data=validation_data)
        record = {
            "alpha": float(alpha),
            "valid_score": float(est.best_score_),
            "best_epoch": int(est.best_epoch_),
            "n_epochs": int(est.n_iter_),
            "n_selected": int(len(est.selected_features_)),
            "objective": float(est.history_[-1]["objective"]),
        }
        path.records.append(record)
        norms.append(est.feature_importances_.copy())
        if record["valid_score"] > best_score:
            best_score = record["valid_score"]
            path.best_index = i
            path.best_estimator = copy.deepcopy(est)
        if callback is not None:
            callback(i, record)
    path.group_norms = np.vstack(norms)
    path.feature_names = est.first_layer_feature_names_
    path.best_estimator.set_params(warm_start=False)
    return path

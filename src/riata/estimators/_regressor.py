"""SparseMLPRegressor: a sparse feed-forward network for continuous targets."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from ._base import BaseSparseMLP

__all__ = ["SparseMLPRegressor"]


class SparseMLPRegressor(RegressorMixin, BaseSparseMLP):
    r"""Feed-forward network regressor with a penalty on its first-layer weights.

    The target is standardized with its training mean and SD (per target), the
    network fitted to it, and predictions mapped back: a network's output bias and
    weights need not travel to the target's units (systolic pressure in mmHg scored
    R^2 = -63 on its own training data without this, issue 10), and ``alpha`` means
    the same for every target. It minimizes, with ``t = (y - mean) / sd``,

    .. math:: \frac{1}{2n} \sum_{i=1}^n \lVert t_i - f(x_i) \rVert_2^2
              + \texttt{penalty}(W)

    The 1/2 and the mean match scikit-learn's ``Lasso`` and ``ElasticNet``: on a
    target with mean 0 and SD 1, ``hidden_layer_sizes=()`` and
    ``penalty=ElasticNet(alpha, l1_ratio=r)`` have the optimum of
    ``sklearn.linear_model.ElasticNet(alpha=alpha, l1_ratio=r)``. On a target with SD
    ``s``, the objective in the target's units is ``s**2`` times this one: its L1 terms
    carry ``alpha * s`` (``L1(alpha)`` is ``Lasso(alpha * s)``) and its L2 terms
    ``alpha``. ``coef_`` and ``intercept_`` are on the original scale.

    Parameters
    ----------
    hidden_layer_sizes, activation, dropout, penalty, penalty_mode, shrink_clip, \
solver, learning_rate_init, momentum, batch_size, max_epochs, early_stopping, \
validation_fraction, n_iter_no_change, tol, dtype, skip_connection, encoder, warm_start, \
hidden_alpha, hidden_max_norm, random_state, verbose
        As in :class:`SparseMLPClassifier` (the validation split is not stratified).
    monitor : {"auto", "loss", "r2"}, default="auto"
        "auto" is "loss".

    Attributes
    ----------
    model_, penalty_, first_layer_weights_, feature_importances_, selected_features_, \
kkt_violation_, best_epoch_, best_score_, monitor_, history_, n_iter_, n_features_in_, \
feature_names_in_, encoder_
        As in :class:`SparseMLPClassifier`.
    coef_ : ndarray of shape (n_features_in_,) or (n_targets, n_features_in_)
        Only when ``hidden_layer_sizes=()``; on the target's original scale.
    intercept_ : float or ndarray of shape (n_targets,)
        Only when ``hidden_layer_sizes=()``; on the target's original scale.
    target_mean_, target_scale_ : ndarray of shape (n_targets,)
        The standardization of the target (SD 1 where the target is constant).

    Examples
    --------
    >>> import numpy as np
    >>> from riata import SparseMLPRegressor, L1
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 5))
    >>> y = 2 * X[:, 0] + 0.1 * rng.normal(size=200)
    >>> reg = SparseMLPRegressor((), penalty=L1(alpha=0.1), solver="sgd", momentum=0.0,
    ...                          learning_rate_init=0.5, early_stopping=False,
    ...                          random_state=0).fit(X, y)
    >>> list(reg.selected_features_)
    ['x0']
    """

    _monitors = ("auto", "loss", "r2")

    def _encode_targets(self, y, reset):
        y = np.asarray(y, dtype=float)
        if reset:  # fit: the caller standardizes with _scale_targets (and the weights)
            self._y_ndim = y.ndim
            self._n_targets = 1 if y.ndim == 1 else y.shape[1]
            return y.reshape(-1, self._n_targets)
        return (y.reshape(-1, self._n_targets) - self.target_mean_) / self.target_scale_

    def _scale_targets(self, targets, weights):
        """Standardize the fit's targets with their (weighted) mean and SD."""
        w = np.ones(len(targets)) if weights is None else np.asarray(weights)
        mean = np.average(targets, axis=0, weights=w)
        scale = np.sqrt(np.average((targets - mean) ** 2, axis=0, weights=w))
        self.target_mean_ = mean
        self.target_scale_ = np.where(scale > 0, scale, 1.0)
        return (targets - self.target_mean_) / self.target_scale_

    def _n_outputs(self):
        return self._n_targets

    def _task_state(self) -> dict:
        return {"n_targets": self._n_targets, "target_ndim": self._y_ndim,
                "target_mean_": self.target_mean_, "target_scale_": self.target_scale_}

    def _restore_task_state(self, state: dict) -> None:
        try:
            self._n_targets = int(state["n_targets"])
            self._y_ndim = int(state["target_ndim"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError("a regressor's fitted state needs n_targets and "
                             "target_ndim.") from err
        # Models saved before the regressor standardized its target predict it as is.
        shape = (self._n_targets,)
        mean = np.asarray(state.get("target_mean_", np.zeros(shape)), dtype=float)
        scale = np.asarray(state.get("target_scale_", np.ones(shape)), dtype=float)
        if mean.shape != shape or scale.shape != shape or not np.all(scale > 0):
            raise ValueError(f"a regressor's target_mean_ and target_scale_ must hold "
                             f"{self._n_targets} value(s), the scales > 0.")
        self.target_mean_, self.target_scale_ = mean, scale

    def _null_output(self, targets, weights=None):
        """The best constant output: the (weighted) mean of each standardized target."""
        if weights is None:
            return targets.mean(dim=0)
        w = weights.to(targets.dtype)[:, None]
        return (targets * w).sum(dim=0) / w.sum()

    def _sample_losses(self, outputs, targets):
        return 0.5 * ((outputs - targets) ** 2).sum(dim=1)

    def _resolve_monitor(self, t_valid):
        # "auto" is the loss; without validation data there is nothing to score.
        if t_valid is None or self.monitor == "auto":
            return "loss"
        return self.monitor

    def _score_fn(self, monitor, t_valid):
        return lambda outputs, targets: r2_score(targets, outputs)

    def _set_linear_attributes(self, weight, bias):
        # On the original scale: y = mean + sd (x . w + b).
        scale = torch.as_tensor(self.target_scale_, dtype=weight.dtype)
        mean = torch.as_tensor(self.target_mean_, dtype=weight.dtype)
        super()._set_linear_attributes(weight * scale[:, None], bias * scale + mean)
        if self._y_ndim == 1:
            self.coef_ = self.coef_[0]
            self.intercept_ = float(self.intercept_[0])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.regressor_tags.poor_score = False
        return tags

    def predict(self, X):
        """Predicted targets, shape (n_samples,) or (n_samples, n_targets), in the
        target's units."""
        out = self._forward(X) * self.target_scale_ + self.target_mean_
        return out[:, 0] if self._y_ndim == 1 else out

"""The model a genotype path solves on each working set of SNPs.

:func:`riata.estimators.fit_genotype_path` asks its model for what
:class:`WorkingSetModel` lists; :class:`NetworkWorkingSetModel` provides it for a riata
estimator whose first-layer inputs are the plain columns and the working set's SNPs.
"""

from __future__ import annotations

import copy
import math
from typing import Protocol

import numpy as np
import torch
from sklearn.base import clone

__all__ = ["WorkingSetModel", "NetworkWorkingSetModel"]


class WorkingSetModel(Protocol):
    """What :func:`fit_genotype_path` needs of the model it solves on working sets.

    The columns of ``X`` are ``[plain inputs | SNPs of the working set]``; the penalty
    has one group per plain group and one per SNP column, with per-column
    ``penalty_factor``.
    """

    def start(self, X, y, *, groups, penalty_factor, plain_alpha=None) -> None:
        """Prepare to walk the path from ``X`` (the plain columns, or the first SNPs
        when there are none): keep a model fitted on them, or fit the null model (and,
        with ``plain_alpha``, the plain columns at that alpha)."""

    def fresh(self):
        """An unfitted copy with the same settings (one per cross-validation fold)."""

    def fit(self, X, y, *, alpha: float, groups, penalty_factor, checkpoint=None) -> None:
        """Fit at ``alpha``, warm-started from the current weights (saving its progress
        to, and resuming it from, ``checkpoint`` if given)."""

    def select_columns(self, source) -> None:
        """New SNP columns: ``source[i]`` is the old column continued by new column
        ``i`` (-1: a new column, starting at zero); plain columns included."""

    def output_gradient(self, X, y) -> np.ndarray:
        """``G`` (n_samples, k): the gradient of an input column ``z`` is ``G.T @ z``."""

    def critical_alpha(self, grad: np.ndarray, groups=None) -> np.ndarray:
        """Per column of ``grad`` (k, m): the smallest alpha at which the column's group
        is optimal at zero, with penalty factor 1; ``groups`` labels the columns (None:
        one group per column)."""

    def input_norms(self) -> np.ndarray:
        """Norm of each input column's weights (0 for an input left out)."""

    def sample_losses(self, X, y) -> np.ndarray:
        """Per-sample loss of the current model."""

    def snapshot(self):
        """A copy of the fitted model, for the path's result."""

    def restore(self, snapshot) -> None:
        """Go on from ``snapshot`` (one of :meth:`snapshot`'s): resuming a walk saved
        in a checkpoint."""

    def summary(self) -> dict:
        """``valid_score``, ``best_epoch``, ``n_epochs``, ``objective`` of the last fit."""


class NetworkWorkingSetModel:
    """A riata network as a :class:`WorkingSetModel`: SNPs are first-layer inputs.

    The network is trained full batch to convergence at each alpha (no early
    stopping): a minibatch gradient's noise exceeds the lasso threshold of thousands of
    SNPs (measured in issue 9: every minibatch variant kept 157-3,616 SNPs), and the
    KKT check of the SNPs left out needs a stationary point. With
    ``skip_connection=True`` (recommended) every input has a linear path in its penalty
    group, so a zero input has the gradient of a linear model and SNPs enter as they
    would in a lasso; without it a zero first layer gives every SNP the gradient of the
    random deeper layers.

    With ``hold_hidden_norm=True`` (the default) the norm of each weight matrix after
    the first layer is bounded, along the whole path, by its value at the start
    (the estimator's ``hidden_max_norm``). Without the bound the first-layer penalty
    can be evaded by rescaling: a network that uses a hidden unit grows that unit's
    outgoing weights (their small ridge is paid once for all inputs), every SNP's
    gradient through the unit grows with them, and hundreds of SNPs enter between
    two neighbouring alphas, in fits the working-set rounds could not finish (issue
    9: 30 -> 356 SNPs at 3,000 patients, 11 -> 343 at 500,000 SNPs, with the output
    weights' norm growing 3-5 fold; docs/case_study.md, "The SNP path's burst").

    Parameters
    ----------
    estimator : SparseMLPClassifier or SparseMLPRegressor
        Its ``penalty`` class and settings are used; groups, penalty factors and alpha
        are set along the path. If it is fitted on the plain columns (e.g. the best
        estimator of :func:`fit_alpha_path` on them), the path starts from its weights;
        otherwise from its null model (:meth:`BaseSparseMLP.fit_null`).
    hold_hidden_norm : bool, default=True
        Bound the deeper layers' norms by their values at the path's start.
    """

    def __init__(self, estimator, *, hold_hidden_norm: bool = True):
        self._started = hasattr(estimator, "model_")
        self.estimator = copy.deepcopy(estimator) if self._started else clone(estimator)
        self.hold_hidden_norm = hold_hidden_norm
        self._own_max_norm = estimator.hidden_max_norm
        self._template = clone(estimator.penalty)
        if "penalty_factor" in self._template.get_params():
            self._template.set_params(penalty_factor=None)

    def fresh(self):
        return NetworkWorkingSetModel(
            clone(self.estimator).set_params(hidden_max_norm=self._own_max_norm),
            hold_hidden_norm=self.hold_hidden_norm)

    def start(self, X, y, *, groups, penalty_factor, plain_alpha=None) -> None:
        """Start on ``X``: keep a fitted network, or fit its null model (and then, with
        ``plain_alpha``, the plain columns at that alpha); then, with
        ``hold_hidden_norm``, bound the deeper layers' norms by their values now."""
        est = self.estimator
        est.set_params(warm_start=True, early_stopping=False, batch_size=X.shape[0],
                       hidden_max_norm=self._own_max_norm,
                       **self._penalty_params(groups, penalty_factor))
        if not self._started:
            est.fit_null(X, y)
            if plain_alpha is not None:
                est.set_params(penalty__alpha=float(plain_alpha)).fit(X, y)
        norms = est.hidden_weight_norms()
        if self.hold_hidden_norm and norms.size:
            if est.solver != "fista" and est.penalty_mode != "proximal":
                raise ValueError(
                    "hold_hidden_norm=True bounds the deeper layers through the prox: "
                    "the network needs solver='fista' or penalty_mode='proximal' (got "
                    f"solver={est.solver!r}, penalty_mode={est.penalty_mode!r}); or "
                    "pass hold_hidden_norm=False.")
            if self._own_max_norm is not None:  # never looser than the user's bound
                norms = np.minimum(norms, np.broadcast_to(
                    np.asarray(self._own_max_norm, dtype=float), norms.shape))
            est.set_params(hidden_max_norm=norms.tolist())

    def _penalty_params(self, groups, penalty_factor) -> dict:
        params = self.estimator.penalty.get_params()
        out = {}
        if "groups" in params:
            out["penalty__groups"] = list(groups)
        if "penalty_factor" in params:
            out["penalty__penalty_factor"] = np.asarray(penalty_factor, dtype=float)
        return out

    def fit(self, X, y, *, alpha, groups, penalty_factor, checkpoint=None) -> None:
        est = self.estimator
        est.set_params(penalty__alpha=float(alpha), batch_size=X.shape[0],
                       **self._penalty_params(groups, penalty_factor))
        est.fit(X, y, **({} if checkpoint is None else {"checkpoint": checkpoint}))

    def select_columns(self, source) -> None:
        self.estimator.select_inputs(source)

    def output_gradient(self, X, y) -> np.ndarray:
        return self.estimator.first_layer_output_gradient(X, y)

    def critical_alpha(self, grad, groups=None) -> np.ndarray:
        penalty = self._template
        if "groups" in penalty.get_params():
            penalty = clone(penalty).set_params(groups=None if groups is None
                                                else list(groups))
        return penalty.critical_alpha(torch.as_tensor(grad)).cpu().numpy()

    def input_norms(self) -> np.ndarray:
        return self.estimator.feature_importances_

    def sample_losses(self, X, y) -> np.ndarray:
        return self.estimator.loss_samples(X, y)

    def snapshot(self):
        return copy.deepcopy(self.estimator).set_params(warm_start=False)

    def restore(self, snapshot) -> None:
        self.estimator = copy.deepcopy(snapshot).set_params(warm_start=True)
        self._started = True

    def summary(self) -> dict:
        est = self.estimator
        return {"valid_score": math.nan, "best_epoch": int(est.best_epoch_),
                "n_epochs": int(est.n_iter_),
                "objective": float(est.history_[-1]["objective"])}

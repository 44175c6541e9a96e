"""The penalty contract shared by every regularizer in riata."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval

__all__ = ["Penalty"]


class Penalty(BaseEstimator):
    """Base class of riata's penalties: a small contract, applied from outside a model.

    A penalty acts on one weight tensor ``w`` laid out as torch's ``nn.Linear.weight``,
    of shape ``(out_features, in_features)``: the *last* axis indexes the input
    variables ("columns"). In the ``x @ W`` picture of the design notes, one input
    variable is one row of ``W``, which is one column of ``nn.Linear.weight``. A 1-d
    tensor is treated as a single row.

    Subclasses implement

    - ``value(w)``: the penalty ``alpha * P(w)``, a differentiable scalar tensor;
    - ``prox(w, step)``: a pure ``argmin_v ||v - w||^2 / (2 step) + alpha * P(v)`` with
      exact zeros; ``step`` is a scalar or a tensor of per-coordinate steps;
    - ``optimality_violation(w, grad)``: the distance of ``-grad`` to
      ``alpha * dP(w)`` per coordinate (elementwise penalties) or per group;
    - ``critical_alpha(grad)``: per input column, the smallest ``alpha`` at which that
      column's block is optimal at zero given the data gradient ``grad`` there;
    - ``support(w)``: which input columns carry a nonzero weight.

    ``alpha_max(grad_at_zero)`` (the smallest ``alpha`` at which every penalized column
    is zero) and ``kkt_ratio(grad)`` follow from ``critical_alpha``.

    Parameters are validated when the penalty is built and on ``set_params``; errors
    name the parameter and the accepted values.
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha
        self._validate_params()

    # -- parameters -----------------------------------------------------------------
    def set_params(self, **params):
        previous = self.get_params(deep=False)
        super().set_params(**params)
        self.__dict__.pop("_cache", None)
        try:
            self._validate_params()
        except ValueError:
            # Leave the penalty as it was rather than holding the rejected value.
            super().set_params(**previous)
            raise
        return self

    def _tensor_cache(self) -> dict:
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = self.__dict__["_cache"] = {}
        return cache

    @staticmethod
    def _step_like(step, w: torch.Tensor):
        """A tensor ``step`` in ``w``'s dtype and device, so that ``prox`` keeps ``w``'s
        dtype whatever precision the optimizer computed its steps in."""
        if torch.is_tensor(step):
            return step.to(dtype=w.dtype, device=w.device)
        return step

    @staticmethod
    def _as_2d(w: torch.Tensor) -> torch.Tensor:
        if w.dim() == 0:
            raise ValueError("A penalty needs a weight tensor with at least one axis.")
        # Explicit row count: reshape(-1, 0) of a tensor with no column is ambiguous.
        return w.reshape(1, -1) if w.dim() == 1 else w.reshape(math.prod(w.shape[:-1]),
                                                               w.shape[-1])

    def _column_vector(self, values, n_columns: int, name: str, w: torch.Tensor):
        """Validate a per-column array (e.g. ``penalty_factor``) against ``w``."""
        if values is None:
            return torch.ones(n_columns, dtype=w.dtype, device=w.device)
        arr = np.asarray(values, dtype=float)
        if arr.ndim != 1 or arr.shape[0] != n_columns:
            raise ValueError(
                f"{name} of {type(self).__name__} has shape {arr.shape}, but the weight "
                f"it penalizes has {n_columns} input columns; pass one value per column."
            )
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError(
                f"{name} of {type(self).__name__} must be finite and >= 0 "
                f"(0 = never penalized); got {arr.tolist()[:10]}."
            )
        return torch.as_tensor(arr, dtype=w.dtype, device=w.device)

    # -- the contract -----------------------------------------------------------------
    def value(self, w: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        """The penalty ``alpha * P(w)``, a differentiable scalar tensor.

        Parameters
        ----------
        w : Tensor of shape (out_features, in_features) or (n,)

        Returns
        -------
        Tensor of shape ()
            In ``w``'s dtype; autograd gives its (sub)gradient (``sign(0) = 0``).
        """
        raise NotImplementedError

    def prox(self, w: torch.Tensor, step) -> torch.Tensor:  # pragma: no cover
        """The proximal operator ``argmin_v ||v - w||^2 / (2 step) + alpha P(v)``.

        Pure: returns a new tensor, with exact zeros where the penalty sets them.

        Parameters
        ----------
        w : Tensor of shape (out_features, in_features) or (n,)
        step : float or Tensor of ``w``'s shape
            A scalar step (SGD) or per-coordinate steps (Adam's metric: the norm above
            is then weighted by ``1 / step``, coordinate by coordinate). A step of 0
            leaves its coordinate unchanged.

        Returns
        -------
        Tensor of ``w``'s shape and dtype
        """
        raise NotImplementedError

    def optimality_violation(self, w, grad):  # pragma: no cover
        """Distance of ``-grad`` to the subdifferential ``alpha dP(w)``.

        The general stationarity measure of ``f + alpha P`` at ``w`` (skglm's
        ``subdiff_distance``): 0 at a KKT point, nonzero coordinates included.
        :meth:`critical_alpha` is its special case for zero columns, stated as the
        alpha at which the zero becomes optimal.

        Parameters
        ----------
        w, grad : Tensor of the same shape
            The weight and the gradient of the smooth data loss there.

        Returns
        -------
        Tensor
            Per coordinate (elementwise penalties) or per group (group penalties).
        """
        raise NotImplementedError

    def critical_alpha(self, grad: torch.Tensor) -> torch.Tensor:  # pragma: no cover
        """Per input column, the smallest ``alpha`` at which its block is optimal at 0.

        Given the data gradient ``grad`` taken where the column's (or its group's)
        weights are zero: the KKT condition of a zero block is
        ``dist(-grad_g, alpha dP_g(0)) = 0``, which holds for every alpha at or above
        this value. :meth:`alpha_max`, :meth:`kkt_ratio` and the working-set checks of
        :func:`riata.estimators.fit_genotype_path` all derive from it.

        Parameters
        ----------
        grad : Tensor of shape (out_features, in_features)

        Returns
        -------
        Tensor of shape (in_features,)
            A group's value is repeated on each of its columns; ``inf`` where the
            penalty never zeroes the column (ridge, a zero penalty factor).
        """
        raise NotImplementedError

    def support(self, w: torch.Tensor) -> torch.Tensor:
        """Boolean tensor of shape (n_columns,): input columns with a nonzero weight."""
        return (self._as_2d(w) != 0).any(dim=0)

    def penalized_columns(self, w: torch.Tensor) -> torch.Tensor:
        """Boolean tensor (n_columns,): columns the penalty acts on (a positive
        ``penalty_factor`` and a nonzero coefficient); :meth:`alpha_max` ranges over
        them."""
        raise NotImplementedError  # pragma: no cover

    def alpha_max(self, grad_at_zero: torch.Tensor) -> float:
        """Smallest ``alpha`` at which every penalized column is optimal at zero.

        Parameters
        ----------
        grad_at_zero : Tensor of shape (out_features, in_features)
            Gradient of the (unpenalized) data loss with respect to the weight, taken
            where the penalized columns are zero.

        Returns
        -------
        float
            ``math.inf`` when the penalty never produces zeros (ridge).
        """
        crit = self.critical_alpha(grad_at_zero)
        mask = self.penalized_columns(grad_at_zero)
        if not bool(mask.any()):
            return 0.0
        value = float(crit[mask].max())
        return value if math.isfinite(value) else math.inf

    def kkt_ratio(self, w: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        """Optimality certificate of the zero columns of ``w``.

        For each input column whose weights are all zero, ``critical_alpha / alpha``:
        the column's zero is optimal (a KKT point) when the ratio is <= 1. Nonzero
        columns get NaN.

        Returns
        -------
        Tensor of shape (n_columns,)
        """
        crit = self.critical_alpha(grad)
        ratio = crit / self.alpha if self.alpha > 0 else torch.full_like(crit, math.inf)
        ratio = torch.where(crit == 0, torch.zeros_like(ratio), ratio)
        return torch.where(self.support(w), torch.full_like(ratio, math.nan), ratio)

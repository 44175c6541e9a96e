"""Elementwise penalties: L1 (lasso), L2 (ridge) and the elastic net."""

from __future__ import annotations

import math
from numbers import Real

import torch
from sklearn.utils._param_validation import Interval

from ._base import Penalty
from ._ops import soft_threshold

__all__ = ["L1", "L2", "ElasticNet"]


class _Elementwise(Penalty):
    """Shared kernel of the separable penalties ``l1 * |w| + l2 / 2 * w^2`` per weight.

    Subclasses only say how ``alpha`` (and ``l1_ratio``) split into the L1 and L2
    coefficients through ``_coefficients``; every formula below is written once.
    """

    def _coefficients(self) -> tuple[float, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _factor(self, w: torch.Tensor) -> torch.Tensor:
        n_columns = self._as_2d(w).shape[-1]  # raises the contract's error on a 0-d w
        key = ("pf", n_columns, w.dtype, w.device)
        cache = self._tensor_cache()
        if key not in cache:
            cache[key] = self._column_vector(
                self.penalty_factor, n_columns, "penalty_factor", w
            )
        return cache[key]

    def penalized_columns(self, w):
        return self._factor(w) > 0

    def value(self, w):
        l1, l2 = self._coefficients()
        pf = self._factor(w)
        out = w.new_zeros(())
        if l1 > 0:
            out = out + l1 * (torch.abs(w) * pf).sum()
        if l2 > 0:
            out = out + 0.5 * l2 * (w * w * pf).sum()
        return out

    def prox(self, w, step):
        # argmin_v (v - w)^2 / (2 s) + s-free penalty: soft(w, s l1 pf) / (1 + s l2 pf),
        # exact for a scalar step and for per-coordinate steps alike (the penalty is
        # separable).
        l1, l2 = self._coefficients()
        pf = self._factor(w)
        step = self._step_like(step, w)
        out = soft_threshold(w, step * l1 * pf) if l1 > 0 else w
        if l2 > 0:
            out = out / (1.0 + step * l2 * pf)
        return out

    def optimality_violation(self, w, grad):
        l1, l2 = self._coefficients()
        pf = self._factor(w)
        smooth = grad + l2 * pf * w
        nonzero = torch.abs(smooth + l1 * pf * torch.sign(w))
        at_zero = torch.clamp(torch.abs(grad) - l1 * pf, min=0.0)
        return torch.where(w != 0, nonzero, at_zero)

    def critical_alpha(self, grad):
        # A column is optimal at zero iff |grad_ij| <= alpha * l1_share * pf_j for all i.
        share = self._l1_share()
        pf = self._factor(grad)
        col_max = torch.abs(self._as_2d(grad)).amax(dim=0)
        denom = share * pf
        crit = torch.where(
            denom > 0, col_max / torch.where(denom > 0, denom, 1.0), math.inf
        )
        return torch.where(col_max == 0, torch.zeros_like(crit), crit)

    def _l1_share(self) -> float:  # pragma: no cover - abstract
        """Fraction of ``alpha`` that multiplies the L1 term."""
        raise NotImplementedError


class L1(_Elementwise):
    r"""Lasso penalty on every weight.

    .. math:: \alpha \sum_{ij} \mathrm{pf}_j \, |w_{ij}|

    Prox (soft-thresholding, exact zeros when ``|w| <= step * alpha * pf``):
    ``sign(w) * max(|w| - step * alpha * pf, 0)``. At zero the subdifferential is the
    interval ``[-alpha * pf, alpha * pf]``, so a zero weight is optimal iff its data
    gradient satisfies ``|grad| <= alpha * pf``.

    Parameters
    ----------
    alpha : float, default=1.0
        Strength, in the units of the mean training loss (scikit-learn's ``Lasso`` and
        ``ElasticNet`` convention: a linear model with the loss
        ``||y - Xw||^2 / (2 n)`` matches ``sklearn.linear_model.Lasso(alpha)``).
    penalty_factor : array-like of shape (n_columns,), default=None
        Multiplier per input variable (column of ``nn.Linear.weight``); 0 leaves the
        variable unpenalized (always kept). None means all ones.

    See Also
    --------
    ElasticNet, GroupLasso

    Examples
    --------
    >>> import torch
    >>> from riata.penalties import L1
    >>> L1(alpha=0.5).prox(torch.tensor([[-1.0, 0.2, 3.0]]), step=1.0)
    tensor([[-0.5000,  0.0000,  2.5000]])
    """

    _parameter_constraints = {
        **Penalty._parameter_constraints,
        "penalty_factor": ["array-like", None],
    }

    def __init__(self, alpha: float = 1.0, *, penalty_factor=None):
        self.alpha = alpha
        self.penalty_factor = penalty_factor
        self._validate_params()

    def _coefficients(self):
        return float(self.alpha), 0.0

    def _l1_share(self):
        return 1.0


class L2(_Elementwise):
    r"""Ridge penalty (weight decay) on every weight, *with* a factor 1/2, optionally
    with a bound on the weight's norm.

    .. math:: \frac{\alpha}{2} \sum_{ij} \mathrm{pf}_j \, w_{ij}^2
              \quad \text{subject to} \quad \|w\|_F \le \texttt{max\_norm}

    The 1/2 makes ``L2(alpha)`` equal to ``ElasticNet(alpha, l1_ratio=0)`` and its
    gradient ``alpha * w`` equal to ``torch.optim.SGD(weight_decay=alpha)``; TensorFlow's
    ``l2_loss`` has the same 1/2, Keras' ``l2`` regularizer does not. Prox:
    ``w / (1 + step * alpha * pf)``: weights shrink but never become exactly zero, so
    :meth:`alpha_max` is infinite.

    With ``max_norm`` the prox then rescales the result onto the ball
    ``||w||_F <= max_norm`` when it lies outside (a max-norm constraint as Keras'
    ``constraints.MaxNorm``, here on the whole tensor; Srivastava et al. 2014, JMLR
    15, sec. 5.1, bound each unit's incoming weights the same way). For a scalar step
    and ``penalty_factor`` None this is the exact prox of ridge + constraint: both
    are invariant under rotations of ``w``, so the constrained minimizer is the
    unconstrained one scaled back onto the ball. With per-coordinate steps (Adam) or
    penalty factors it is the ridge step followed by the Euclidean projection, a
    feasible point but not the prox in that metric. :meth:`value` does not count the
    constraint (it is 0 on the ball, where the prox keeps ``w``).

    Parameters
    ----------
    alpha : float, default=1.0
    penalty_factor : array-like of shape (n_columns,), default=None
    max_norm : float or None, default=None
        Bound on the Frobenius norm of the whole weight; None: no bound.

    Examples
    --------
    >>> import torch
    >>> from riata.penalties import L2
    >>> L2(alpha=1.0).prox(torch.tensor([2.0, -4.0]), step=1.0)
    tensor([ 1., -2.])
    """

    _parameter_constraints = {
        **L1._parameter_constraints,
        "max_norm": [Interval(Real, 0, None, closed="left"), None],
    }

    def __init__(self, alpha: float = 1.0, *, penalty_factor=None, max_norm=None):
        self.alpha = alpha
        self.penalty_factor = penalty_factor
        self.max_norm = max_norm
        self._validate_params()

    def _coefficients(self):
        return 0.0, float(self.alpha)

    def prox(self, w, step):
        out = super().prox(w, step)
        if self.max_norm is None:
            return out
        norm = torch.linalg.vector_norm(out)
        bound = float(self.max_norm)
        if norm <= bound:
            return out
        return out * (bound / norm)

    def _l1_share(self):
        return 0.0


class ElasticNet(_Elementwise):
    r"""Elastic-net penalty in scikit-learn's form.

    .. math:: \alpha \sum_{ij} \mathrm{pf}_j \left( \rho |w_{ij}|
              + \frac{1 - \rho}{2} w_{ij}^2 \right), \quad \rho = \texttt{l1\_ratio}

    Prox: ``soft(w, step * alpha * rho * pf) / (1 + step * alpha * (1 - rho) * pf)``.
    ``l1_ratio=1`` is :class:`L1`, ``l1_ratio=0`` is :class:`L2`. A linear model with the
    loss ``||y - Xw||^2 / (2 n)`` matches ``sklearn.linear_model.ElasticNet`` at the
    same ``alpha`` and ``l1_ratio``.

    Parameters
    ----------
    alpha : float, default=1.0
    l1_ratio : float in [0, 1], default=0.5
    penalty_factor : array-like of shape (n_columns,), default=None

    Examples
    --------
    >>> import torch
    >>> from riata.penalties import ElasticNet
    >>> ElasticNet(alpha=1.0, l1_ratio=0.5).prox(torch.tensor([3.0, 0.4]), step=1.0)
    tensor([1.6667, 0.0000])
    """

    _parameter_constraints = {
        **L1._parameter_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, alpha: float = 1.0, *, l1_ratio: float = 0.5, penalty_factor=None):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty_factor = penalty_factor
        self._validate_params()

    def _coefficients(self):
        return float(self.alpha * self.l1_ratio), float(self.alpha * (1 - self.l1_ratio))

    def _l1_share(self):
        return float(self.l1_ratio)

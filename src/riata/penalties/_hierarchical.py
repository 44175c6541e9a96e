"""LassoNet's hierarchical penalty: an input enters the network only through its skip weight."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from ._base import Penalty

__all__ = ["HierarchicalLasso"]


class HierarchicalLasso(Penalty):
    """``alpha * sum_j pf_j ||theta_j||`` subject to ``max_k |W_kj| <= M ||theta_j||``.

    LassoNet's penalty (Lemhadri, Ruan, Abraham & Tibshirani 2021, JMLR 22(127),
    eq. 4): ``theta_j`` is input ``j``'s linear skip weight (one per output), ``W_j``
    its weights into the first hidden layer. Only the skip weight is penalized; the
    hidden weights may not exceed ``M`` times it, so an input is used by the hidden
    units only if its linear term is nonzero, and an input enters the path when its
    combined gradient ``||g_theta_j|| + M ||g_W_j||_1`` exceeds ``alpha pf_j``.

    The weight is a first layer with a skip path (:class:`riata.models.SkipLinear`,
    an estimator with ``skip_connection=True``): shape
    ``(n_hidden + skip_rows, n_inputs)``, its last ``skip_rows`` rows the skip weights.
    The constraint set is not convex (two cones, ``theta_j >= 0`` and ``<= 0``), so
    fitted weights are stationary points; :meth:`prox` is LassoNet's Hier-Prox
    (Algorithm 2 of the paper), exact for one ``step``.

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty strength, in the units of the data loss (a mean over samples).
    hierarchy : float, default=10.0
        ``M``: how many times the skip weight's norm the hidden weights of an input may
        reach (LassoNet's default 10). Large ``M`` lets the hidden units use an input
        whose linear effect is small.
    skip_rows : int, default=1
        Number of trailing rows of the weight that are skip weights (the network's
        outputs: 1 for a binary classifier or a single target).
    penalty_factor : array-like of shape (n_inputs,), default=None
        Per-input multiplier of ``alpha`` (glmnet's ``penalty.factor``); an input with
        factor 0 is left free: neither penalized nor held by the hierarchy.

    Notes
    -----
    ``critical_alpha(grad) = (||grad_theta_j|| + M ||grad_W_j||_1) / pf_j``: Hier-Prox
    maps ``-step * grad`` to zero exactly when ``alpha pf_j`` is at least this (the
    largest candidate ``w_m`` of the algorithm is then 0). With ``alpha = 0`` the prox
    is the projection onto the constraint, not the identity.
    :meth:`optimality_violation` is the proximal-gradient residual
    ``||w_j - prox(w - grad, 1)_j||`` per input (0 exactly at a fixed point), the
    stationarity measure for a nonconvex constraint. ``step`` must be one number for
    the whole weight (full-batch ``solver="fista"`` or ``"sgd"``): Hier-Prox has no
    form for Adam's per-coordinate steps.

    Examples
    --------
    >>> import torch
    >>> from riata.penalties import HierarchicalLasso
    >>> w = torch.tensor([[3.0, 0.05], [0.5, 0.02]])  # row 0 hidden, row 1 skip
    >>> HierarchicalLasso(alpha=0.2, hierarchy=2.0).prox(w, step=1.0)
    tensor([[2.5200, 0.0000],
            [1.2600, 0.0000]])
    """

    _parameter_constraints = {
        **Penalty._parameter_constraints,
        "hierarchy": [Interval(Real, 0, None, closed="neither")],
        "skip_rows": [Interval(Real, 1, None, closed="left")],
        "penalty_factor": ["array-like", None],
    }

    def __init__(self, alpha: float = 1.0, *, hierarchy: float = 10.0, skip_rows: int = 1,
                 penalty_factor=None):
        self.hierarchy = hierarchy
        self.skip_rows = skip_rows
        self.penalty_factor = penalty_factor
        super().__init__(alpha)

    # -- layout ----------------------------------------------------------------------
    def _parts(self, w: torch.Tensor):
        """``(W, theta, pf)``: hidden rows, skip rows and per-column factors of ``w``."""
        w2 = self._as_2d(w)
        k = int(self.skip_rows)
        if w2.shape[0] <= k:
            raise ValueError(
                f"HierarchicalLasso needs a first layer with a skip path: {k} skip row(s) "
                f"below at least one hidden row, but the weight has {w2.shape[0]} row(s). "
                "Use an estimator with skip_connection=True and a hidden layer.")
        pf = self._column_vector(self.penalty_factor, w2.shape[1], "penalty_factor", w)
        return w2[:-k], w2[-k:], pf

    def penalized_columns(self, w):
        return self._parts(w)[2] > 0

    def value(self, w):
        _, theta, pf = self._parts(w)
        return float(self.alpha) * (torch.linalg.vector_norm(theta, dim=0) * pf).sum()

    # -- Hier-Prox ---------------------------------------------------------------------
    def prox(self, w, step):
        if torch.is_tensor(step):
            if step.numel() > 1 and not bool(torch.all(step == step.reshape(-1)[0])):
                raise ValueError(
                    "HierarchicalLasso.prox needs one step for the whole weight, not "
                    "per-coordinate steps (Adam's); fit with solver='fista' or 'sgd'.")
            step = float(step.reshape(-1)[0])
        W, theta, pf = self._parts(w)
        M = float(self.hierarchy)
        lam = float(step) * float(self.alpha) * pf  # (p,)
        theta_norm = torch.linalg.vector_norm(theta, dim=0)
        mags = torch.sort(W.abs(), dim=0, descending=True).values  # (H, p)
        zero_row = torch.zeros_like(mags[:1])
        partial = torch.cat([zero_row, torch.cumsum(mags, dim=0)])  # (H + 1, p)
        m = torch.arange(mags.shape[0] + 1, dtype=w.dtype, device=w.device)[:, None]
        cand = M / (1 + m * M * M) * torch.clamp(theta_norm + M * partial - lam, min=0.0)
        upper = torch.cat([torch.full_like(zero_row, math.inf), mags])  # |W_(m)|
        lower = torch.cat([mags, zero_row])  # |W_(m+1)|
        # The paper's m is the one with |W_(m+1)| <= w_m <= |W_(m)|; taking the least
        # violation picks it and is robust to rounding at the interval ends.
        miss = torch.clamp(lower - cand, min=0.0) + torch.clamp(cand - upper, min=0.0)
        level = cand.gather(0, miss.argmin(dim=0, keepdim=True)).squeeze(0)  # (p,)
        # A zero skip weight has no direction: the prox is then attained at either sign;
        # take the first skip row's positive direction.
        unit = torch.zeros_like(theta)
        unit[0] = 1.0
        direction = torch.where(theta_norm > 0, theta / torch.where(
            theta_norm > 0, theta_norm, 1.0), unit)
        new_theta = direction * (level / M)
        new_W = torch.sign(W) * torch.minimum(W.abs(), level)
        out = torch.cat([new_W, new_theta])
        free = pf == 0
        if bool(free.any()):
            out = torch.where(free, self._as_2d(w), out)
        return out.reshape(w.shape)

    # -- optimality ---------------------------------------------------------------------
    def critical_alpha(self, grad):
        g_W, g_theta, pf = self._parts(grad)
        crit = torch.linalg.vector_norm(g_theta, dim=0) + float(self.hierarchy) * \
            g_W.abs().sum(dim=0)
        out = torch.where(pf > 0, crit / torch.where(pf > 0, pf, 1.0), math.inf)
        return torch.where(crit == 0, torch.zeros_like(out), out)

    def optimality_violation(self, w, grad):
        """Per input, ``||w_j - prox(w - grad, 1)_j||``: zero exactly at a fixed point of
        the proximal-gradient step (a stationary point of the constrained problem)."""
        moved = self.prox(w - grad, 1.0)
        return torch.linalg.vector_norm(self._as_2d(w) - self._as_2d(moved), dim=0)

    @staticmethod
    def feasible(w: torch.Tensor, skip_rows: int = 1, hierarchy: float = 10.0,
                 rtol: float = 1e-6) -> bool:
        """Whether ``w`` satisfies ``max_k |W_kj| <= M ||theta_j||`` for every input."""
        w2 = w.reshape(math.prod(w.shape[:-1]), w.shape[-1])
        W, theta = w2[:-skip_rows], w2[-skip_rows:]
        bound = hierarchy * torch.linalg.vector_norm(theta, dim=0)
        return bool(np.all((W.abs().amax(dim=0) <= bound * (1 + rtol) + 1e-12).numpy()))

"""Group penalties: group lasso (Yuan & Lin 2006) and sparse group lasso."""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from ._base import Penalty
from ._ops import (
    column_group_sq_norms,
    group_soft_threshold,
    group_soft_threshold_metric,
    safe_norm,
    soft_threshold,
)

__all__ = ["GroupLasso", "SparseGroupLasso", "resolve_groups"]


def resolve_groups(groups, n_columns: int) -> tuple[np.ndarray, int]:
    """Turn a ``groups`` specification into one group index per input column.

    Parameters
    ----------
    groups : None, array-like of shape (n_columns,), or list of lists of int
        None: one group per column. An array of labels: columns with equal labels form
        a group, groups numbered in order of first appearance. A list of index lists:
        group ``g`` holds the listed columns; every column must appear exactly once.
    n_columns : int

    Returns
    -------
    group_index : ndarray of shape (n_columns,), dtype int64
    n_groups : int
    """
    if groups is None:
        return np.arange(n_columns, dtype=np.int64), n_columns
    if isinstance(groups, Sequence) and not isinstance(groups, str) and len(groups) > 0 and all(
        isinstance(g, (Sequence, np.ndarray)) and not isinstance(g, str) for g in groups
    ):
        index = np.full(n_columns, -1, dtype=np.int64)
        for g, members in enumerate(groups):
            members = np.asarray(members)
            if members.size == 0:
                raise ValueError(f"groups[{g}] is empty; every group needs >= 1 column.")
            if not np.issubdtype(members.dtype, np.integer):
                raise ValueError(
                    f"groups[{g}] must list integer column indices; got {members.tolist()}."
                )
            bad = members[(members < 0) | (members >= n_columns)]
            if bad.size:
                raise ValueError(
                    f"groups[{g}] names column {int(bad[0])}, but the weight has only "
                    f"{n_columns} input columns (valid indices 0..{n_columns - 1})."
                )
            values, counts = np.unique(members, return_counts=True)
            if np.any(counts > 1):
                raise ValueError(
                    f"groups[{g}] lists column {int(values[counts > 1][0])} more than "
                    "once; list each column once."
                )
            twice = members[index[members] != -1]
            if twice.size:
                raise ValueError(
                    f"Column {int(twice[0])} belongs to more than one group; groups "
                    "must not overlap."
                )
            index[members] = g
        missing = np.flatnonzero(index == -1)
        if missing.size:
            raise ValueError(
                f"groups do not cover the inputs: {missing.size} of {n_columns} columns "
                f"belong to no group (first: {missing[:5].tolist()}). Put every input "
                "column in exactly one group, e.g. a singleton group for each lone column."
            )
        return index, len(groups)
    labels = np.asarray(groups)
    if labels.ndim != 1 or labels.shape[0] != n_columns:
        raise ValueError(
            f"groups has shape {labels.shape}, but the weight has {n_columns} input "
            "columns; pass one group label per input column, or a list of index lists."
        )
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    # Renumber groups in order of first appearance so that group 0 is the first column's.
    order = np.argsort(np.argsort(first))
    return order[inverse].astype(np.int64), first.size


class _Grouped(Penalty):
    """Shared kernel of ``alpha * (rho * sum pf |w| + (1 - rho) sum_g pf_g v_g ||w_g||)``."""

    _parameter_constraints = {
        **Penalty._parameter_constraints,
        "groups": ["array-like", list, None],
        "weights": ["array-like", None],
        "penalty_factor": ["array-like", None],
    }

    def _l1_share(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _layout(self, w: torch.Tensor):
        """Group index, per-column factor and per-group weight for ``w``'s shape."""
        w2 = self._as_2d(w)
        n_rows, n_columns = w2.shape
        key = ("layout", n_rows, n_columns, w.dtype, w.device)
        cache = self._tensor_cache()
        if key in cache:
            return cache[key]
        index_np, n_groups = resolve_groups(self.groups, n_columns)
        pf = self._column_vector(self.penalty_factor, n_columns, "penalty_factor", w)
        index = torch.as_tensor(index_np, device=w.device)
        group_pf = torch.zeros(n_groups, dtype=w.dtype, device=w.device)
        group_pf.scatter_reduce_(0, index, pf, "amax", include_self=False)
        if not torch.equal(group_pf[index], pf):
            raise ValueError(
                "penalty_factor must be equal within each group of "
                f"{type(self).__name__} (a group is kept or penalized as a whole)."
            )
        sizes = torch.bincount(index, minlength=n_groups).to(w.dtype) * n_rows
        if self.weights is None:
            # Yuan & Lin (2006): sqrt(p_g) with p_g the number of weights in the group.
            weights = sizes.sqrt()
        else:
            weights = torch.as_tensor(np.asarray(self.weights, float), dtype=w.dtype,
                                      device=w.device)
            if weights.shape != (n_groups,) or not bool(torch.all(weights >= 0)):
                raise ValueError(
                    f"weights of {type(self).__name__} must be {n_groups} nonnegative "
                    f"numbers (one per group); got shape {tuple(weights.shape)}."
                )
        cache[key] = (index, n_groups, pf, group_pf, group_pf * weights)
        return cache[key]

    def penalized_columns(self, w):
        index, _, pf, _, gw = self._layout(w)
        # A group weight of 0 switches off the group term only: the L1 term of a sparse
        # group lasso still zeroes the column.
        return (pf > 0) & ((gw[index] > 0) | (self._l1_share() > 0))

    def _split(self) -> tuple[float, float]:
        rho = self._l1_share()
        return float(self.alpha * rho), float(self.alpha * (1 - rho))

    def value(self, w):
        index, n_groups, pf, _, gw = self._layout(w)
        l1, l2 = self._split()
        out = w.new_zeros(())
        if l1 > 0:
            out = out + l1 * (torch.abs(w) * pf).sum()
        if l2 > 0:
            norms = safe_norm(column_group_sq_norms(w, index, n_groups))
            out = out + l2 * (gw * norms).sum()
        return out

    def prox(self, w, step):
        # prox of l1 + group term = group prox o soft-threshold (Simon et al. 2013); the
        # composition also holds in the diagonal metric of per-coordinate steps, because
        # the group step only rescales the soft-thresholded coordinates by positive
        # factors (signs and zeros are kept).
        index, _, pf, _, gw = self._layout(w)
        l1, l2 = self._split()
        step = self._step_like(step, w)
        out = soft_threshold(w, step * l1 * pf) if l1 > 0 else w
        if l2 == 0:
            return out
        if not torch.is_tensor(step) or step.numel() == 1:
            return group_soft_threshold(out, index, float(step) * l2 * gw)
        return group_soft_threshold_metric(out, index, l2 * gw, step)

    def optimality_violation(self, w, grad):
        """Distance of ``-grad`` to ``alpha * dP(w)``, one value per group."""
        index, n_groups, pf, _, gw = self._layout(w)
        l1, l2 = self._split()
        norms = column_group_sq_norms(w, index, n_groups).sqrt()
        safe = torch.where(norms > 0, norms, 1.0)[index]
        smooth = grad + l1 * pf * torch.sign(w) + l2 * gw[index] * w / safe
        per_coord = torch.where(
            w != 0, torch.abs(smooth), torch.clamp(torch.abs(grad) - l1 * pf, min=0.0)
        )
        nonzero = column_group_sq_norms(per_coord, index, n_groups).sqrt()
        shrunk = column_group_sq_norms(soft_threshold(grad, l1 * pf), index, n_groups).sqrt()
        at_zero = torch.clamp(shrunk - l2 * gw, min=0.0)
        return torch.where(norms > 0, nonzero, at_zero)

    def kkt_ratio(self, w, grad):
        """Optimality certificate of the zero columns of ``w``; see :meth:`Penalty.kkt_ratio`.

        A zero column of a group that is zero as a whole gets the group's ratio. A zero
        column inside a *nonzero* group is certified by the L1 term alone (the group
        norm is differentiable there, with zero gradient in that column):
        ``max_i |grad_ij| / (alpha * l1_ratio * pf_j)``, infinite for a group lasso
        unless the column's gradient is zero.
        """
        ratio = super().kkt_ratio(w, grad)
        index, n_groups, pf, _, _ = self._layout(w)
        group_nonzero = (column_group_sq_norms(w, index, n_groups) > 0)[index]
        inside = group_nonzero & ~self.support(w)
        if not bool(inside.any()):
            return ratio
        col_max = torch.abs(self._as_2d(grad)).amax(dim=0)
        den = float(self.alpha) * self._l1_share() * pf
        col_ratio = torch.where(
            den > 0, col_max / torch.where(den > 0, den, 1.0), math.inf
        )
        col_ratio = torch.where(col_max == 0, torch.zeros_like(col_ratio), col_ratio)
        return torch.where(inside, col_ratio.to(ratio.dtype), ratio)

    def critical_alpha(self, grad):
        index, n_groups, _, group_pf, gw = self._layout(grad)
        rho = self._l1_share()
        g2 = self._as_2d(grad)
        gnorm = column_group_sq_norms(g2, index, n_groups).sqrt()
        gmax = torch.zeros_like(gnorm).scatter_reduce_(
            0, index, torch.abs(g2).amax(dim=0), "amax", include_self=False
        )

        def ratio(num, den):
            return torch.where(den > 0, num / torch.where(den > 0, den, 1.0), math.inf)

        if rho == 0:
            crit = ratio(gnorm, gw)
        elif rho == 1:
            crit = ratio(gmax, group_pf)
        else:
            # Smallest a with ||soft(grad_g, a rho pf)|| <= a (1 - rho) gw: the left side
            # decreases in a and the right side increases, so bisect; at
            # a = max|grad_g| / (rho pf_g) the left side is 0, which brackets the root.
            hi = ratio(gmax, rho * group_pf)
            finite = torch.isfinite(hi)
            lo = torch.zeros_like(hi)
            up = torch.where(finite, hi, torch.zeros_like(hi))
            for _ in range(100):
                mid = 0.5 * (lo + up)
                shrunk = column_group_sq_norms(
                    soft_threshold(g2, (mid * rho * group_pf)[index]), index, n_groups
                ).sqrt()
                ok = shrunk <= mid * (1 - rho) * gw
                up = torch.where(ok, mid, up)
                lo = torch.where(ok, lo, mid)
            crit = torch.where(finite, up, hi)
        crit = torch.where(gnorm == 0, torch.zeros_like(crit), crit)
        return crit[index]


class GroupLasso(_Grouped):
    r"""Group lasso over input variables (Yuan & Lin 2006).

    .. math:: \alpha \sum_g \mathrm{pf}_g \, v_g \, \lVert W_g \rVert_2,
              \qquad v_g = \sqrt{p_g}\ \text{by default}

    where ``W_g`` holds every weight in the columns of group ``g`` (all first-layer
    weights leaving those input variables) and ``p_g`` is the number of weights in the
    group: ``|g| * out_features``. By default each input column is its own group, so the
    penalty selects whole input variables. Prox (group soft-thresholding):
    ``W_g * max(1 - step * alpha * pf_g * v_g / ||W_g||_2, 0)``; a group becomes exactly
    zero when its norm is at most the threshold. At zero the subdifferential is the ball
    of radius ``alpha * pf_g * v_g``: a zero group is optimal iff
    ``||grad_g||_2 <= alpha * pf_g * v_g``. With per-coordinate steps ``d`` (Adam) the
    prox is taken exactly in the metric ``diag(d)^{-1}`` (see
    :func:`riata.penalties.group_soft_threshold_metric`).

    Parameters
    ----------
    alpha : float, default=1.0
    groups : None, array-like of shape (n_columns,), or list of lists of int
        None: one group per input column. Labels: columns sharing a label form one
        group (e.g. the one-hot columns of a categorical), groups ordered by first
        appearance. Index lists: each list is a group; every column exactly once.
    weights : array-like of shape (n_groups,), default=None
        Replaces ``sqrt(p_g)``.
    penalty_factor : array-like of shape (n_columns,), default=None
        Per input column; must be equal within a group; 0 = never penalized.

    References
    ----------
    Yuan, M. and Lin, Y. (2006). Model selection and estimation in regression with
    grouped variables. JRSS-B 68(1), 49-67.

    Examples
    --------
    >>> import torch
    >>> from riata.penalties import GroupLasso
    >>> w = torch.tensor([[3.0, 0.1], [4.0, 0.1]])  # 2 hidden units x 2 inputs
    >>> GroupLasso(alpha=1.0, weights=[1.0, 1.0]).prox(w, step=1.0)
    tensor([[2.4000, 0.0000],
            [3.2000, 0.0000]])
    """

    def __init__(self, alpha: float = 1.0, *, groups=None, weights=None, penalty_factor=None):
        self.alpha = alpha
        self.groups = groups
        self.weights = weights
        self.penalty_factor = penalty_factor
        self._validate_params()

    def _l1_share(self):
        return 0.0


class SparseGroupLasso(_Grouped):
    r"""Sparse group lasso: an L1 term plus a group-lasso term (Simon et al. 2013).

    .. math:: \alpha \Big( \rho \sum_{ij} \mathrm{pf}_j |w_{ij}|
              + (1 - \rho) \sum_g \mathrm{pf}_g \, v_g \lVert W_g \rVert_2 \Big),
              \quad \rho = \texttt{l1\_ratio}

    with ``v_g = sqrt(p_g)`` as in :class:`GroupLasso`. Prox: soft-threshold at
    ``step * alpha * rho * pf``, then group soft-threshold at
    ``step * alpha * (1 - rho) * pf_g * v_g``. A zero group is optimal iff
    ``||soft(grad_g, alpha * rho * pf)||_2 <= alpha * (1 - rho) * pf_g * v_g``.

    Parameters
    ----------
    alpha : float, default=1.0
    l1_ratio : float in [0, 1], default=0.5
        ``1`` is :class:`L1`, ``0`` is :class:`GroupLasso`.
    groups, weights, penalty_factor
        As in :class:`GroupLasso`.

    References
    ----------
    Simon, N., Friedman, J., Hastie, T. and Tibshirani, R. (2013). A sparse-group lasso.
    J. Comput. Graph. Stat. 22(2), 231-245.

    Examples
    --------
    >>> import torch
    >>> from riata.penalties import SparseGroupLasso
    >>> pen = SparseGroupLasso(alpha=1.0, l1_ratio=0.5, weights=[1.0])
    >>> pen.prox(torch.tensor([[3.0], [0.2]]), step=1.0)
    tensor([[2.],
            [0.]])
    """

    _parameter_constraints = {
        **_Grouped._parameter_constraints,
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self, alpha: float = 1.0, *, l1_ratio: float = 0.5, groups=None, weights=None,
        penalty_factor=None,
    ):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.groups = groups
        self.weights = weights
        self.penalty_factor = penalty_factor
        self._validate_params()

    def _l1_share(self):
        return float(self.l1_ratio)

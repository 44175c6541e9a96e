"""Pure, batched kernels behind the penalties' proximal operators.

Every function here takes tensors and returns new tensors; nothing is modified in
place, so each kernel can be tested alone against a closed form or a numerical
minimizer. Shapes follow torch's ``nn.Linear`` convention: the *last* axis indexes the
input variables ("columns"), the leading axes the output units.
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "soft_threshold",
    "column_group_sq_norms",
    "group_soft_threshold",
    "group_soft_threshold_metric",
    "safe_norm",
]


def soft_threshold(w: torch.Tensor, threshold: torch.Tensor | float) -> torch.Tensor:
    """Elementwise soft-thresholding, the prox of ``threshold * |w|``.

    ``sign(w) * max(|w| - threshold, 0)``; coordinates with ``|w| <= threshold`` become
    exactly zero.
    """
    return torch.sign(w) * torch.clamp(torch.abs(w) - threshold, min=0.0)


def column_group_sq_norms(
    w: torch.Tensor, group_index: torch.Tensor, n_groups: int
) -> torch.Tensor:
    """Squared L2 norm of each group of columns of ``w``.

    Parameters
    ----------
    w : Tensor of shape (..., n_columns)
    group_index : LongTensor of shape (n_columns,)
        The group of each column.
    n_groups : int

    Returns
    -------
    Tensor of shape (n_groups,)
    """
    col_sq = (w * w).reshape(math.prod(w.shape[:-1]), w.shape[-1]).sum(dim=0)
    out = torch.zeros(n_groups, dtype=w.dtype, device=w.device)
    return out.index_add_(0, group_index, col_sq)


def safe_norm(sq: torch.Tensor) -> torch.Tensor:
    """``sqrt(sq)`` whose gradient at 0 is 0 (the minimum-norm subgradient), not NaN."""
    positive = sq > 0
    return torch.where(positive, sq, torch.ones_like(sq)).sqrt() * positive


def group_soft_threshold(
    w: torch.Tensor,
    group_index: torch.Tensor,
    threshold: torch.Tensor,
) -> torch.Tensor:
    """Group soft-thresholding, the prox of ``sum_g threshold_g * ||w_g||_2``.

    ``w_g * max(1 - threshold_g / ||w_g||_2, 0)``: a group whose norm is at most its
    threshold becomes exactly zero.

    Parameters
    ----------
    w : Tensor of shape (..., n_columns)
    group_index : LongTensor of shape (n_columns,)
    threshold : Tensor of shape (n_groups,)
    """
    norms = column_group_sq_norms(w, group_index, threshold.shape[0]).sqrt()
    # norms == 0 gives 0 / 0 below; such a group is zero already and stays zero.
    scale = torch.clamp(1.0 - threshold / torch.where(norms > 0, norms, 1.0), min=0.0)
    scale = torch.where(norms > 0, scale, torch.zeros_like(scale))
    return w * scale[group_index]


def group_soft_threshold_metric(
    w: torch.Tensor,
    group_index: torch.Tensor,
    threshold: torch.Tensor,
    step: torch.Tensor,
    n_iter: int = 60,
) -> torch.Tensor:
    """Prox of ``sum_g threshold_g * ||v_g||_2`` in the metric of per-coordinate steps.

    Solves, for every group independently,

        argmin_v  sum_i (v_i - w_i)^2 / (2 step_i)  +  threshold_g * ||v_g||_2,

    the scaled proximal step that an optimizer with per-coordinate step sizes (Adam)
    needs. The solution is zero iff ``||w_g / step_g||_2 <= threshold_g``; otherwise
    ``v_i = w_i * r / (r + threshold_g * step_i)`` where ``r = ||v_g||_2 > 0`` is the
    root of the decreasing function ``psi(r) = ||w_g / (r + threshold_g step_g)||_2 - 1``
    found by safeguarded Newton iterations (bracket ``(0, ||w_g||]``). With a constant
    step in a group this reduces to :func:`group_soft_threshold` with threshold
    ``step * threshold_g``.

    Parameters
    ----------
    w, step : Tensor of shape (..., n_columns)
        ``step`` must be nonnegative; a coordinate with step 0 is kept as it is.
    group_index : LongTensor of shape (n_columns,)
    threshold : Tensor of shape (n_groups,)
    n_iter : int, default=60
        Upper bound on the Newton iterations (bisection safeguarded).
    """
    n_groups = threshold.shape[0]
    # Work in float64: r solves a nonlinear equation and float32 loses the last digits.
    w64, s64, t64 = w.double(), step.double().expand_as(w), threshold.double()
    flat_w = w64.reshape(math.prod(w.shape[:-1]), w.shape[-1])
    flat_s = s64.reshape(math.prod(w.shape[:-1]), w.shape[-1])
    # One group per column (the default layout: a group per input variable) makes the
    # group sums plain column sums, several times cheaper than a scatter.
    per_column = n_groups == flat_w.shape[1] and bool(
        torch.equal(group_index, torch.arange(n_groups, device=w.device)))

    def group_sum(x: torch.Tensor, index=group_index, size=n_groups) -> torch.Tensor:
        if per_column and size == n_groups:
            return x.sum(dim=0)
        out = torch.zeros(size, dtype=x.dtype, device=x.device)
        return out.index_add_(0, index, x.sum(dim=0))

    # A zero step (a frozen coordinate, lr = 0) keeps its coordinate fixed; 0 / 0 there
    # must count as 0, not NaN, or the whole group would be zeroed.
    ratio = torch.where(flat_w == 0, torch.zeros_like(flat_w), flat_w / flat_s)
    zero_test = group_sum(ratio**2).sqrt()
    active = zero_test > t64
    out = torch.zeros_like(flat_w)
    if not bool(active.any()):
        return out.reshape(w.shape).to(w.dtype)
    # Newton runs on the columns of the nonzero groups only: along a path most groups
    # are zero, and they are settled by the test above.
    if per_column:
        cols = torch.nonzero(active).squeeze(1)
        sub_index = torch.arange(cols.numel(), device=w.device)
        groups = cols
    else:
        col_active = active[group_index]
        cols = torch.nonzero(col_active).squeeze(1)
        groups = torch.nonzero(active).squeeze(1)
        remap = torch.full((n_groups,), -1, dtype=torch.long, device=w.device)
        remap[groups] = torch.arange(groups.numel(), device=w.device)
        sub_index = remap[group_index[cols]]
    n_sub = groups.numel()
    sw, ss = flat_w[:, cols], flat_s[:, cols]
    st = t64[groups]

    def sub_sum(x: torch.Tensor) -> torch.Tensor:
        if per_column:
            return x.sum(dim=0)
        return torch.zeros(n_sub, dtype=x.dtype, device=x.device).index_add_(
            0, sub_index, x.sum(dim=0))

    lo = torch.zeros(n_sub, dtype=torch.float64, device=w.device)
    hi = sub_sum(sw**2).sqrt()
    tcol = st[sub_index]
    # Start from the closed form for the group's mean step (exact when the steps in a
    # group are equal): Newton then needs a handful of iterations, not dozens.
    counts = sub_sum(torch.ones_like(sw))
    mean_step = sub_sum(ss) / counts
    r = torch.clamp(hi - st * mean_step, min=1e-3 * hi, max=hi)
    w2 = sw**2
    for _ in range(n_iter):
        denom = r[sub_index] + tcol * ss
        q = sub_sum(w2 / denom**2)
        psi = q.sqrt() - 1.0
        # psi > 0 means r is too small.
        lo = torch.where(psi > 0, r, lo)
        hi = torch.where(psi > 0, hi, r)
        dpsi = -sub_sum(w2 / denom**3) / torch.clamp(q.sqrt(), min=1e-300)
        newton = r - psi / torch.where(dpsi < 0, dpsi, -1.0)
        inside = (newton >= lo) & (newton <= hi)
        r_new = torch.where(inside, newton, 0.5 * (lo + hi))
        converged = torch.abs(r_new - r) <= 1e-13 * torch.clamp(hi, min=1e-300)
        r = r_new
        if bool(torch.all(converged)):
            break
    rc = r[sub_index]
    out[:, cols] = sw * (rc / (rc + tcol * ss))
    return out.reshape(w.shape).to(w.dtype)

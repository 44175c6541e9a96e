"""The penalty cases every conformance test runs on, and an independent reference.

``CASES`` maps a readable id to a factory, so that instances (and their tensors) are
built inside each test, not at import time. ``Reference`` re-derives every formula of
the docstrings with numpy alone -- its own group resolution, its own default group
weights -- so that the tests compare riata against a second implementation rather than
against itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from riata.penalties import L1, L2, ElasticNet, GroupLasso, SparseGroupLasso

#: Weight shape used throughout: (out_features, in_features).
N_ROWS, N_COLUMNS = 3, 6

PF_ELEMENTWISE = [0.0, 1.0, 2.0, 1.0, 0.5, 0.0]
LABELS = ["a", "b", "a", "c", "c", "b"]
INDEX_LISTS = [[4, 0], [1, 2, 5], [3]]
CONTIGUOUS = [0, 0, 1, 1, 2, 2]
PF_GROUPED = [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]

CASES = {
    "L1-default": lambda: L1(),
    "L1-penalty_factor": lambda: L1(alpha=0.4, penalty_factor=PF_ELEMENTWISE),
    "L2-default": lambda: L2(),
    "L2-penalty_factor": lambda: L2(alpha=0.7, penalty_factor=PF_ELEMENTWISE),
    "ElasticNet-default": lambda: ElasticNet(),
    "ElasticNet-l1_ratio=0": lambda: ElasticNet(alpha=0.6, l1_ratio=0.0),
    "ElasticNet-l1_ratio=1": lambda: ElasticNet(alpha=0.6, l1_ratio=1.0),
    "ElasticNet-penalty_factor": lambda: ElasticNet(
        alpha=0.5, l1_ratio=0.3, penalty_factor=PF_ELEMENTWISE
    ),
    "GroupLasso-default": lambda: GroupLasso(),
    "GroupLasso-labels": lambda: GroupLasso(alpha=0.3, groups=LABELS),
    "GroupLasso-index-lists": lambda: GroupLasso(alpha=0.3, groups=INDEX_LISTS),
    "GroupLasso-penalty_factor": lambda: GroupLasso(
        alpha=0.3, groups=CONTIGUOUS, penalty_factor=PF_GROUPED
    ),
    "GroupLasso-weights": lambda: GroupLasso(
        alpha=0.4, groups=[0, 0, 0, 1, 1, 2], weights=[1.0, 0.5, 2.0]
    ),
    "SparseGroupLasso-default": lambda: SparseGroupLasso(),
    "SparseGroupLasso-l1_ratio=0": lambda: SparseGroupLasso(
        alpha=0.3, l1_ratio=0.0, groups=LABELS
    ),
    "SparseGroupLasso-l1_ratio=0.2": lambda: SparseGroupLasso(
        alpha=0.4, l1_ratio=0.2, groups=CONTIGUOUS
    ),
    "SparseGroupLasso-l1_ratio=0.8": lambda: SparseGroupLasso(
        alpha=0.4, l1_ratio=0.8, groups=INDEX_LISTS
    ),
    "SparseGroupLasso-l1_ratio=1": lambda: SparseGroupLasso(
        alpha=0.5, l1_ratio=1.0, groups=LABELS
    ),
    "SparseGroupLasso-penalty_factor": lambda: SparseGroupLasso(
        alpha=0.4, l1_ratio=0.5, groups=CONTIGUOUS, penalty_factor=PF_GROUPED
    ),
    "SparseGroupLasso-zero-weight": lambda: SparseGroupLasso(
        alpha=0.4, l1_ratio=0.5, groups=CONTIGUOUS, weights=[1.0, 0.0, 2.0]
    ),
}

CASE_IDS = sorted(CASES)


def make_weight(seed: int, dtype=torch.float64, shape=(N_ROWS, N_COLUMNS)) -> torch.Tensor:
    """Weights whose entries and columns span three decades, so that every threshold
    used in the tests leaves some coordinates (groups) at zero and others not."""
    gen = np.random.default_rng(seed)
    w = gen.standard_normal(shape) * 10.0 ** gen.uniform(-1.5, 1.0, size=shape)
    w = w * 10.0 ** gen.uniform(-1.0, 0.5, size=shape[-1])
    return torch.as_tensor(5.0 * w / np.abs(w).max(), dtype=dtype)


def make_steps(seed: int, shape=(N_ROWS, N_COLUMNS), dtype=torch.float64) -> torch.Tensor:
    """Per-coordinate positive steps spanning a factor 5, as Adam produces."""
    gen = np.random.default_rng(10_000 + seed)
    return torch.as_tensor(gen.uniform(0.2, 1.0, size=shape), dtype=dtype)


def _resolve(groups, n_columns: int) -> np.ndarray:
    if groups is None:
        return np.arange(n_columns)
    if all(isinstance(g, (list, tuple)) for g in groups):
        index = np.empty(n_columns, dtype=int)
        for g, members in enumerate(groups):
            index[list(members)] = g
        return index
    seen: dict = {}
    return np.array([seen.setdefault(label, len(seen)) for label in groups])


@dataclass
class Reference:
    """A penalty written as ``sum l1_j |w_ij| + sum ridge_j w_ij^2 / 2 +
    sum_g group_coef_g ||w_g||`` with numpy, from the penalty's parameters alone."""

    alpha: float
    l1: np.ndarray  # (n_columns,)
    ridge: np.ndarray  # (n_columns,)
    group_index: np.ndarray | None  # (n_columns,), None for elementwise penalties
    group_coef: np.ndarray | None  # (n_groups,)

    @classmethod
    def of(cls, penalty, n_rows: int = N_ROWS, n_columns: int = N_COLUMNS) -> Reference:
        params = penalty.get_params()
        alpha = float(params["alpha"])
        pf = params.get("penalty_factor")
        pf = np.ones(n_columns) if pf is None else np.asarray(pf, dtype=float)
        rho = {
            "L1": 1.0,
            "L2": 0.0,
            "GroupLasso": 0.0,
        }.get(type(penalty).__name__, params.get("l1_ratio"))
        if "groups" not in params:
            return cls(alpha, alpha * rho * pf, alpha * (1 - rho) * pf, None, None)
        index = _resolve(params["groups"], n_columns)
        n_groups = index.max() + 1
        sizes = np.bincount(index, minlength=n_groups) * n_rows
        weights = params["weights"]
        weights = np.sqrt(sizes) if weights is None else np.asarray(weights, float)
        group_pf = np.array([pf[index == g][0] for g in range(n_groups)])
        coef = alpha * (1 - rho) * group_pf * weights
        return cls(alpha, alpha * rho * pf, np.zeros(n_columns), index, coef)

    @property
    def grouped(self) -> bool:
        return self.group_index is not None

    def group_norms(self, w: np.ndarray) -> np.ndarray:
        col_sq = (w.reshape(-1, w.shape[-1]) ** 2).sum(axis=0)
        return np.sqrt(np.bincount(self.group_index, weights=col_sq,
                                   minlength=self.group_coef.size))

    def value(self, w: np.ndarray) -> float:
        out = float((self.l1 * np.abs(w)).sum() + 0.5 * (self.ridge * w * w).sum())
        if self.grouped:
            out += float((self.group_coef * self.group_norms(w)).sum())
        return out

    def prox(self, w: np.ndarray, step: float) -> np.ndarray:
        """Closed form for a scalar step: soft-threshold, ridge shrink, group shrink."""
        u = np.sign(w) * np.maximum(np.abs(w) - step * self.l1, 0.0)
        u = u / (1.0 + step * self.ridge)
        if self.grouped:
            norms = self.group_norms(u)
            safe = np.where(norms > 0, norms, 1.0)
            scale = np.where(norms > 0, np.maximum(1 - step * self.group_coef / safe, 0), 0)
            u = u * scale[self.group_index]
        return u

    def violation(self, w: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Distance of ``-grad`` to the subdifferential at ``w``: per coordinate for
        elementwise penalties, per group (the norm over the group) otherwise."""
        soft = np.sign(grad) * np.maximum(np.abs(grad) - self.l1, 0.0)
        if not self.grouped:
            return np.where(w != 0, np.abs(grad + self.l1 * np.sign(w) + self.ridge * w),
                            np.abs(soft))
        norms = self.group_norms(w)
        safe = np.where(norms > 0, norms, 1.0)[self.group_index]
        smooth = grad + self.l1 * np.sign(w) + self.group_coef[self.group_index] * w / safe
        per_coord = np.where(w != 0, np.abs(smooth), np.abs(soft))
        out = np.empty(self.group_coef.size)
        for g in range(self.group_coef.size):
            cols = self.group_index == g
            if norms[g] > 0:
                out[g] = np.linalg.norm(per_coord[..., cols])
            else:  # distance to the box of the L1 term plus the ball of the group term
                out[g] = max(np.linalg.norm(soft[..., cols]) - self.group_coef[g], 0.0)
        return out

    def critical_alpha(self, grad: np.ndarray) -> np.ndarray:
        """Per column, the smallest alpha making the column's block optimal at zero, by
        bisection on the zero condition ``||soft(g_b, a l1/alpha)|| <= a coef/alpha``."""
        g = grad.reshape(-1, grad.shape[-1])
        index = np.arange(g.shape[1]) if not self.grouped else self.group_index
        unit_l1 = self.l1 / self.alpha
        unit_coef = (np.zeros(g.shape[1]) if not self.grouped
                     else self.group_coef / self.alpha)
        out = np.empty(g.shape[1])
        for b in np.unique(index):
            cols = index == b
            gb, l1b, cb = g[:, cols], unit_l1[cols], unit_coef[b]

            def excess(a, gb=gb, l1b=l1b, cb=cb):
                shrunk = np.sign(gb) * np.maximum(np.abs(gb) - a * l1b, 0.0)
                return np.linalg.norm(shrunk) - a * cb

            if excess(0.0) <= 0:
                out[cols] = 0.0
                continue
            lo, hi = 0.0, 1.0
            while excess(hi) > 0 and hi < 1e12:
                lo, hi = hi, 2.0 * hi
            if excess(hi) > 0:
                out[cols] = math.inf
                continue
            # Bisection on the sign of excess (a root need not be a sign change: the
            # L1 part alone reaches 0 and stays there).
            while hi - lo > 1e-15 * hi:
                mid = 0.5 * (lo + hi)
                lo, hi = (lo, mid) if excess(mid) <= 0 else (mid, hi)
            out[cols] = hi
        return out

    def zero_mask(self, w: np.ndarray, step: float) -> np.ndarray:
        """Which coordinates the prox must set exactly to zero (the threshold rule)."""
        zero = np.abs(w) <= step * self.l1
        if self.grouped:
            u = np.sign(w) * np.maximum(np.abs(w) - step * self.l1, 0.0)
            group_zero = self.group_norms(u) <= step * self.group_coef
            zero = zero | group_zero[self.group_index]
        return zero


def _block_minimize(w, step, l1, ridge, coef) -> np.ndarray:
    """``argmin_v sum (v - w)^2 / (2 step) + l1 |v| + ridge v^2 / 2 + coef ||v||`` for one
    block, by L-BFGS-B: ``v = sqrt(step) * (p - n)`` with ``p, n >= 0`` turns the L1
    term into a linear one (and makes the quadratic isotropic); the group norm is
    smooth away from 0, and ``v = 0`` is tried as a candidate of its own. Restarts
    until the objective stops decreasing, because L-BFGS-B may stall on a kink."""
    k = w.size
    root = np.sqrt(step)

    def objective(v):
        return float(((v - w) ** 2 / (2 * step)).sum() + (l1 * np.abs(v)).sum()
                     + 0.5 * (ridge * v * v).sum() + coef * np.linalg.norm(v))

    def split_objective(x):
        p, n = x[:k], x[k:]
        v = root * (p - n)
        norm = np.linalg.norm(v)
        grad_v = (v - w) / step + ridge * v + (coef * v / norm if norm > 0 else 0.0)
        value = (((v - w) ** 2 / (2 * step)).sum() + (l1 * root * (p + n)).sum()
                 + 0.5 * (ridge * v * v).sum() + coef * norm)
        return value, np.concatenate([root * (grad_v + l1), root * (l1 - grad_v)])

    x = np.concatenate([np.maximum(w, 0) / root, np.maximum(-w, 0) / root])
    best = np.inf
    for _ in range(10):
        res = minimize(split_objective, x, jac=True, method="L-BFGS-B",
                       bounds=[(0, None)] * (2 * k),
                       options=dict(ftol=1e-16, gtol=1e-12, maxiter=1000))
        x = res.x
        if res.fun >= best - 1e-15:
            break
        best = res.fun
    return min([root * (x[:k] - x[k:]), np.zeros(k)], key=objective)


def numerical_prox(ref: Reference, w: np.ndarray, step) -> np.ndarray:
    """The prox by a general-purpose minimizer, block by block (a block is one column
    for elementwise penalties, one group of columns otherwise)."""
    w = np.asarray(w, dtype=float)
    step = np.broadcast_to(np.asarray(step, dtype=float), w.shape)
    out = np.empty_like(w)
    blocks = ref.group_index if ref.grouped else np.arange(w.shape[-1])
    # OpenBLAS threads cost milliseconds per call on these tiny problems.
    with threadpool_limits(1):
        for b in np.unique(blocks):
            cols = blocks == b
            shape = w[:, cols].shape
            out[:, cols] = _block_minimize(
                w[:, cols].ravel(),
                step[:, cols].ravel(),
                np.broadcast_to(ref.l1[cols], shape).ravel(),
                np.broadcast_to(ref.ridge[cols], shape).ravel(),
                ref.group_coef[b] if ref.grouped else 0.0,
            ).reshape(shape)
    return out

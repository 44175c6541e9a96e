"""The tables every optimizer check is driven by, and the problem most of them run on.

Three tables: the optimizers of ``riata.optim.OPTIMIZERS``, the penalty modes of
``riata.optim.PENALTY_MODES`` and ``PENALTY_CASES`` (one instance of each class of
``riata.penalties.PENALTIES``). ``LeastSquares`` is a small linear least-squares problem
whose gradient is computed in closed form and written to ``.grad`` by hand, so that the
optimizer is the only code under test and the Lipschitz constant of the gradient is
known exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from riata.optim import OPTIMIZERS, ProxAdam, ProxSGD
from riata.penalties import L1, L2, ElasticNet, GroupLasso, SparseGroupLasso

# -- tables -------------------------------------------------------------------------


def column_groups(n_columns: int) -> list[int]:
    """Group labels: the three relevant features of the sparse problem form group 0,
    the other columns come in pairs (and a last singleton when the count is odd)."""
    return [0, 0, 0] + [1 + j // 2 for j in range(n_columns - 3)]


#: One case per penalty class: ``factory(n_columns, alpha) -> Penalty``.
PENALTY_CASES = {
    "L1": lambda p, alpha: L1(alpha=alpha),
    "L2": lambda p, alpha: L2(alpha=alpha),
    "ElasticNet": lambda p, alpha: ElasticNet(alpha=alpha, l1_ratio=0.5),
    "GroupLasso": lambda p, alpha: GroupLasso(alpha=alpha, groups=column_groups(p)),
    "SparseGroupLasso": lambda p, alpha: SparseGroupLasso(
        alpha=alpha, l1_ratio=0.5, groups=column_groups(p)
    ),
}
PENALTY_IDS = sorted(PENALTY_CASES)
#: The penalties whose solutions have exact zeros (L2 only shrinks).
SPARSE_PENALTY_IDS = [name for name in PENALTY_IDS if name != "L2"]
GROUPED_PENALTY_IDS = ["GroupLasso", "SparseGroupLasso"]

#: Hyperparameters of each optimizer on the least-squares problem, as a function of the
#: Lipschitz constant ``L`` of the gradient. ProxSGD uses ``lr = 0.1 / L``: the autograd
#: and shrink modes move by ``lr`` times a subgradient that does not vanish near zero,
#: so they oscillate with an amplitude proportional to ``lr`` (at ``lr = 1/L`` they keep
#: ~40% of the initial objective gap after 300 steps); the ISTA checks of
#: ``test_convergence.py`` use ``lr = 1/L`` explicitly. Adam's steps are
#: ``lr / (sqrt(v_hat) + eps)`` per coordinate, so its ``lr`` is a distance per step,
#: not a multiple of ``1/L``.
LINEAR_SETTINGS = {
    ProxSGD: lambda L: {"lr": 0.1 / L},
    ProxAdam: lambda L: {"lr": 2e-2},
}
#: Strength of every penalty on the least-squares problem. It (and the 0.15 L1 share of
#: the 50/50 penalties) is above the largest data gradient of an irrelevant feature at
#: the optimum (~0.06) and far below those of the relevant ones (~1), so that the
#: solution has exactly the irrelevant features at zero.
ALPHA = 0.3

OPTIMIZER_IDS = [cls.__name__ for cls in OPTIMIZERS]


def optimizer_params():
    """``@optimizer_params()``: run the decorated test once per optimizer class."""
    return pytest.mark.parametrize("optimizer_cls", OPTIMIZERS, ids=OPTIMIZER_IDS)


# -- the least-squares problem --------------------------------------------------------


@dataclass
class LeastSquares:
    """``0.5 * sum_k mean_i (x_i . W_k + b_k - Y_ik)^2`` with ``W`` in nn.Linear layout."""

    X: torch.Tensor  # (n_samples, n_features)
    Y: torch.Tensor  # (n_samples, n_outputs)
    n_relevant: int

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def lipschitz(self) -> float:
        # The Hessian in each output's (W_k, b_k) is [X, 1]^T [X, 1] / n: the bias is a
        # column of ones, and it is part of the smooth problem.
        n = self.X.shape[0]
        design = torch.cat([self.X, torch.ones(n, 1, dtype=self.X.dtype)], dim=1)
        return float(torch.linalg.matrix_norm(design, ord=2) ** 2 / n)

    def residual(self, W, b):
        return self.X @ W.T + b - self.Y

    def loss(self, W, b) -> float:
        return float(0.5 * (self.residual(W, b) ** 2).sum() / self.X.shape[0])

    def gradients(self, W, b):
        r = self.residual(W, b)
        return r.T @ self.X / self.X.shape[0], r.mean(dim=0)

    def objective(self, W, b, penalty) -> float:
        return self.loss(W, b) + float(penalty.value(W))


def make_problem(seed: int, n: int = 200, p: int = 20, k: int = 2) -> LeastSquares:
    gen = np.random.default_rng(seed)
    X = gen.standard_normal((n, p))
    coef = np.zeros((k, p))
    coef[:, :3] = gen.uniform(1.0, 2.0, size=(k, 3)) * gen.choice([-1.0, 1.0], size=(k, 3))
    Y = X @ coef.T + 0.3 + 0.5 * gen.standard_normal((n, k))
    return LeastSquares(torch.as_tensor(X), torch.as_tensor(Y), n_relevant=3)


def initial_weights(problem: LeastSquares, seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    k, p = problem.Y.shape[1], problem.n_features
    W = nn.Parameter(0.1 * torch.randn(k, p, generator=gen, dtype=torch.float64))
    b = nn.Parameter(torch.zeros(k, dtype=torch.float64))
    return W, b


def weight_groups(W, b, penalty, mode="proximal", shrink_clip=False):
    return [
        {"params": [W], "penalty": penalty, "penalty_mode": mode, "shrink_clip": shrink_clip},
        {"params": [b]},
    ]


def full_batch_steps(problem, optimizer, W, b, n_iter: int):
    """Run ``n_iter`` full-batch steps, yielding (W, b) after each one."""
    for _ in range(n_iter):
        W.grad, b.grad = problem.gradients(W.detach(), b.detach())
        optimizer.step()
        yield W.detach().clone(), b.detach().clone()

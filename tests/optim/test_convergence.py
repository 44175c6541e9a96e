"""Where the proximal optimizers go: the optimum, its KKT conditions and exact zeros.

The proximal gradient method (ProxSGD with momentum 0 and ``lr = 1/L``) is run to
convergence on the least-squares problem of :mod:`.registry` and checked against the
optimality conditions of each penalty; every optimizer, in every penalty mode, must then
close most of the gap to that optimum and make (or, in the modes without a prox, fail to
make) the exact zeros of the sparse solution. Full-batch ProxSGD with heavy-ball
momentum is checked against scikit-learn's ``Lasso``.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from torch import nn

from riata.optim import PENALTY_MODES, ProxAdam, ProxSGD
from riata.penalties import L1

from .registry import (
    ALPHA,
    GROUPED_PENALTY_IDS,
    LINEAR_SETTINGS,
    PENALTY_CASES,
    PENALTY_IDS,
    SPARSE_PENALTY_IDS,
    column_groups,
    full_batch_steps,
    initial_weights,
    optimizer_params,
    weight_groups,
)

# -- runs on the least-squares problem ---------------------------------------------------


def _train(problem, optimizer_cls, penalty, mode="proximal", shrink_clip=False,
           n_iter=300, **settings):
    W, b = initial_weights(problem)
    settings = {**LINEAR_SETTINGS[optimizer_cls](problem.lipschitz), **settings}
    opt = optimizer_cls(weight_groups(W, b, penalty, mode, shrink_clip), **settings)
    return list(full_batch_steps(problem, opt, W, b, n_iter))


@pytest.fixture(scope="module")
def ista_runs(problem):
    """For every penalty: the objective at the start and after each of 3000 iterations,
    and the last iterate, of ProxSGD (momentum 0, lr = 1/L, proximal mode, full batch),
    i.e. the proximal gradient method, converged far beyond the tolerances below."""
    runs = {}
    for name in PENALTY_IDS:
        penalty = PENALTY_CASES[name](problem.n_features, ALPHA)
        W, b = initial_weights(problem)
        opt = ProxSGD(weight_groups(W, b, penalty), lr=1.0 / problem.lipschitz)
        iterates = [(W.detach().clone(), b.detach().clone())]
        iterates += full_batch_steps(problem, opt, W, b, 3000)
        # The data loss of all iterates at once (one batched product), the penalty one
        # iterate at a time (a group penalty reads the rows of one weight matrix).
        Ws = torch.stack([w for w, _ in iterates])
        bs = torch.stack([v for _, v in iterates])
        residuals = torch.einsum("np,tkp->tnk", problem.X, Ws) + bs[:, None, :] - problem.Y
        losses = 0.5 * (residuals**2).sum(dim=(1, 2)) / problem.X.shape[0]
        penalties = torch.stack([penalty.value(w) for w in Ws])
        objectives = (losses + penalties).numpy()
        runs[name] = (penalty, W.detach().clone(), b.detach().clone(), objectives)
    return runs


@pytest.fixture(scope="module")
def runs(problem):
    """Memoized ``(optimizer_cls, mode, shrink_clip, penalty name) -> iterates`` of 300
    full-batch steps with ``LINEAR_SETTINGS``, shared by the convergence and sparsity
    checks (each run is needed by several of them)."""
    return functools.cache(
        lambda optimizer_cls, mode, clip, name: _train(
            problem, optimizer_cls, PENALTY_CASES[name](problem.n_features, ALPHA),
            mode, clip, n_iter=300,
        )
    )


# -- convergence ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", PENALTY_IDS)
def test_proximal_gradient_objective_is_monotone(ista_runs, name):
    """ProxSGD, momentum 0, lr = 1/L, proximal mode, full batch is ISTA: the objective
    never increases (up to rounding) and ends well below where it started."""
    _, _, _, objectives = ista_runs[name]
    increases = np.diff(objectives)
    assert increases.max() <= 1e-12 * objectives[0], increases.max()
    assert objectives[-1] < 0.5 * objectives[0]


@pytest.mark.parametrize("name", PENALTY_IDS)
def test_proximal_gradient_reaches_a_kkt_point(problem, ista_runs, name):
    """After 3000 ISTA iterations (float64) every coordinate/group satisfies the
    optimality conditions to 1e-6, zeros included, and the bias gradient vanishes."""
    penalty, W, b, _ = ista_runs[name]
    grad_W, grad_b = problem.gradients(W, b)
    violation = penalty.optimality_violation(W, grad_W)
    assert float(violation.max()) < 1e-6
    assert float(grad_b.abs().max()) < 1e-6
    if name != "L2":
        # The solution is sparse: the 17 irrelevant features are exactly zero ...
        assert torch.all(W[:, problem.n_relevant:] == 0)
        assert torch.all(W[:, :problem.n_relevant] != 0)
        # ... and the zeros are certified optimal by the penalty's own ratio.
        ratio = penalty.kkt_ratio(W, grad_W)[problem.n_relevant:]
        assert float(ratio.max()) <= 1.0 + 1e-6
    else:
        assert torch.all(W != 0)


#: Largest remaining fraction of the initial objective gap after 300 steps. The
#: proximal mode converges (ISTA is linear on this strongly convex problem; Adam is
#: within its lr-sized jitter); the autograd and shrink modes take subgradient steps,
#: which hover at a distance proportional to lr.
GAP_FRACTION = {"proximal": 1e-2, "autograd": 1e-1, "shrink": 1e-1}


@pytest.mark.parametrize("name", PENALTY_IDS)
@pytest.mark.parametrize("mode", PENALTY_MODES)
@optimizer_params()
def test_objective_decreases_toward_the_optimum(problem, ista_runs, runs, optimizer_cls,
                                                mode, name):
    """Every optimizer, in every mode, with every penalty, closes most of the gap
    between a random start and the optimal objective (found by ISTA) in 300 full-batch
    steps."""
    penalty, *_, objectives = ista_runs[name]
    best = objectives[-1]
    start = problem.objective(*(t.detach() for t in initial_weights(problem)), penalty)
    W, b = runs(optimizer_cls, mode, False, name)[-1]
    final = problem.objective(W, b, penalty)
    assert final >= best - 1e-9 * abs(best)  # ISTA's point is optimal: nothing is below
    assert final - best <= GAP_FRACTION[mode] * (start - best), (final, best, start)


# -- exact zeros --------------------------------------------------------------------------


def _assert_group_structure(W, name):
    """A group penalty zeroes groups as a whole: every row of every column."""
    if name not in GROUPED_PENALTY_IDS:
        return
    labels = torch.as_tensor(column_groups(W.shape[1]))
    for g in labels.unique():
        block = W[:, labels == g]
        assert torch.all(block == 0) or torch.all(block != 0), f"group {int(g)}: {block}"


@pytest.mark.parametrize("name", SPARSE_PENALTY_IDS)
@optimizer_params()
def test_proximal_zeros_appear_and_persist(problem, runs, optimizer_cls, name):
    """On a problem with a sparse solution, the proximal mode sets exactly the irrelevant
    features to zero (from a random, nonzero start) and they stay zero over the last 100
    of 300 iterations (the slowest, ProxAdam with the elastic net, settles after ~110).
    Group penalties zero whole groups, ProxAdam's prox in its own metric included. The
    autograd mode (the subgradient in the loss) leaves fewer exact zeros."""
    relevant = problem.n_relevant
    proximal = runs(optimizer_cls, "proximal", False, name)
    for W, _ in proximal[-100:]:
        assert torch.all(W[:, relevant:] == 0)
        assert torch.all(W[:, :relevant] != 0)
        _assert_group_structure(W, name)
    autograd_W, _ = runs(optimizer_cls, "autograd", False, name)[-1]
    proximal_zeros = int((proximal[-1][0] == 0).sum())
    autograd_zeros = int((autograd_W == 0).sum())
    assert proximal_zeros == (problem.n_features - relevant) * problem.Y.shape[1]
    assert proximal_zeros > autograd_zeros


@pytest.mark.parametrize("name", SPARSE_PENALTY_IDS)
def test_clipped_shrink_makes_persistent_zeros_under_sgd(problem, runs, name):
    """ProxSGD in shrink mode with shrink_clip=True (truncated gradient): a weight that
    the shrink would push across zero is set to zero, and at a zero whose gradient is
    below the threshold the next step is pushed back to zero, so zeros persist; without
    the clip there are fewer zeros."""
    clipped = runs(ProxSGD, "shrink", True, name)
    for W, _ in clipped[-100:]:
        assert torch.all(W[:, problem.n_relevant:] == 0)
        assert torch.all(W[:, :problem.n_relevant] != 0)
    unclipped, _ = runs(ProxSGD, "shrink", False, name)[-1]
    assert int((unclipped == 0).sum()) < int((clipped[-1][0] == 0).sum())


def test_clipped_shrink_under_adam_makes_some_zeros(problem, runs):
    """Under Adam the clipped shrink also makes exact zeros, but they need not persist:
    at a zero the normalized Adam step ``lr * m_hat / sqrt(v_hat)`` has size up to ``lr``
    while the shrink is ``lr * alpha``, so for alpha < 1 a weight leaves zero again
    when its gradient keeps one sign. Only zeros at the end, on irrelevant features, are
    asserted."""
    W, _ = runs(ProxAdam, "shrink", True, "L1")[-1]
    zeros = W == 0
    assert zeros.any()
    assert not zeros[:, :problem.n_relevant].any()


# -- heavy-ball momentum against scikit-learn's Lasso ------------------------------------


@pytest.mark.parametrize("momentum", [0.5, 0.9])
@pytest.mark.parametrize("mode", ["proximal", "shrink"])
def test_momentum_does_not_weaken_the_penalty(mode, momentum):
    """Heavy-ball momentum must solve f + P, not f + (1 - momentum) P: with the
    penalty's displacement folded into the buffer, full-batch ProxSGD reaches
    scikit-learn's Lasso solution (a wrong scaling moves it by ~1e-1)."""
    from sklearn.linear_model import Lasso

    gen = torch.Generator().manual_seed(0)
    n, p, alpha = 200, 20, 0.1
    X = torch.randn(n, p, dtype=torch.float64, generator=gen)
    y = X[:, :3] @ torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64)
    y = y + 0.3 * torch.randn(n, dtype=torch.float64, generator=gen)
    reference = Lasso(alpha=alpha, fit_intercept=False, tol=1e-14,
                      max_iter=100_000).fit(X.numpy(), y.numpy()).coef_
    lipschitz = float(torch.linalg.matrix_norm(X, 2) ** 2 / n)
    w = nn.Parameter(torch.zeros(p, dtype=torch.float64))
    opt = ProxSGD([{"params": [w], "penalty": L1(alpha=alpha)}],
                  lr=(1 - momentum) / lipschitz, momentum=momentum, penalty_mode=mode,
                  shrink_clip=True)
    for _ in range(5000):
        opt.zero_grad()
        (0.5 * ((X @ w - y) ** 2).mean()).backward()
        opt.step()
    assert np.abs(w.detach().numpy() - reference).max() < 1e-10

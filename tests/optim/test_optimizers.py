"""Conformance suite for the proximal optimizers.

Every check is driven by three tables: the optimizers of ``riata.optim.OPTIMIZERS``, the
penalty modes of ``riata.optim.PENALTY_MODES`` and ``PENALTY_CASES`` (one instance of
each class of ``riata.penalties.PENALTIES``). Most checks run on a small linear
least-squares problem whose gradient is computed in closed form and written to
``.grad`` by hand, so that the optimizer is the only code under test and the
Lipschitz constant of the gradient is known exactly.
"""

from __future__ import annotations

import copy
import functools
import inspect
import io
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

import riata.optim as optim_module
from riata.models import MLP
from riata.optim import (
    OPTIMIZERS,
    PENALTY_MODES,
    ProxAdam,
    ProximalOptimizer,
    ProxSGD,
    penalized_param_groups,
)
from riata.penalties import (
    L1,
    L2,
    PENALTIES,
    ElasticNet,
    GroupLasso,
    SparseGroupLasso,
)

# -- tables -------------------------------------------------------------------------


def _groups(n_columns: int) -> list[int]:
    """Group labels: the three relevant features of the sparse problem form group 0,
    the other columns come in pairs (and a last singleton when the count is odd)."""
    return [0, 0, 0] + [1 + j // 2 for j in range(n_columns - 3)]


#: One case per penalty class: ``factory(n_columns, alpha) -> Penalty``.
PENALTY_CASES = {
    "L1": lambda p, alpha: L1(alpha=alpha),
    "L2": lambda p, alpha: L2(alpha=alpha),
    "ElasticNet": lambda p, alpha: ElasticNet(alpha=alpha, l1_ratio=0.5),
    "GroupLasso": lambda p, alpha: GroupLasso(alpha=alpha, groups=_groups(p)),
    "SparseGroupLasso": lambda p, alpha: SparseGroupLasso(
        alpha=alpha, l1_ratio=0.5, groups=_groups(p)
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
#: ~40% of the initial objective gap after 300 steps); the ISTA checks below use
#: ``lr = 1/L`` explicitly. Adam's steps are ``lr / (sqrt(v_hat) + eps)`` per coordinate,
#: so its ``lr`` is a distance per step, not a multiple of ``1/L``.
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


def _optimizer_params():
    return pytest.mark.parametrize("optimizer_cls", OPTIMIZERS, ids=OPTIMIZER_IDS)


def test_every_exported_optimizer_is_registered():
    # Every public name of the module, whether or not it is listed in __all__.
    exported = {
        obj
        for name in dir(optim_module)
        if not name.startswith("_") and inspect.isclass(obj := getattr(optim_module, name))
        and issubclass(obj, torch.optim.Optimizer)
    }
    # ProximalOptimizer is the abstract base (no smooth update of its own).
    assert exported - {ProximalOptimizer} == set(OPTIMIZERS)
    assert set(LINEAR_SETTINGS) == set(OPTIMIZERS)


def test_every_penalty_class_has_a_case():
    built = [PENALTY_CASES[name](8, 0.1) for name in PENALTY_IDS]
    assert {type(p) for p in built} == set(PENALTIES)
    assert len(built) == len(PENALTIES)


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


def _make_problem(seed: int, n: int = 200, p: int = 20, k: int = 2) -> LeastSquares:
    gen = np.random.default_rng(seed)
    X = gen.standard_normal((n, p))
    coef = np.zeros((k, p))
    coef[:, :3] = gen.uniform(1.0, 2.0, size=(k, 3)) * gen.choice([-1.0, 1.0], size=(k, 3))
    Y = X @ coef.T + 0.3 + 0.5 * gen.standard_normal((n, k))
    return LeastSquares(torch.as_tensor(X), torch.as_tensor(Y), n_relevant=3)


@pytest.fixture(scope="module")
def problem() -> LeastSquares:
    """Linear regression, float64: 20 features of which 3 are relevant, n = 200, two
    outputs (so that a group of columns holds several rows of ``W``)."""
    return _make_problem(0)


def _initial_weights(problem: LeastSquares, seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    k, p = problem.Y.shape[1], problem.n_features
    W = nn.Parameter(0.1 * torch.randn(k, p, generator=gen, dtype=torch.float64))
    b = nn.Parameter(torch.zeros(k, dtype=torch.float64))
    return W, b


def _weight_groups(W, b, penalty, mode="proximal", shrink_clip=False):
    return [
        {"params": [W], "penalty": penalty, "penalty_mode": mode, "shrink_clip": shrink_clip},
        {"params": [b]},
    ]


def _iterates(problem, optimizer, W, b, n_iter: int):
    """Run ``n_iter`` full-batch steps, yielding (W, b) after each one."""
    for _ in range(n_iter):
        W.grad, b.grad = problem.gradients(W.detach(), b.detach())
        optimizer.step()
        yield W.detach().clone(), b.detach().clone()


def _train(problem, optimizer_cls, penalty, mode="proximal", shrink_clip=False,
           n_iter=300, **settings):
    W, b = _initial_weights(problem)
    settings = {**LINEAR_SETTINGS[optimizer_cls](problem.lipschitz), **settings}
    opt = optimizer_cls(_weight_groups(W, b, penalty, mode, shrink_clip), **settings)
    return list(_iterates(problem, opt, W, b, n_iter))


@pytest.fixture(scope="module")
def ista_runs(problem):
    """For every penalty: the objective at the start and after each of 3000 iterations,
    and the last iterate, of ProxSGD (momentum 0, lr = 1/L, proximal mode, full batch),
    i.e. the proximal gradient method, converged far beyond the tolerances below."""
    runs = {}
    for name in PENALTY_IDS:
        penalty = PENALTY_CASES[name](problem.n_features, ALPHA)
        W, b = _initial_weights(problem)
        opt = ProxSGD(_weight_groups(W, b, penalty), lr=1.0 / problem.lipschitz)
        iterates = [(W.detach().clone(), b.detach().clone())]
        iterates += _iterates(problem, opt, W, b, 3000)
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


# -- without a penalty: torch.optim exactly ---------------------------------------------

TORCH_TWINS = [
    pytest.param(ProxSGD, torch.optim.SGD, {"lr": 0.05}, id="SGD"),
    pytest.param(ProxSGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}, id="SGD-momentum"),
    pytest.param(ProxSGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True},
                 id="SGD-nesterov"),
    pytest.param(ProxSGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
                 id="SGD-dampening"),
    pytest.param(ProxAdam, torch.optim.Adam, {"lr": 1e-2}, id="Adam"),
    pytest.param(ProxAdam, torch.optim.Adam,
                 {"lr": 3e-3, "betas": (0.8, 0.99), "eps": 1e-6}, id="Adam-betas-eps"),
]


def test_every_optimizer_has_a_torch_twin():
    assert {case.values[0] for case in TORCH_TWINS} == set(OPTIMIZERS)


def _mlp_and_batches(seed: int, n_steps: int, dtype=torch.float32):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n_steps, 16, 6, generator=gen, dtype=dtype)
    y = torch.randn(n_steps, 16, 2, generator=gen, dtype=dtype)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = MLP(6, 2, hidden_layer_sizes=(8, 5), activation="tanh").to(dtype)
    return model, X, y


def _run_model(model, optimizer, X, y):
    trace = []
    for xb, yb in zip(X, y):
        optimizer.zero_grad()
        ((model(xb) - yb) ** 2).mean().backward()
        optimizer.step()
        trace.append([p.detach().clone() for p in model.parameters()])
    return trace


@pytest.mark.parametrize("mode", PENALTY_MODES)
@pytest.mark.parametrize(("riata_cls", "torch_cls", "settings"), TORCH_TWINS)
def test_matches_torch_without_penalty(riata_cls, torch_cls, settings, mode):
    """penalty=None (in any mode): every parameter equals torch's at every one of 20
    steps, bit for bit (torch's single-tensor code path runs the same operations)."""
    model_a, X, y = _mlp_and_batches(0, 20)
    model_b = copy.deepcopy(model_a)
    ours = riata_cls(model_a.parameters(), penalty=None, penalty_mode=mode, **settings)
    theirs = torch_cls(model_b.parameters(), foreach=False, **settings)
    for step, (a, b) in enumerate(zip(_run_model(model_a, ours, X, y),
                                      _run_model(model_b, theirs, X, y))):
        for pa, pb in zip(a, b):
            assert torch.equal(pa, pb), f"step {step + 1}: max |diff| {(pa - pb).abs().max()}"


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_autograd_l2_is_torch_weight_decay(momentum):
    """L2(alpha) = alpha/2 ||w||^2 in autograd mode adds alpha * w to the gradient, which is
    torch.optim.SGD's (coupled) weight_decay=alpha; biases stay undecayed in both."""
    alpha = 0.3
    model_a, X, y = _mlp_and_batches(1, 20, dtype=torch.float64)
    model_b = copy.deepcopy(model_a)
    ours = ProxSGD(penalized_param_groups(model_a, {"*.weight": L2(alpha=alpha)},
                                          penalty_mode="autograd"),
                   lr=0.05, momentum=momentum)
    weights = [p for n, p in model_b.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model_b.named_parameters() if n.endswith("bias")]
    theirs = torch.optim.SGD([{"params": weights, "weight_decay": alpha},
                              {"params": biases}], lr=0.05, momentum=momentum,
                             foreach=False)
    for a, b in zip(_run_model(model_a, ours, X, y), _run_model(model_b, theirs, X, y)):
        for pa, pb in zip(a, b):
            # Equal up to rounding: the penalty gradient comes from autograd, not from
            # torch's fused ``grad.add(w, alpha=weight_decay)``.
            torch.testing.assert_close(pa, pb, rtol=1e-13, atol=1e-15)


def test_adam_autograd_l2_is_torch_adam_weight_decay():
    """Under Adam the autograd penalty gradient enters the moments: torch.optim.Adam's
    coupled weight_decay (not AdamW)."""
    alpha = 0.3
    model_a, X, y = _mlp_and_batches(2, 20, dtype=torch.float64)
    model_b = copy.deepcopy(model_a)
    ours = ProxAdam(penalized_param_groups(model_a, {"*.weight": L2(alpha=alpha)},
                                           penalty_mode="autograd"), lr=1e-2)
    weights = [p for n, p in model_b.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in model_b.named_parameters() if n.endswith("bias")]
    theirs = torch.optim.Adam([{"params": weights, "weight_decay": alpha},
                               {"params": biases}], lr=1e-2, foreach=False)
    for a, b in zip(_run_model(model_a, ours, X, y), _run_model(model_b, theirs, X, y)):
        for pa, pb in zip(a, b):
            torch.testing.assert_close(pa, pb, rtol=1e-12, atol=1e-14)


def test_adam_shrink_l2_differs_from_adamw_by_the_order_only():
    """ProxAdam in shrink mode with L2(alpha) is decoupled weight decay, as AdamW, but it
    decays *after* the Adam update where AdamW decays *before* it:

        riata:  w1 = (w0 - lr u) (1 - lr alpha)
        AdamW:  w1 = w0 (1 - lr alpha) - lr u,       u = m_hat / (sqrt(v_hat) + eps)

    so after one step from the same point they differ by exactly ``lr^2 alpha u``: not
    the same optimizer, the same up to a second-order term in ``lr``."""
    lr, alpha, eps = 0.05, 0.4, 1e-8
    gen = torch.Generator().manual_seed(3)
    w0 = torch.randn(4, 5, generator=gen, dtype=torch.float64)
    g = torch.randn(4, 5, generator=gen, dtype=torch.float64)

    ours = nn.Parameter(w0.clone())
    opt = ProxAdam([ours], lr=lr, eps=eps, penalty=L2(alpha=alpha), penalty_mode="shrink")
    ours.grad = g.clone()
    opt.step()
    theirs = nn.Parameter(w0.clone())
    adamw = torch.optim.AdamW([theirs], lr=lr, eps=eps, weight_decay=alpha, foreach=False)
    theirs.grad = g.clone()
    adamw.step()

    u = g / (g.abs() + eps)  # the first Adam direction: m_hat = g, v_hat = g^2
    torch.testing.assert_close(ours.detach(), (w0 - lr * u) * (1 - lr * alpha),
                               rtol=1e-13, atol=1e-15)
    torch.testing.assert_close(theirs.detach(), w0 * (1 - lr * alpha) - lr * u,
                               rtol=1e-13, atol=1e-15)
    torch.testing.assert_close(ours.detach() - theirs.detach(), lr**2 * alpha * u,
                               rtol=1e-9, atol=1e-15)
    assert not torch.allclose(ours.detach(), theirs.detach(), rtol=1e-6, atol=0)


# -- one step of every optimizer x mode x penalty against its documented formula ---------


def _first_smooth_step(optimizer_cls, settings, w, g):
    """The documented smooth update at t = 1 and the step it applies."""
    lr = settings["lr"]
    if optimizer_cls is ProxSGD:
        # At t = 1 the momentum buffer is g; Nesterov's direction is g + momentum * g.
        d = g * (1 + settings.get("momentum", 0.0)) if settings.get("nesterov") else g
        return w - lr * d, lr
    # ProxAdam at t = 1: m_hat = g and v_hat = g^2, so the step is lr / (|g| + eps).
    step = lr / (g.abs() + settings.get("eps", 1e-8))
    return w - step * g, step


FIRST_STEP_SETTINGS = {
    ProxSGD: {"lr": 0.1, "momentum": 0.9, "nesterov": True},
    ProxAdam: {"lr": 0.02, "eps": 1e-8},
}


def _penalty_gradient(penalty, w):
    leaf = w.detach().clone().requires_grad_(True)
    penalty.value(leaf).backward()
    return leaf.grad


@pytest.mark.parametrize("name", PENALTY_IDS)
@pytest.mark.parametrize("mode", [*PENALTY_MODES, "shrink-clip"])
@_optimizer_params()
def test_first_step_follows_the_documented_update(optimizer_cls, mode, name):
    """proximal: prox at the exact step the smooth update applied (scalar for SGD,
    per coordinate for Adam); autograd: the penalty's gradient is added before the
    update; shrink: a move of ``lr`` times the penalty's gradient after it."""
    assert set(FIRST_STEP_SETTINGS) == set(OPTIMIZERS)
    settings = FIRST_STEP_SETTINGS[optimizer_cls]
    gen = torch.Generator().manual_seed(4)
    w0 = 0.05 * torch.randn(3, 8, generator=gen, dtype=torch.float64)
    g = torch.randn(3, 8, generator=gen, dtype=torch.float64)
    # Columns 3.. are small with a small gradient: the prox must zero them (below).
    w0[:, 3:] *= 0.1
    g[:, 3:] *= 0.01
    penalty = PENALTY_CASES[name](8, 0.5)
    clip = mode == "shrink-clip"
    mode = "shrink" if clip else mode

    w = nn.Parameter(w0.clone())
    opt = optimizer_cls([w], penalty=penalty, penalty_mode=mode, shrink_clip=clip, **settings)
    w.grad = g.clone()
    opt.step()

    if mode == "autograd":
        expected, _ = _first_smooth_step(optimizer_cls, settings, w0,
                                         g + _penalty_gradient(penalty, w0))
    else:
        smooth, step = _first_smooth_step(optimizer_cls, settings, w0, g)
        if mode == "proximal":
            expected = penalty.prox(smooth, step)
        else:
            expected = smooth - settings["lr"] * _penalty_gradient(penalty, smooth)
            if clip:
                expected = torch.where(smooth * expected < 0, 0.0, expected)
    torch.testing.assert_close(w.detach(), expected, rtol=1e-10, atol=1e-14)
    if mode == "proximal" and name != "L2":
        # The threshold is large enough for this data: the prox makes exact zeros.
        assert torch.all(w.detach()[:, 3:] == 0)
        assert torch.equal(w.detach() == 0, expected == 0)


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
@_optimizer_params()
def test_objective_decreases_toward_the_optimum(problem, ista_runs, runs, optimizer_cls,
                                                mode, name):
    """Every optimizer, in every mode, with every penalty, closes most of the gap
    between a random start and the optimal objective (found by ISTA) in 300 full-batch
    steps."""
    penalty, *_, objectives = ista_runs[name]
    best = objectives[-1]
    start = problem.objective(*(t.detach() for t in _initial_weights(problem)), penalty)
    W, b = runs(optimizer_cls, mode, False, name)[-1]
    final = problem.objective(W, b, penalty)
    assert final >= best - 1e-9 * abs(best)  # ISTA's point is optimal: nothing is below
    assert final - best <= GAP_FRACTION[mode] * (start - best), (final, best, start)


# -- exact zeros --------------------------------------------------------------------------


def _assert_group_structure(W, name):
    """A group penalty zeroes groups as a whole: every row of every column."""
    if name not in GROUPED_PENALTY_IDS:
        return
    labels = torch.as_tensor(_groups(W.shape[1]))
    for g in labels.unique():
        block = W[:, labels == g]
        assert torch.all(block == 0) or torch.all(block != 0), f"group {int(g)}: {block}"


@pytest.mark.parametrize("name", SPARSE_PENALTY_IDS)
@_optimizer_params()
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


# -- state_dict -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", PENALTY_MODES)
@_optimizer_params()
def test_state_dict_round_trip(problem, optimizer_cls, mode):
    """Save after k steps (through torch.save), load into a fresh optimizer on a copy of
    the weights, continue: the same iterates as an uninterrupted run, bit for bit."""
    penalty = PENALTY_CASES["SparseGroupLasso"](problem.n_features, ALPHA)
    settings = {**LINEAR_SETTINGS[optimizer_cls](problem.lipschitz)}
    if optimizer_cls is ProxSGD:
        settings["momentum"] = 0.5  # a momentum buffer in the state
    k, rest = 7, 13

    W, b = _initial_weights(problem)
    opt = optimizer_cls(_weight_groups(W, b, penalty, mode), **settings)
    uninterrupted = list(_iterates(problem, opt, W, b, k + rest))

    W, b = _initial_weights(problem)
    opt = optimizer_cls(_weight_groups(W, b, penalty, mode), **settings)
    list(_iterates(problem, opt, W, b, k))
    buffer = io.BytesIO()
    torch.save({"W": W.detach(), "b": b.detach(), "optimizer": opt.state_dict()}, buffer)
    del opt
    buffer.seek(0)
    # The state dict describes penalties by their repr, so torch's default
    # weights-only unpickler accepts the checkpoint.
    checkpoint = torch.load(buffer, weights_only=True)
    W2 = nn.Parameter(checkpoint["W"].clone())
    b2 = nn.Parameter(checkpoint["b"].clone())
    mismatched = optimizer_cls(
        _weight_groups(W2, b2, PENALTY_CASES["L1"](20, 9.0), mode), **settings)
    with pytest.raises(ValueError, match="penalty"):
        mismatched.load_state_dict(checkpoint["optimizer"])
    same = PENALTY_CASES["SparseGroupLasso"](problem.n_features, ALPHA)
    fresh = optimizer_cls(_weight_groups(W2, b2, same, "autograd"), **settings)
    fresh.load_state_dict(checkpoint["optimizer"])
    # The loaded state restores the saved mode; the penalty object stays this one's.
    assert fresh.param_groups[0]["penalty_mode"] == mode
    assert fresh.param_groups[0]["penalty"] is same
    resumed = list(_iterates(problem, fresh, W2, b2, rest))
    for (Wa, ba), (Wb, bb) in zip(uninterrupted[k:], resumed):
        assert torch.equal(Wa, Wb)
        assert torch.equal(ba, bb)


# -- validation ---------------------------------------------------------------------------


@_optimizer_params()
def test_bad_penalty_mode_is_rejected(optimizer_cls):
    w = nn.Parameter(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="penalty_mode.*'prox'"):
        optimizer_cls([w], penalty=L1(), penalty_mode="prox")
    opt = optimizer_cls([w])
    with pytest.raises(ValueError, match="penalty_mode"):
        opt.add_param_group({"params": [nn.Parameter(torch.zeros(3))],
                             "penalty_mode": "l1"})


@_optimizer_params()
def test_penalty_that_is_not_a_penalty_is_rejected(optimizer_cls):
    w = nn.Parameter(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="penalty.*str"):
        optimizer_cls([w], penalty="l1")
    with pytest.raises(TypeError, match="penalty"):
        optimizer_cls([{"params": [w], "penalty": lambda v: v.abs().sum()}])


@_optimizer_params()
def test_negative_learning_rate_is_rejected(optimizer_cls):
    w = nn.Parameter(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="lr.*-0.1"):
        optimizer_cls([w], lr=-0.1)
    with pytest.raises(ValueError, match="lr"):
        optimizer_cls([{"params": [w], "lr": float("nan")}])


# -- penalized_param_groups ----------------------------------------------------------------


def test_penalized_param_groups_assigns_by_pattern():
    model = MLP(5, 1, hidden_layer_sizes=(4, 3))
    first, rest = GroupLasso(alpha=0.1), L2(alpha=0.01)
    groups = penalized_param_groups(
        model, {"input_layer.weight": first, "*.weight": rest}, penalty_mode="shrink"
    )
    named = dict(model.named_parameters())
    # The first matching pattern wins; biases are left in the unpenalized group.
    assert [len(g["params"]) for g in groups] == [1, 2, 3]
    assert groups[0]["params"][0] is named["input_layer.weight"]
    assert groups[0]["penalty"] is first
    assert {id(p) for p in groups[1]["params"]} == {
        id(named["body.1.weight"]), id(named["body.3.weight"])
    }
    assert groups[1]["penalty"] is rest
    assert groups[2]["penalty"] is None
    assert all(id(p) in {id(v) for k, v in named.items() if k.endswith("bias")}
               for p in groups[2]["params"])
    assert all(g["penalty_mode"] == "shrink" for g in groups)
    ProxAdam(groups)  # the groups are accepted as they are


def test_penalized_param_groups_rejects_a_bias():
    model = MLP(5, 1, hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match="input_layer.bias"):
        penalized_param_groups(model, {"input_layer.*": L1()})
    with pytest.raises(ValueError, match="bias"):
        penalized_param_groups(model, {"*": L1()})
    # An explicit None on a bias is allowed: it only groups parameters.
    groups = penalized_param_groups(model, {"*.bias": None})
    assert groups[0]["penalty"] is None and len(groups[0]["params"]) == 2


def test_penalized_param_groups_rejects_a_pattern_that_matches_nothing():
    model = MLP(5, 1, hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match="'first_layer.weight' matches no parameter"):
        penalized_param_groups(model, {"first_layer.weight": L1()})


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

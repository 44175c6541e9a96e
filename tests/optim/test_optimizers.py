"""Conformance suite for the proximal optimizers: the contract of one step.

Driven by the tables of :mod:`.registry`. Without a penalty every optimizer is
``torch.optim`` bit for bit; with one, a first step follows the documented update in
every penalty mode; ``state_dict`` round-trips; bad arguments are rejected;
``penalized_param_groups`` assigns penalties by name. Where the optimizers converge to
is checked in ``test_convergence.py``.
"""

from __future__ import annotations

import copy
import inspect
import io

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
from riata.penalties import L1, L2, PENALTIES, GroupLasso

from .registry import (
    ALPHA,
    LINEAR_SETTINGS,
    PENALTY_CASES,
    PENALTY_IDS,
    full_batch_steps,
    initial_weights,
    optimizer_params,
    weight_groups,
)

# -- the registries ----------------------------------------------------------------------


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
@optimizer_params()
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


# -- state_dict -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", PENALTY_MODES)
@optimizer_params()
def test_state_dict_round_trip(problem, optimizer_cls, mode):
    """Save after k steps (through torch.save), load into a fresh optimizer on a copy of
    the weights, continue: the same iterates as an uninterrupted run, bit for bit."""
    penalty = PENALTY_CASES["SparseGroupLasso"](problem.n_features, ALPHA)
    settings = {**LINEAR_SETTINGS[optimizer_cls](problem.lipschitz)}
    if optimizer_cls is ProxSGD:
        settings["momentum"] = 0.5  # a momentum buffer in the state
    k, rest = 7, 13

    W, b = initial_weights(problem)
    opt = optimizer_cls(weight_groups(W, b, penalty, mode), **settings)
    uninterrupted = list(full_batch_steps(problem, opt, W, b, k + rest))

    W, b = initial_weights(problem)
    opt = optimizer_cls(weight_groups(W, b, penalty, mode), **settings)
    list(full_batch_steps(problem, opt, W, b, k))
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
        weight_groups(W2, b2, PENALTY_CASES["L1"](20, 9.0), mode), **settings)
    with pytest.raises(ValueError, match="penalty"):
        mismatched.load_state_dict(checkpoint["optimizer"])
    same = PENALTY_CASES["SparseGroupLasso"](problem.n_features, ALPHA)
    fresh = optimizer_cls(weight_groups(W2, b2, same, "autograd"), **settings)
    fresh.load_state_dict(checkpoint["optimizer"])
    # The loaded state restores the saved mode; the penalty object stays this one's.
    assert fresh.param_groups[0]["penalty_mode"] == mode
    assert fresh.param_groups[0]["penalty"] is same
    resumed = list(full_batch_steps(problem, fresh, W2, b2, rest))
    for (Wa, ba), (Wb, bb) in zip(uninterrupted[k:], resumed):
        assert torch.equal(Wa, Wb)
        assert torch.equal(ba, bb)


# -- validation ---------------------------------------------------------------------------


@optimizer_params()
def test_bad_penalty_mode_is_rejected(optimizer_cls):
    w = nn.Parameter(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="penalty_mode.*'prox'"):
        optimizer_cls([w], penalty=L1(), penalty_mode="prox")
    opt = optimizer_cls([w])
    with pytest.raises(ValueError, match="penalty_mode"):
        opt.add_param_group({"params": [nn.Parameter(torch.zeros(3))],
                             "penalty_mode": "l1"})


@optimizer_params()
def test_penalty_that_is_not_a_penalty_is_rejected(optimizer_cls):
    w = nn.Parameter(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="penalty.*str"):
        optimizer_cls([w], penalty="l1")
    with pytest.raises(TypeError, match="penalty"):
        optimizer_cls([{"params": [w], "penalty": lambda v: v.abs().sum()}])


@optimizer_params()
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


@pytest.mark.parametrize("penalty", [L1(alpha=0.5), GroupLasso(alpha=0.5)],
                         ids=["L1", "GroupLasso"])
def test_proxadam_prox_leaves_coordinates_without_gradient_history(penalty):
    """Adam's step is lr / eps where v = 0: the prox must not wipe such coordinates.

    Issue 9: a weight behind a zero layer gets no gradient; with the step lr / eps the
    prox divided it by ~5,000 per step (a norm of 110 became 0.022, then 0). Here
    column 0 gets a gradient, column 1 never does: column 1 keeps its value exactly,
    column 0 is soft-thresholded with Adam's own step D = lr / (|g| + eps) at t = 1.
    """
    w = torch.nn.Parameter(torch.tensor([[3.0, 2.0], [-1.0, 4.0]]))
    opt = ProxAdam([{"params": [w], "penalty": penalty}], lr=0.1)
    w.grad = torch.tensor([[0.5, 0.0], [-0.25, 0.0]])
    opt.step()
    assert torch.equal(w.detach()[:, 1], torch.tensor([2.0, 4.0]))
    step = 0.1 / (torch.tensor([0.5, 0.25]) + 1e-8)
    smooth = torch.tensor([3.0, -1.0]) - 0.1 * torch.sign(torch.tensor([0.5, -0.25]))
    if isinstance(penalty, L1):
        expected = torch.sign(smooth) * torch.clamp(smooth.abs() - 0.5 * step, min=0)
    else:  # one group (column 0) in the metric diag(step): closed form of the metric prox
        expected = penalty.prox(smooth[:, None], step[:, None])[:, 0]
    assert torch.allclose(w.detach()[:, 0], expected, atol=1e-6)
    # Once column 1 has a gradient, the prox acts on it with its own Adam step.
    w.grad = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    before = w.detach()[:, 1].clone()
    opt.step()
    assert (w.detach()[:, 1].abs() < before.abs()).all()

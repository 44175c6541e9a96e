"""Conformance suite: every generic penalty check but those of the prox, run on every
entry of the registry.

The registries themselves; ``optimality_violation``; dtypes; ``value``; ``support``;
``alpha_max``, ``critical_alpha`` and ``kkt_ratio``; ``penalty_factor``; the limits of
``l1_ratio``. The prox has its own suite, ``test_prox.py``.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
from sklearn.base import clone

import riata.penalties as penalties_module
from riata.penalties import (
    CONSTRAINED_PENALTIES,
    L1,
    L2,
    PENALTIES,
    ElasticNet,
    GroupLasso,
    Penalty,
    SparseGroupLasso,
)

from ._helpers import DTYPES, has_zeros
from .registry import (
    CASE_IDS,
    CASES,
    N_COLUMNS,
    N_ROWS,
    Reference,
    make_steps,
    make_weight,
)

PF_ZERO_CASES = [c for c in CASE_IDS if c.endswith("penalty_factor")]


def penalized(ref: Reference) -> np.ndarray:
    """Columns the penalty acts on (a nonzero coefficient), from the reference alone."""
    mask = (ref.l1 > 0) | (ref.ridge > 0)
    if ref.grouped:
        mask = mask | (ref.group_coef[ref.group_index] > 0)
    return mask


# -- the registries ---------------------------------------------------------------------
def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def test_registry_lists_every_public_penalty():
    exported = {
        obj
        for name in dir(penalties_module)
        if not name.startswith("_")
        and inspect.isclass(obj := getattr(penalties_module, name))
        and issubclass(obj, Penalty)
        and obj is not Penalty
    }
    # public classes defined in riata but not exported are missing too
    defined = {
        cls
        for cls in all_subclasses(Penalty)
        if cls.__module__.startswith("riata.") and not cls.__name__.startswith("_")
    }
    assert exported, "riata.penalties exports no Penalty subclass"
    missing = (exported | defined) - set(PENALTIES) - set(CONSTRAINED_PENALTIES)
    assert not missing, f"missing from riata.penalties.PENALTIES: {missing}"
    assert {cls.__name__ for cls in PENALTIES} <= set(penalties_module.__all__)
    assert all(getattr(penalties_module, cls.__name__) is cls for cls in PENALTIES)
    tested = {type(factory()) for factory in CASES.values()}
    assert set(PENALTIES) <= tested, f"no test case for {set(PENALTIES) - tested}"


@pytest.mark.parametrize("cls", PENALTIES, ids=lambda c: c.__name__)
def test_registry_has_a_default_case_per_class(cls):
    default = CASES[f"{cls.__name__}-default"]()
    assert type(default) is cls
    assert default.get_params() == cls().get_params()


# -- optimality_violation -------------------------------------------------------------
def test_optimality_violation_matches_reference(penalty, ref):
    w, grad = make_weight(11), make_weight(12)
    w[:, 1] = 0.0  # a zero column (a zero group when groups are singletons)
    w[2, 4] = 0.0  # a zero inside a nonzero column
    if ref.grouped:
        w[:, ref.group_index == ref.group_index[5]] = 0.0  # a whole zero group
    violation = penalty.optimality_violation(w, grad)
    assert violation.shape == ((ref.group_coef.size,) if ref.grouped else w.shape)
    expected = ref.violation(w.numpy(), grad.numpy())
    np.testing.assert_allclose(violation.numpy(), expected, rtol=1e-12, atol=1e-14)
    assert bool((violation > 0).any())


# -- dtype --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_dtype_is_preserved(penalty, dtype):
    w = make_weight(12, dtype=dtype)
    other = torch.float64 if dtype == torch.float32 else torch.float32
    for step in (0.5, make_steps(12, dtype=dtype), make_steps(12, dtype=other)):
        out = penalty.prox(w, step)
        assert out.dtype == dtype
        assert out.shape == w.shape
    assert penalty.value(w).dtype == dtype
    assert penalty.value(w).shape == ()
    assert penalty.critical_alpha(w).dtype == dtype
    assert penalty.optimality_violation(w, w).dtype == dtype


# -- value ------------------------------------------------------------------------------
def test_value_matches_formula(penalty, ref):
    for seed in (0, 1, 2):
        w = make_weight(seed)
        value = penalty.value(w)
        assert float(value) == pytest.approx(ref.value(w.numpy()), rel=1e-12)
        assert float(value) > 0.0
        assert float(penalty.value(-w)) == pytest.approx(float(value), rel=1e-12)


def test_value_at_zero_is_zero(penalty):
    for dtype in DTYPES:
        assert float(penalty.value(torch.zeros(N_ROWS, N_COLUMNS, dtype=dtype))) == 0.0


def test_value_scales_linearly_with_alpha(penalty):
    w = make_weight(13)
    doubled = clone(penalty).set_params(alpha=2 * penalty.alpha)
    assert float(doubled.value(w)) == pytest.approx(2 * float(penalty.value(w)), rel=1e-12)


def test_value_gradient_is_finite_and_zero_at_zeros(penalty, ref):
    w = make_weight(14)
    w[:, 1] = 0.0  # a zero column (a zero group for singleton groups)
    w[0, 3] = 0.0  # a zero inside a nonzero column
    if ref.grouped:
        w[:, ref.group_index == ref.group_index[5]] = 0.0  # a whole zero group
    w.requires_grad_(True)
    penalty.value(w).backward()
    grad = w.grad
    assert bool(torch.isfinite(grad).all())
    zero = w.detach() == 0
    # 0 is the minimum-norm subgradient of |.| and of ||.|| at 0; the ridge gradient
    # and the group gradient of a zero coordinate in a nonzero group are 0 too.
    assert bool((grad[zero] == 0).all())
    v = w.detach().numpy()
    expected = ref.l1 * np.sign(v) + ref.ridge * v
    if ref.grouped:
        norms = ref.group_norms(v)[ref.group_index]
        expected = expected + ref.group_coef[ref.group_index] * np.where(
            norms > 0, v / np.where(norms > 0, norms, 1.0), 0.0
        )
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-12, atol=1e-14)


def test_l1_value_gradient_at_zero_is_the_zero_subgradient():
    w = torch.tensor([[0.0, 2.0, -3.0, 0.0]], requires_grad=True)
    L1(alpha=0.7).value(w).backward()
    torch.testing.assert_close(w.grad, torch.tensor([[0.0, 0.7, -0.7, 0.0]]))


# -- support ----------------------------------------------------------------------------
def test_support_marks_columns_with_any_nonzero(penalty):
    w = torch.zeros(N_ROWS, N_COLUMNS, dtype=torch.float64)
    w[2, 1] = -1e-30
    w[:, 4] = 3.0
    expected = torch.tensor([False, True, False, False, True, False])
    assert torch.equal(penalty.support(w), expected)
    assert torch.equal(penalty.support(w[2]), expected)
    assert not bool(penalty.support(torch.zeros(N_COLUMNS)).any())


# -- alpha_max, critical_alpha, kkt_ratio -----------------------------------------------
def test_penalized_columns(penalty, ref):
    assert penalty.penalized_columns(make_weight(15)).tolist() == penalized(ref).tolist()


@pytest.mark.parametrize("seed", [0, 1])
def test_alpha_max_zeroes_every_penalized_column(penalty, ref, seed):
    grad, step = make_weight(20 + seed), 0.5
    alpha_max = penalty.alpha_max(grad)
    if not has_zeros(ref):
        assert alpha_max == math.inf
        return
    mask = torch.as_tensor(penalized(ref))
    assert math.isfinite(alpha_max)
    assert alpha_max == pytest.approx(ref.critical_alpha(grad.numpy())[mask.numpy()].max(),
                                      rel=1e-9)
    above = clone(penalty).set_params(alpha=alpha_max * (1 + 1e-6))
    assert bool((above.prox(-step * grad, step)[:, mask] == 0).all())
    below = clone(penalty).set_params(alpha=alpha_max * (1 - 1e-3))
    assert bool((below.prox(-step * grad, step)[:, mask] != 0).any())


def test_alpha_max_of_a_zero_gradient_is_zero(penalty):
    assert penalty.alpha_max(torch.zeros(N_ROWS, N_COLUMNS)) == 0.0


def test_critical_alpha_matches_bisection(penalty, ref):
    for seed in (30, 31):
        grad = make_weight(seed)
        grad[:, 2] = 0.0
        crit = penalty.critical_alpha(grad)
        assert crit.shape == (N_COLUMNS,)
        np.testing.assert_allclose(crit.numpy(), ref.critical_alpha(grad.numpy()),
                                   rtol=1e-9, err_msg=f"seed={seed}")


def test_critical_alpha_is_where_zero_becomes_optimal(penalty, ref):
    """At ``critical_alpha * (1 + eps)`` the zero block passes the KKT test of
    ``optimality_violation``, at ``critical_alpha * (1 - eps)`` it fails."""
    grad = make_weight(40)
    zeros = torch.zeros_like(grad)
    crit = penalty.critical_alpha(grad)
    blocks = ref.group_index if ref.grouped else np.arange(N_COLUMNS)
    checked = 0
    for j in range(N_COLUMNS):
        if not math.isfinite(float(crit[j])):
            continue

        def violation(alpha, j=j):
            out = clone(penalty).set_params(alpha=alpha).optimality_violation(zeros, grad)
            return float(out[blocks[j]] if ref.grouped else out[:, j].max())

        assert violation(float(crit[j]) * (1 + 1e-9)) <= 1e-12
        assert violation(float(crit[j]) * (1 - 1e-6)) > 0
        checked += 1
    assert checked > 0 or not has_zeros(ref)


def test_kkt_ratio_at_zero_columns_produced_by_prox(penalty, ref):
    grad, step = make_weight(50), 0.5
    if not has_zeros(ref):
        # A ridge never zeroes a column with a nonzero gradient: nothing to certify.
        out = penalty.prox(-step * grad, step)
        assert bool(penalty.support(out).all())
        assert bool(torch.isnan(penalty.kkt_ratio(out, grad)).all())
        return
    fitted = clone(penalty).set_params(alpha=0.4 * penalty.alpha_max(grad))
    out = fitted.prox(-step * grad, step)  # one prox-gradient step from zero
    ratio = fitted.kkt_ratio(out, grad)
    support = fitted.support(out)
    assert bool((~support).any()) and bool(support.any()), "guard: need both kinds"
    assert bool(torch.isnan(ratio[support]).all())
    assert bool((ratio[~support] <= 1 + 1e-10).all())


def test_kkt_ratio_at_zero_is_critical_alpha_over_alpha(penalty, ref):
    grad = make_weight(51)
    block = (ref.group_index == ref.group_index[0]) if ref.grouped else [0]
    grad[:, block] = 0.0  # a block with zero gradient is optimal at zero for any alpha
    ratio = penalty.kkt_ratio(torch.zeros_like(grad), grad)
    crit = penalty.critical_alpha(grad)
    torch.testing.assert_close(ratio, crit / penalty.alpha, rtol=1e-12, atol=0.0)
    assert float(ratio[0]) == 0.0
    alpha_max = penalty.alpha_max(grad)
    if math.isfinite(alpha_max):
        below = clone(penalty).set_params(alpha=0.5 * alpha_max)
        assert float(below.kkt_ratio(torch.zeros_like(grad), grad).max()) > 1
    else:
        assert not has_zeros(ref)
        assert float(ratio[1:].min()) == math.inf


@pytest.mark.parametrize("cls, expected", [(SparseGroupLasso, 0.3 / 0.5),
                                           (GroupLasso, math.inf)])
def test_kkt_ratio_of_a_zero_column_inside_a_nonzero_group(cls, expected):
    # Column 1 is zero, its group {0, 1} is not: the group norm is differentiable
    # there with zero gradient, so only the L1 interval [-alpha rho, alpha rho]
    # certifies the zero (|0.3| <= 0.5 for the sparse group lasso; nothing for the
    # group lasso).
    kwargs = {"l1_ratio": 0.5} if cls is SparseGroupLasso else {}
    penalty = cls(alpha=1.0, groups=[0, 0, 1], weights=[1.0, 1.0], **kwargs)
    w = torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)
    grad = torch.tensor([[-2.0, 0.3, 0.1]], dtype=torch.float64)
    ratio = penalty.kkt_ratio(w, grad)
    assert math.isnan(ratio[0])
    assert float(ratio[1]) == pytest.approx(expected)
    assert float(ratio[2]) == pytest.approx(float(penalty.critical_alpha(grad)[2]))


# -- penalty_factor -----------------------------------------------------------------------
@pytest.mark.parametrize("case", PF_ZERO_CASES)
def test_penalty_factor_zero_columns_are_never_changed(case):
    penalty = CASES[case]().set_params(alpha=1e6)
    unpenalized = torch.as_tensor(np.asarray(penalty.penalty_factor) == 0)
    assert bool(unpenalized.any())
    w = make_weight(60)
    for step in (0.5, make_steps(60)):
        out = penalty.prox(w, step)
        assert torch.equal(out[:, unpenalized], w[:, unpenalized])
        assert bool((out[:, unpenalized] != 0).all())
    assert not bool(penalty.penalized_columns(w)[unpenalized].any())
    assert float(penalty.kkt_ratio(torch.zeros_like(w), w)[unpenalized].min()) == math.inf


# -- special cases equal other classes --------------------------------------------------
@pytest.mark.parametrize(
    "special, general",
    [
        (lambda: ElasticNet(alpha=0.7, l1_ratio=0.0), lambda: L2(alpha=0.7)),
        (lambda: ElasticNet(alpha=0.7, l1_ratio=1.0), lambda: L1(alpha=0.7)),
        (lambda: SparseGroupLasso(alpha=0.7, l1_ratio=1.0, groups=[0, 0, 1, 1, 2, 2]),
         lambda: L1(alpha=0.7)),
        (lambda: SparseGroupLasso(alpha=0.7, l1_ratio=0.0, groups=[0, 0, 1, 1, 2, 2]),
         lambda: GroupLasso(alpha=0.7, groups=[0, 0, 1, 1, 2, 2])),
    ],
    ids=["EN0=L2", "EN1=L1", "SGL1=L1", "SGL0=GL"],
)
def test_limit_l1_ratio_equals_the_simpler_penalty(special, general):
    special, general = special(), general()
    w, grad, steps = make_weight(70), make_weight(71), make_steps(70)
    assert float(special.value(w)) == pytest.approx(float(general.value(w)), rel=1e-14)
    for step in (0.4, steps):
        torch.testing.assert_close(special.prox(w, step), general.prox(w, step),
                                   rtol=1e-12, atol=0.0)
    general_crit = general.critical_alpha(grad)
    if isinstance(special, SparseGroupLasso) and isinstance(general, L1):
        # a group is zero once its last column is: the largest alpha of its columns
        general_crit = general_crit.reshape(3, 2).amax(dim=1).repeat_interleave(2)
    torch.testing.assert_close(special.critical_alpha(grad), general_crit,
                               rtol=1e-12, atol=0.0)
    assert special.alpha_max(grad) == pytest.approx(general.alpha_max(grad), rel=1e-12)
    special_violation = special.optimality_violation(w, grad)
    general_violation = general.optimality_violation(w, grad)
    if isinstance(special, SparseGroupLasso) and isinstance(general, L1):
        # one value per group: the norm of the per-coordinate violations of its columns
        index = torch.tensor([0, 0, 1, 1, 2, 2])
        general_violation = torch.zeros(3, dtype=w.dtype).index_add_(
            0, index, (general_violation**2).sum(dim=0)).sqrt()
    torch.testing.assert_close(special_violation, general_violation, rtol=1e-12, atol=1e-14)

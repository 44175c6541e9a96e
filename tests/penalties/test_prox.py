"""Conformance suite of the prox: every generic check of ``Penalty.prox``, run on every
entry of the registry.

The prox is checked against hand-computed values, the closed form of the independent
reference and a numerical minimizer of its objective; its exact zeros, the identity at
step 0, its purity, the KKT conditions of its output, and (with hypothesis) its
nonexpansiveness and sign preservation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from riata.penalties import L1, L2, ElasticNet, GroupLasso, SparseGroupLasso

from ._helpers import DTYPES, has_zeros
from .registry import (
    CASE_IDS,
    CASES,
    N_COLUMNS,
    Reference,
    make_steps,
    make_weight,
    numerical_prox,
)

#: Tolerance of the KKT check on the prox output, per dtype.
KKT_TOL = {torch.float32: 1e-5, torch.float64: 1e-10}


def objective(penalty, w, v, step) -> float:
    """``sum (v - w)^2 / (2 step) + value(v)``, the function the prox minimizes."""
    v = torch.as_tensor(v, dtype=torch.float64)
    step = torch.as_tensor(step, dtype=torch.float64)
    return float(((v - w) ** 2 / (2 * step)).sum() + penalty.value(v))


# -- prox against closed forms ----------------------------------------------------------
@pytest.mark.parametrize(
    "make_penalty, w, step, expected",
    [
        # soft-threshold: sign(w) max(|w| - step alpha, 0)
        pytest.param(lambda: L1(alpha=0.5), [[-1.0, 0.2, 3.0, 0.5, -0.5]], 1.0,
                     [[-0.5, 0.0, 2.5, 0.0, 0.0]], id="L1"),
        pytest.param(lambda: L1(alpha=0.25, penalty_factor=[1.0, 0.0, 2.0]), [[1.0, 0.1, -1.0]],
                     2.0, [[0.5, 0.1, 0.0]], id="L1-penalty_factor"),
        # ridge: w / (1 + step alpha)
        pytest.param(lambda: L2(alpha=1.0), [2.0, -4.0], 1.0, [1.0, -2.0], id="L2"),
        pytest.param(lambda: L2(alpha=2.0, penalty_factor=[1.0, 0.0]), [[3.0, 3.0]], 0.25,
                     [[2.0, 3.0]], id="L2-penalty_factor"),
        # elastic net: soft(w, s a rho) / (1 + s a (1 - rho))
        pytest.param(lambda: ElasticNet(alpha=1.0, l1_ratio=0.5), [3.0, 0.4, -1.0], 1.0,
                     [2.5 / 1.5, 0.0, -0.5 / 1.5], id="ElasticNet"),
        pytest.param(lambda: ElasticNet(alpha=2.0, l1_ratio=0.25), [[-2.0, 1.0]], 1.0,
                     [[-0.6, 0.2]], id="ElasticNet-l1_ratio=0.25"),
        # group soft-threshold: norm 5 -> scale 1 - 1/5; norm sqrt(0.05) < 1 -> 0
        pytest.param(lambda: GroupLasso(alpha=1.0, groups=[0, 0, 1], weights=[1.0, 1.0]),
                     [[3.0, 0.0, 0.2], [0.0, 4.0, 0.1]], 1.0,
                     [[2.4, 0.0, 0.0], [0.0, 3.2, 0.0]], id="GroupLasso"),
        # default weight sqrt(2) for one column of 2 rows, threshold 0.5 sqrt(2):
        # column 0 has norm 5, column 1 norm sqrt(2) -> scale 1/2
        pytest.param(lambda: GroupLasso(alpha=0.5), [[3.0, 1.0], [4.0, -1.0]], 1.0,
                     [[3.0 * (1 - math.sqrt(2) / 10), 0.5],
                      [4.0 * (1 - math.sqrt(2) / 10), -0.5]], id="GroupLasso-default-weights"),
        # groups by labels, columns of a group not adjacent
        pytest.param(lambda: GroupLasso(alpha=1.0, groups=["b", "a", "b"], weights=[1.0, 1.0]),
                     [[3.0, 0.2, 0.0], [0.0, 0.1, 4.0]], 1.0,
                     [[2.4, 0.0, 0.0], [0.0, 0.0, 3.2]], id="GroupLasso-labels"),
        # sparse group lasso: soft at 0.5 -> (2.5, 0), then group scale 1 - 0.5 / 2.5
        pytest.param(lambda: SparseGroupLasso(alpha=1.0, l1_ratio=0.5, weights=[1.0]),
                     [[3.0], [0.2]], 1.0, [[2.0], [0.0]], id="SparseGroupLasso"),
        # group {0, 2}: soft at 0.5 -> (0.5, 0; -3, 0), norm sqrt(9.25), threshold 3;
        # group {1}: soft at 0.5 -> 5.5, threshold 1.5 -> 4
        pytest.param(lambda: SparseGroupLasso(alpha=2.0, l1_ratio=0.25, groups=[[1], [0, 2]],
                                      weights=[1.0, 2.0]),
                     [[1.0, 6.0, 0.4], [-3.5, 0.0, 0.0]], 1.0,
                     [[0.5 * (1 - 3 / math.sqrt(9.25)), 4.0, 0.0],
                      [-3.0 * (1 - 3 / math.sqrt(9.25)), 0.0, 0.0]],
                     id="SparseGroupLasso-index-lists"),
    ],
)
def test_prox_matches_hand_computed_values(make_penalty, w, step, expected):
    w = torch.tensor(w, dtype=torch.float64)
    out = make_penalty().prox(w, step)
    torch.testing.assert_close(out, torch.tensor(expected, dtype=torch.float64),
                               rtol=1e-12, atol=1e-12)
    assert torch.equal(out == 0, torch.tensor(expected) == 0)


@pytest.mark.parametrize(
    "alpha, w, step, expected",
    [
        # v_i = w_i r / (r + t s_i) with r = ||v|| = 2, t = 1: built backwards from v.
        pytest.param(1.0, [[1.8], [3.2]], [[1.0], [2.0]], [[1.2], [1.6]], id="interior"),
        # ||w / s|| = ||(1.5, 2)|| = 2.5 = t: zero on the boundary, nonzero inside it
        pytest.param(2.5, [[3.0], [4.0]], [[2.0], [2.0]], [[0.0], [0.0]], id="boundary"),
        pytest.param(2.5 * (1 - 1e-9), [[3.0], [4.0]], [[2.0], [2.0]],
                     [[3.0 * 1e-9], [4.0 * 1e-9]], id="inside"),
        # steps (1, 4): ||w / s|| = ||(1.2, 0.2)|| < 1.25 = t -> zero
        pytest.param(1.25, [[1.2], [0.8]], [[1.0], [4.0]], [[0.0], [0.0]], id="zero"),
    ],
)
def test_group_prox_in_the_metric_of_per_coordinate_steps(alpha, w, step, expected):
    out = GroupLasso(alpha=alpha, weights=[1.0]).prox(
        torch.tensor(w, dtype=torch.float64), torch.tensor(step, dtype=torch.float64)
    )
    torch.testing.assert_close(out, torch.tensor(expected, dtype=torch.float64),
                               rtol=1e-6, atol=1e-15)
    assert torch.equal(out == 0, torch.tensor(expected) == 0)


def test_prox_matches_reference_closed_form(penalty, ref):
    for seed in (0, 1):
        w = make_weight(seed)
        for step in (0.05, 0.5, 5.0):
            out = penalty.prox(w, step)
            expected = torch.as_tensor(ref.prox(w.numpy(), step))
            torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-14,
                                       msg=lambda m, seed=seed, step=step:
                                       f"seed={seed}, step={step}: {m}")
            assert torch.equal(out == 0, expected == 0)


def test_prox_with_threshold_exactly_on_the_boundary_is_zero():
    # |w| == step * alpha and ||w_g|| == step * alpha * v_g are zeroed, not kept.
    assert torch.equal(L1(alpha=0.5).prox(torch.tensor([0.5, -0.5, 0.75]), 1.0),
                       torch.tensor([0.0, 0.0, 0.25]))
    w = torch.tensor([[3.0], [4.0]], dtype=torch.float64)
    assert torch.equal(GroupLasso(alpha=1.0, weights=[1.0]).prox(w, 5.0),
                       torch.zeros_like(w))
    assert bool((GroupLasso(alpha=1.0, weights=[1.0]).prox(w, 5.0 * (1 - 1e-12)) != 0)
                .all())


# -- prox against a numerical minimizer -------------------------------------------------
def test_prox_minimizes_its_objective_scalar_step(penalty, ref):
    w, step = make_weight(3), 0.4
    out = penalty.prox(w, step)
    numeric = numerical_prox(ref, w.numpy(), step)
    f_prox, f_num = objective(penalty, w, out, step), objective(penalty, w, numeric, step)
    assert f_prox <= f_num + 1e-8
    assert f_num - f_prox <= 1e-9 * (1 + abs(f_num)), "the minimizer did not converge"
    np.testing.assert_allclose(out.numpy(), numeric, atol=1e-6)


def test_prox_minimizes_its_objective_per_coordinate_steps(penalty, ref):
    w, steps = make_weight(4), make_steps(4)
    out = penalty.prox(w, steps)
    numeric = numerical_prox(ref, w.numpy(), steps.numpy())
    f_prox = objective(penalty, w, out, steps)
    f_num = objective(penalty, w, numeric, steps)
    assert f_prox <= f_num + 1e-8
    assert f_num - f_prox <= 1e-9 * (1 + abs(f_num)), "the minimizer did not converge"
    np.testing.assert_allclose(out.numpy(), numeric, atol=1e-6)


@pytest.mark.parametrize("step", [0.3, 2.0])
def test_constant_step_tensor_equals_scalar_step(penalty, step):
    w = make_weight(5)
    scalar = penalty.prox(w, step)
    for steps in (torch.full_like(w, step), torch.full((N_COLUMNS,), step,
                                                       dtype=torch.float64)):
        torch.testing.assert_close(penalty.prox(w, steps), scalar, rtol=1e-12, atol=1e-14)
        assert torch.equal(penalty.prox(w, steps) == 0, scalar == 0)


# -- exact zeros, identity, purity ------------------------------------------------------
def test_exact_zeros_below_threshold_and_nonzeros_above(penalty, ref):
    seen_zero = seen_nonzero = False
    for seed, step in ((s, t) for s in (0, 1, 2) for t in (0.1, 0.5, 2.0)):
        w = make_weight(seed)
        out = penalty.prox(w, step)
        must_be_zero = torch.as_tensor(ref.zero_mask(w.numpy(), step))
        assert bool((out[must_be_zero] == 0.0).all()), f"seed={seed}, step={step}"
        assert bool((out[~must_be_zero] != 0.0).all()), f"seed={seed}, step={step}"
        seen_zero |= bool(must_be_zero.any())
        seen_nonzero |= bool((~must_be_zero).any())
    # Guard: the data must exercise both sides of the threshold.
    assert seen_nonzero
    assert seen_zero == has_zeros(ref)


@pytest.mark.parametrize("make_step", [
    lambda w: 0.0,
    lambda w: torch.zeros((), dtype=w.dtype),
    lambda w: torch.zeros_like(w),
], ids=["float", "0-d tensor", "per-coordinate"])
def test_step_zero_is_the_identity(penalty, make_step):
    w = make_weight(6)
    w[0, 1] = 0.0  # an exact zero inside a nonzero column (and group)
    assert torch.equal(penalty.prox(w, make_step(w)), w)


def test_coordinates_with_step_zero_are_kept(penalty):
    w, steps = make_weight(7), make_steps(7)
    w[1, 3] = 0.0  # a zero weight with a zero step: 0 / 0 must not poison its group
    steps[:, 0] = 0.0
    steps[:, 3] = 0.0
    out = penalty.prox(w, steps)
    assert torch.equal(out[steps == 0], w[steps == 0])
    assert bool(torch.isfinite(out).all())


def test_prox_is_pure(penalty):
    w = make_weight(8)
    before = w.clone()
    penalty.prox(w, 0.5)
    penalty.prox(w, make_steps(8))
    assert torch.equal(w, before)


def test_prox_of_1d_tensor_is_that_of_one_row(penalty):
    w = make_weight(9, shape=(N_COLUMNS,))
    torch.testing.assert_close(penalty.prox(w, 0.5), penalty.prox(w[None], 0.5)[0])
    assert penalty.prox(w, 0.5).shape == w.shape
    expected = Reference.of(penalty, n_rows=1).prox(w.numpy()[None], 0.5)[0]
    torch.testing.assert_close(penalty.prox(w, 0.5), torch.as_tensor(expected))


# -- KKT of the prox output -------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("per_coordinate", [False, True], ids=["scalar", "per-coordinate"])
def test_prox_output_satisfies_kkt(penalty, dtype, per_coordinate):
    w = make_weight(10, dtype=dtype)
    step = make_steps(10, dtype=dtype) if per_coordinate else 0.5
    out = penalty.prox(w, step)
    grad = (out - w) / step  # -grad must lie in alpha * dP(out)
    violation = penalty.optimality_violation(out, grad)
    assert violation.dtype == dtype
    assert float(violation.max()) <= KKT_TOL[dtype]
    # The measure is not trivially zero: a shifted gradient violates it.
    assert float(penalty.optimality_violation(out, grad + 0.1).max()) > 0.05


# -- properties (hypothesis) --------------------------------------------------------------
finite = st.floats(-10.0, 10.0, allow_nan=False, allow_subnormal=False)
weights = arrays(np.float64, (2, N_COLUMNS), elements=finite)
step_values = st.floats(1e-3, 10.0)
cases = st.sampled_from(CASE_IDS)
PROPERTY_SETTINGS = settings(max_examples=80, deadline=None, derandomize=True)


@PROPERTY_SETTINGS
@given(case=cases, a=weights, b=weights, step=step_values)
def test_prox_is_nonexpansive(case, a, b, step):
    penalty = CASES[case]()
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    distance = float(torch.linalg.norm(penalty.prox(a, step) - penalty.prox(b, step)))
    assert distance <= float(torch.linalg.norm(a - b)) * (1 + 1e-12) + 1e-12


@PROPERTY_SETTINGS
@given(case=cases, a=weights, b=weights,
       steps=arrays(np.float64, (2, N_COLUMNS), elements=st.floats(1e-2, 10.0)))
def test_prox_with_per_coordinate_steps_is_nonexpansive_in_its_metric(case, a, b, steps):
    # A prox in the metric diag(step)^-1 is nonexpansive in the norm of that metric.
    penalty = CASES[case]()
    a, b, steps = torch.as_tensor(a), torch.as_tensor(b), torch.as_tensor(steps)

    def norm(x):
        return float(torch.sqrt((x * x / steps).sum()))

    distance = norm(penalty.prox(a, steps) - penalty.prox(b, steps))
    assert distance <= norm(a - b) * (1 + 1e-9) + 1e-9


@PROPERTY_SETTINGS
@given(case=cases, w=weights, step=step_values)
def test_prox_keeps_signs_and_creates_no_nonzeros(case, w, step):
    penalty = CASES[case]()
    w = torch.as_tensor(w)
    varied = step * torch.linspace(0.1, 1.0, w.numel(), dtype=w.dtype).reshape(w.shape)
    for s in (step, varied):
        out = penalty.prox(w, s)
        assert bool(((out == 0) | (torch.sign(out) == torch.sign(w))).all())
        assert bool((out[w == 0] == 0).all())
        assert bool((torch.abs(out) <= torch.abs(w)).all())
        # Hence the support of the output is a subset of that of the input.
        assert bool((penalty.support(out) <= penalty.support(w)).all())


@PROPERTY_SETTINGS
@given(w=weights, step=step_values, alpha=st.floats(0.0, 5.0))
def test_l1_support_shrinks_with_step(w, step, alpha):
    penalty = L1(alpha=alpha)
    w = torch.as_tensor(w)
    small, large = penalty.prox(w, step), penalty.prox(w, 2 * step)
    assert bool(((large != 0) <= (small != 0)).all())
    assert torch.equal(small != 0, torch.abs(w) > step * alpha)

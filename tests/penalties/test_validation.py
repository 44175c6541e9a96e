"""Parameter validation and the scikit-learn parameter protocol of every penalty.

Scalar parameters are checked when a penalty is built (and on ``set_params``); those
that depend on the weight's shape (``groups``, ``penalty_factor``, ``weights``) on
first use. Each error is a ``ValueError`` that names the parameter.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
from sklearn.base import clone

from riata.penalties import (
    L1,
    L2,
    PENALTIES,
    ElasticNet,
    GroupLasso,
    SparseGroupLasso,
)

from .registry import CASE_IDS, CASES, make_steps, make_weight

GROUPED = [GroupLasso, SparseGroupLasso]
WITH_L1_RATIO = [ElasticNet, SparseGroupLasso]
WITH_PENALTY_FACTOR = [L1, L2, ElasticNet, GroupLasso, SparseGroupLasso]


def uses(penalty, w):
    """Every method that resolves the shape-dependent parameters against ``w``."""
    return [
        lambda: penalty.value(w),
        lambda: penalty.prox(w, 0.5),
        lambda: penalty.prox(w, torch.full_like(w, 0.5)),
        lambda: penalty.optimality_violation(w, w),
        lambda: penalty.critical_alpha(w),
        lambda: penalty.alpha_max(w),
        lambda: penalty.kkt_ratio(w, w),
    ]


def assert_every_use_raises(penalty, w, match):
    for use in uses(penalty, w):
        with pytest.raises(ValueError, match=match):
            use()


# -- scalar parameters, checked on construction -------------------------------------------
@pytest.mark.parametrize("cls", PENALTIES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("alpha", [-1.0, -1e-12, "strong", None])
def test_bad_alpha_raises_naming_alpha(cls, alpha):
    with pytest.raises(ValueError, match=rf"'alpha' parameter of {cls.__name__}"):
        cls(alpha=alpha)


@pytest.mark.parametrize("cls", WITH_L1_RATIO, ids=lambda c: c.__name__)
@pytest.mark.parametrize("l1_ratio", [-0.1, 1.0 + 1e-9, 2, "half"])
def test_l1_ratio_outside_unit_interval_raises(cls, l1_ratio):
    with pytest.raises(ValueError, match=r"'l1_ratio' parameter .* range \[0.0, 1.0\]"):
        cls(l1_ratio=l1_ratio)


@pytest.mark.parametrize("cls", WITH_L1_RATIO, ids=lambda c: c.__name__)
@pytest.mark.parametrize("l1_ratio", [0, 0.0, 1, 1.0, 0.5])
def test_l1_ratio_bounds_are_accepted(cls, l1_ratio):
    assert cls(l1_ratio=l1_ratio).l1_ratio == l1_ratio


@pytest.mark.parametrize("cls", PENALTIES, ids=lambda c: c.__name__)
def test_alpha_zero_is_accepted_and_is_the_identity(cls):
    w = make_weight(0)
    assert torch.equal(cls(alpha=0.0).prox(w, 0.7), w)
    assert float(cls(alpha=0.0).value(w)) == 0.0


@pytest.mark.parametrize("cls", WITH_PENALTY_FACTOR, ids=lambda c: c.__name__)
def test_penalty_factor_that_is_not_array_like_raises(cls):
    with pytest.raises(ValueError, match="'penalty_factor' parameter"):
        cls(penalty_factor="ones")


@pytest.mark.parametrize("cls", GROUPED, ids=lambda c: c.__name__)
def test_groups_and_weights_that_are_not_array_like_raise(cls):
    with pytest.raises(ValueError, match="'groups' parameter"):
        cls(groups=3)
    with pytest.raises(ValueError, match="'weights' parameter"):
        cls(weights=2.0)


@pytest.mark.parametrize("cls", PENALTIES, ids=lambda c: c.__name__)
def test_scalar_weight_raises(cls):
    assert_every_use_raises(cls(), torch.tensor(1.0), "at least one axis")


# -- groups, checked against the weight ---------------------------------------------------
W4 = (2, 4)  # weights with 4 input columns


@pytest.mark.parametrize("cls", GROUPED, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "groups, match",
    [
        pytest.param([[0, 1], [2]], r"groups do not cover the inputs: 1 of 4 .*\[3\]",
                     id="not-covering"),
        pytest.param([[0, 1], [1, 2, 3]], r"Column 1 belongs to more than one group; "
                     r"groups must not overlap", id="overlapping"),
        pytest.param([[0, 0, 1], [2, 3]], r"groups\[0\] lists column 0 more than once",
                     id="duplicate-in-a-group"),
        pytest.param([[0, 1], [2, 4]], r"groups\[1\] names column 4\b.* 0\.\.3",
                     id="index-too-large"),
        pytest.param([[-1, 0], [1, 2, 3]], r"groups\[0\] names column -1", id="negative"),
        pytest.param([[0.0, 1.0], [2, 3]], r"groups\[0\] must list integer", id="floats"),
        pytest.param([[0, 1, 2, 3], []], r"groups\[1\] is empty", id="empty-group"),
        pytest.param([0, 0, 1], r"groups has shape \(3,\), but the weight has 4",
                     id="labels-too-short"),
        pytest.param(["a", "a", "b", "b", "c"], r"groups has shape \(5,\)",
                     id="labels-too-long"),
        pytest.param(np.zeros((2, 2)), r"groups has shape \(2, 2\)", id="labels-2d"),
        pytest.param([], r"groups has shape \(0,\)", id="empty"),
    ],
)
def test_bad_groups_raise_naming_groups(cls, groups, match):
    penalty = cls(groups=groups)  # stored as given: the columns are not known yet
    assert_every_use_raises(penalty, torch.ones(W4), match)


@pytest.mark.parametrize(
    "groups",
    [[[3, 1], [0, 2]], np.array([1, 0, 1, 0]), ["y", "x", "y", "x"], (7, 3, 7, 3),
     [np.array([1, 3]), np.array([0, 2])]],
    ids=["index-lists", "int-labels", "str-labels", "tuple-labels", "array-lists"],
)
def test_equivalent_group_specifications_agree(groups):
    # Every specification puts columns {0, 2} and {1, 3} together.
    w = make_weight(1, shape=W4)
    expected = GroupLasso(alpha=0.3, groups=[[0, 2], [1, 3]])
    penalty = GroupLasso(alpha=0.3, groups=groups)
    torch.testing.assert_close(penalty.prox(w, 0.5), expected.prox(w, 0.5))
    torch.testing.assert_close(penalty.value(w), expected.value(w))
    torch.testing.assert_close(penalty.critical_alpha(w), expected.critical_alpha(w))


# -- penalty_factor and weights, checked against the weight -------------------------------
@pytest.mark.parametrize("cls", WITH_PENALTY_FACTOR, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "penalty_factor, match",
    [
        pytest.param([1.0, 1.0, 1.0], r"penalty_factor of \w+ has shape \(3,\), but the "
                     r"weight it penalizes has 4", id="too-short"),
        pytest.param([1.0] * 5, r"penalty_factor of \w+ has shape \(5,\)", id="too-long"),
        pytest.param([[1.0] * 4], r"penalty_factor of \w+ has shape \(1, 4\)", id="2d"),
        pytest.param([1.0, -1.0, 1.0, 1.0], r"penalty_factor of \w+ must be finite and "
                     r">= 0 .*-1\.0", id="negative"),
        pytest.param([1.0, np.nan, 1.0, 1.0], r"penalty_factor .* must be finite",
                     id="nan"),
        pytest.param([1.0, np.inf, 1.0, 1.0], r"penalty_factor .* must be finite",
                     id="inf"),
    ],
)
def test_bad_penalty_factor_raises_naming_it(cls, penalty_factor, match):
    assert_every_use_raises(cls(penalty_factor=penalty_factor), torch.ones(W4), match)


@pytest.mark.parametrize("cls", GROUPED, ids=lambda c: c.__name__)
def test_unequal_penalty_factor_within_a_group_raises(cls):
    penalty = cls(groups=[0, 0, 1, 1], penalty_factor=[1.0, 2.0, 0.0, 0.0])
    assert_every_use_raises(penalty, torch.ones(W4),
                            r"penalty_factor must be equal within each group")
    # equal within groups, different across them: fine
    cls(groups=[0, 0, 1, 1], penalty_factor=[2.0, 2.0, 0.0, 0.0]).value(torch.ones(W4))


@pytest.mark.parametrize("cls", GROUPED, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "weights, match",
    [
        pytest.param([1.0], r"weights of \w+ must be 2 nonnegative numbers .* shape "
                     r"\(1,\)", id="too-short"),
        pytest.param([1.0, 1.0, 1.0], r"weights of \w+ must be 2 .* shape \(3,\)",
                     id="too-long"),
        pytest.param([1.0, -0.5], r"weights of \w+ must be 2 nonnegative", id="negative"),
        pytest.param([1.0, np.nan], r"weights of \w+ must be 2 nonnegative", id="nan"),
    ],
)
def test_bad_group_weights_raise_naming_weights(cls, weights, match):
    penalty = cls(groups=[0, 0, 1, 1], weights=weights)
    assert_every_use_raises(penalty, torch.ones(W4), match)


# -- set_params / get_params / clone ------------------------------------------------------
@pytest.mark.parametrize("case_id", CASE_IDS)
def test_set_params_with_a_bad_value_raises_and_keeps_the_old_value(case_id):
    penalty = CASES[case_id]()
    before = penalty.get_params()
    with pytest.raises(ValueError, match="'alpha' parameter"):
        penalty.set_params(alpha=-0.5)
    with pytest.raises(ValueError, match="Invalid parameter 'lambda_'"):
        penalty.set_params(lambda_=0.5)
    if "l1_ratio" in before:
        with pytest.raises(ValueError, match="'l1_ratio' parameter"):
            penalty.set_params(alpha=2.0, l1_ratio=1.5)
    assert penalty.get_params() == before
    # still usable with its old parameters
    w = make_weight(2)
    torch.testing.assert_close(penalty.prox(w, 0.5), CASES[case_id]().prox(w, 0.5))


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_get_params_match_the_constructor(case_id):
    penalty = CASES[case_id]()
    signature = inspect.signature(type(penalty).__init__)
    expected = [p for p in signature.parameters if p != "self"]
    assert sorted(penalty.get_params()) == sorted(expected)
    assert not any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_clone_and_set_params_round_trip(case_id):
    penalty = CASES[case_id]()
    w, steps = make_weight(3), make_steps(3)
    penalty.prox(w, steps)  # fill any cache before cloning
    copy = clone(penalty)
    assert copy is not penalty
    assert type(copy) is type(penalty)
    assert copy.get_params().keys() == penalty.get_params().keys()
    for key, value in penalty.get_params().items():
        np.testing.assert_equal(np.asarray(copy.get_params()[key], dtype=object),
                                np.asarray(value, dtype=object))
    for step in (0.5, steps):
        assert torch.equal(copy.prox(w, step), penalty.prox(w, step))
    assert torch.equal(copy.value(w), penalty.value(w))
    # set_params(**get_params()) is a no-op
    rebuilt = type(penalty)().set_params(**penalty.get_params())
    assert torch.equal(rebuilt.prox(w, steps), penalty.prox(w, steps))
    assert repr(rebuilt) == repr(penalty)


def test_set_params_refreshes_shape_dependent_parameters():
    # Resolved groups and factors are cached per weight shape; set_params must drop
    # them, or the old groups would keep being used.
    w = make_weight(4, shape=W4)
    penalty = GroupLasso(alpha=0.4, groups=[0, 0, 1, 1])
    before = penalty.prox(w, 0.5)
    penalty.set_params(groups=[[0, 2], [1, 3]])
    torch.testing.assert_close(penalty.prox(w, 0.5),
                               GroupLasso(alpha=0.4, groups=[[0, 2], [1, 3]]).prox(w, 0.5))
    assert not torch.equal(penalty.prox(w, 0.5), before)
    penalty.set_params(penalty_factor=[0.0, 1.0, 0.0, 1.0])
    assert torch.equal(penalty.prox(w, 0.5)[:, [0, 2]], w[:, [0, 2]])
    elementwise = L1(alpha=0.4)
    elementwise.value(w)
    elementwise.set_params(penalty_factor=[0.0, 0.0, 0.0, 0.0])
    assert float(elementwise.value(w)) == 0.0


@pytest.mark.parametrize("cls", PENALTIES, ids=lambda c: c.__name__)
def test_one_penalty_serves_weights_of_different_shapes(cls):
    # The cache is keyed by shape and dtype: one instance may penalize several layers.
    penalty = cls(alpha=0.3)
    a = make_weight(5, shape=(2, 3))
    b = make_weight(6, shape=(4, 5), dtype=torch.float32)
    out_a, out_b = penalty.prox(a, 0.5), penalty.prox(b, 0.5)
    torch.testing.assert_close(out_a, cls(alpha=0.3).prox(a, 0.5))
    torch.testing.assert_close(out_b, cls(alpha=0.3).prox(b, 0.5))
    torch.testing.assert_close(penalty.prox(a, 0.5), out_a)

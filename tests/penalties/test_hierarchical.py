"""LassoNet's hierarchical penalty: Hier-Prox against a brute-force minimizer and closed
forms, its critical alpha against the prox, its errors, and a network fitted with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from riata.estimators import SparseMLPClassifier
from riata.penalties import HierarchicalLasso, make_penalty, soft_threshold


def brute_force_prox(w: torch.Tensor, alpha: float, M: float, step: float) -> float:
    """Smallest ``||v - w||^2 / (2 step) + alpha |theta|`` over the constraint set, for
    one column with one skip row: for a fixed ``theta`` the best hidden weights are
    ``w_W`` clipped to ``[-M|theta|, M|theta|]``, so a fine grid over ``theta`` (and
    the exact inner minimum) gives the minimum to the grid's resolution."""
    W, theta = w[:-1, 0].numpy(), float(w[-1, 0])
    grid = np.concatenate([np.linspace(-6, 6, 120_001), [0.0, theta]])
    bound = M * np.abs(grid)[:, None]
    clipped = np.clip(W[None, :], -bound, bound)
    values = (((clipped - W) ** 2).sum(axis=1) + (grid - theta) ** 2) / (2 * step) \
        + alpha * np.abs(grid)
    return float(values.min())


def prox_objective(v, w, alpha, step) -> float:
    return float(((v - w) ** 2).sum() / (2 * step) + alpha * v[-1].abs().sum())


@pytest.mark.parametrize("seed", range(40))
def test_prox_is_the_minimizer_over_the_nonconvex_constraint(seed):
    rng = np.random.default_rng(seed)
    n_hidden = int(rng.integers(1, 5))
    w = torch.as_tensor(rng.normal(scale=1.5, size=(n_hidden + 1, 1)))
    alpha, M, step = float(rng.uniform(0, 2)), float(rng.uniform(0.2, 4)), \
        float(rng.uniform(0.3, 2))
    out = HierarchicalLasso(alpha, hierarchy=M).prox(w, step)
    assert HierarchicalLasso.feasible(out, hierarchy=M)
    best = brute_force_prox(w, alpha, M, step)
    assert prox_objective(out, w, alpha, step) <= best + 1e-6


def test_hand_computed_values():
    # Column 0: m = 1 (w_1 = 2 / 5 * (0.5 + 2 * 3 - 0.2) = 2.52 <= |W| = 3): theta =
    # 2.52 / 2, W = 2.52. Column 1: |theta| + M |W| = 0.12 <= 0.2, so it is zeroed.
    w = torch.tensor([[3.0, 0.05], [0.5, 0.02]], dtype=torch.float64)
    out = HierarchicalLasso(0.2, hierarchy=2.0).prox(w, 1.0)
    expected = torch.tensor([[2.52, 0.0], [1.26, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(out, expected)


def test_without_hidden_weight_it_is_the_lasso_prox():
    rng = np.random.default_rng(0)
    theta = torch.as_tensor(rng.normal(size=(1, 7)))
    w = torch.cat([torch.zeros(3, 7, dtype=torch.float64), theta])
    out = HierarchicalLasso(0.4, hierarchy=5.0).prox(w, 0.5)
    torch.testing.assert_close(out[-1], soft_threshold(theta, 0.2)[0])
    assert torch.all(out[:-1] == 0)


def test_two_skip_rows_shrink_the_skip_vector_as_a_group():
    theta = torch.tensor([[3.0, 0.3], [4.0, 0.4]], dtype=torch.float64)  # norms 5, 0.5
    w = torch.cat([torch.zeros(2, 2, dtype=torch.float64), theta])
    out = HierarchicalLasso(1.0, skip_rows=2).prox(w, 1.0)
    torch.testing.assert_close(out[2:, 0], theta[:, 0] * (1 - 1 / 5))
    assert torch.all(out[:, 1] == 0)


@pytest.mark.parametrize("seed", range(10))
def test_critical_alpha_is_where_the_prox_of_a_gradient_step_from_zero_is_zero(seed):
    rng = np.random.default_rng(seed)
    grad = torch.as_tensor(rng.normal(size=(5, 6)))
    pf = rng.uniform(0.5, 2, size=6)
    penalty = HierarchicalLasso(1.0, hierarchy=3.0, penalty_factor=pf)
    crit = penalty.critical_alpha(grad)
    expected = (grad[-1].abs() + 3.0 * grad[:-1].abs().sum(dim=0)) / torch.as_tensor(pf)
    torch.testing.assert_close(crit, expected)
    step = 0.7
    for j in range(6):
        for factor, zero in ((1 + 1e-6, True), (1 - 1e-6, False)):
            penalty.set_params(alpha=float(crit[j]) * factor)
            out = penalty.prox(-step * grad, step)
            assert bool(torch.all(out[:, j] == 0)) is zero


def test_penalty_factor_zero_leaves_the_column_free():
    w = torch.tensor([[5.0, 5.0], [0.1, 0.1]], dtype=torch.float64)
    out = HierarchicalLasso(0.05, penalty_factor=[0.0, 1.0]).prox(w, 1.0)
    torch.testing.assert_close(out[:, 0], w[:, 0])
    assert HierarchicalLasso.feasible(out[:, 1:])
    assert torch.isinf(HierarchicalLasso(1.0, penalty_factor=[0.0, 1.0])
                       .critical_alpha(w)[0])


def test_optimality_violation_is_zero_exactly_at_a_fixed_point():
    rng = np.random.default_rng(3)
    u = torch.as_tensor(rng.normal(size=(4, 5)))
    penalty = HierarchicalLasso(0.8, hierarchy=2.0)
    w = penalty.prox(u, 1.0)
    grad = w - u  # w - grad = u, so prox(w - grad, 1) = w
    assert float(penalty.optimality_violation(w, grad).max()) < 1e-12
    assert float(penalty.optimality_violation(w, grad + 0.5).max()) > 0.1


def test_alpha_zero_projects_onto_the_hierarchy():
    w = torch.tensor([[4.0], [0.1]], dtype=torch.float64)
    out = HierarchicalLasso(0.0, hierarchy=10.0).prox(w, 1.0)
    assert HierarchicalLasso.feasible(out, hierarchy=10.0)
    assert float(out[0, 0]) < 4.0


def test_per_coordinate_steps_raise_and_a_uniform_tensor_step_is_accepted():
    w = torch.ones(3, 2)
    penalty = HierarchicalLasso(0.1)
    with pytest.raises(ValueError, match="solver='fista'"):
        penalty.prox(w, torch.rand(3, 2) + 0.1)
    torch.testing.assert_close(penalty.prox(w, torch.full_like(w, 0.5)),
                               penalty.prox(w, 0.5))


def test_a_weight_without_skip_rows_raises():
    with pytest.raises(ValueError, match="skip_connection=True"):
        HierarchicalLasso(0.1).prox(torch.ones(1, 4), 1.0)


def test_make_penalty_builds_it():
    assert isinstance(make_penalty("hierarchical", 0.3), HierarchicalLasso)


def _binary_problem(seed=0, n=400, p=8):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    logit = 1.5 * X[:, 0] - 1.0 * X[:, 1] + 1.0 * X[:, 0] * X[:, 1]
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_estimator_without_a_skip_path_raises():
    X, y = _binary_problem()
    est = SparseMLPClassifier(hidden_layer_sizes=(4,), penalty=HierarchicalLasso(0.01),
                              solver="fista", max_epochs=5)
    with pytest.raises(ValueError, match="skip_connection=True"):
        est.fit(X, y)


@pytest.mark.parametrize("alpha", [0.2, 0.4])
def test_network_ranks_the_signal_inputs_first_and_holds_the_hierarchy(alpha):
    # The random hidden rows start outside the constraint (the skip rows start at
    # zero); the full-batch trainer maps them in with the prox at step 0, without which
    # no step could lower the objective and the fit stopped at its start.
    X, y = _binary_problem()
    est = SparseMLPClassifier(hidden_layer_sizes=(8,), skip_connection=True,
                              penalty=HierarchicalLasso(alpha, hierarchy=3.0),
                              solver="fista", max_epochs=2000, tol=1e-7,
                              early_stopping=False, batch_size=X.shape[0],
                              random_state=0).fit(X, y)
    weight = torch.as_tensor(est.first_layer_weights_).T  # (rows, inputs)
    assert HierarchicalLasso.feasible(weight, hierarchy=3.0, rtol=1e-5)
    assert est.n_iter_ > 50
    assert set(np.argsort(est.feature_importances_)[-2:]) == {0, 1}


def test_a_network_with_it_saves_and_loads(tmp_path):
    from riata.io import load_model, save_model

    X, y = _binary_problem(n=200)
    est = SparseMLPClassifier(hidden_layer_sizes=(4,), skip_connection=True,
                              penalty=HierarchicalLasso(0.2, hierarchy=2.0),
                              solver="fista", max_epochs=50, early_stopping=False,
                              batch_size=200, random_state=0).fit(X, y)
    save_model(tmp_path / "m", est)
    loaded = load_model(tmp_path / "m")[0]
    assert loaded.penalty.get_params() == est.penalty.get_params()
    np.testing.assert_allclose(loaded.predict_proba(X), est.predict_proba(X))

"""L2's max_norm: ridge + a bound on the weight's norm, applied by the prox."""

import numpy as np
import pytest
import torch
from scipy.optimize import minimize

from riata.penalties import L2


def test_inside_the_ball_the_prox_is_the_ridge_prox():
    w = torch.tensor([[0.3, -0.4]], dtype=torch.float64)  # ridge step: norm 0.5 / 1.5
    bounded, plain = L2(alpha=0.5, max_norm=1.0), L2(alpha=0.5)
    torch.testing.assert_close(bounded.prox(w, 1.0), plain.prox(w, 1.0))
    torch.testing.assert_close(bounded.prox(w, 1.0), w / 1.5)
    assert bounded.value(w) == plain.value(w)


@pytest.mark.parametrize("seed", range(4))
def test_outside_the_ball_the_prox_is_the_constrained_minimizer(seed):
    """prox_{t f}(w) for f = alpha/2 ||x||^2 + indicator(||x|| <= R) against a
    numerical solution of the constrained problem."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(3, 4)) * 3
    step, alpha, bound = rng.uniform(0.1, 2), rng.uniform(0.01, 1), rng.uniform(0.2, 1)
    ours = L2(alpha=alpha, max_norm=bound).prox(torch.as_tensor(w), step).numpy()

    def objective(x):
        return ((x - w.ravel()) ** 2).sum() / (2 * step) + alpha / 2 * (x ** 2).sum()

    ref = minimize(objective, np.zeros(w.size), method="SLSQP", options={"ftol": 1e-14},
                   constraints=[{"type": "ineq",
                                 "fun": lambda x: bound ** 2 - (x ** 2).sum()}]).x
    assert np.linalg.norm(ours) == pytest.approx(bound, rel=1e-12)
    np.testing.assert_allclose(ours.ravel(), ref, atol=1e-6)


def test_max_norm_zero_keeps_the_weight_at_zero():
    w = torch.tensor([1.0, -2.0])
    assert torch.equal(L2(alpha=0.0, max_norm=0.0).prox(w, 1.0), torch.zeros(2))


def test_a_negative_max_norm_is_rejected():
    with pytest.raises(ValueError, match="max_norm"):
        L2(max_norm=-1.0)

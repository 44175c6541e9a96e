"""hidden_max_norm: a bound on each weight matrix after the first layer."""

import numpy as np
import pytest

from riata import GroupLasso, SparseMLPClassifier


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] * X[:, 1] + X[:, 2] + rng.normal(scale=0.5, size=300) > 0).astype(int)
    return X, y


def _fista(**params):
    return SparseMLPClassifier((8, 4), penalty=GroupLasso(alpha=0.01), solver="fista",
                               max_epochs=400, dtype="float64", random_state=0, **params)


def test_each_deeper_weight_stays_within_its_bound(xy):
    X, y = xy
    free = _fista().fit(X, y).hidden_weight_norms()
    bounds = free / 2  # the unbounded fit goes beyond: the bound has to act
    held = _fista(hidden_max_norm=list(bounds)).fit(X, y).hidden_weight_norms()
    assert held.shape == (2,)
    assert np.all(held <= bounds * (1 + 1e-9))
    assert np.all(held >= bounds * 0.5)  # the bound is used, not a zero network


def test_one_number_bounds_every_deeper_weight(xy):
    X, y = xy
    held = _fista(hidden_max_norm=0.4).fit(X, y).hidden_weight_norms()
    assert np.all(held <= 0.4 * (1 + 1e-9))


def test_a_bound_per_matrix_must_match_the_network(xy):
    X, y = xy
    with pytest.raises(ValueError, match=r"one per weight after the first layer \(2"):
        _fista(hidden_max_norm=[1.0, 1.0, 1.0]).fit(X, y)


def test_modes_that_do_not_use_the_prox_are_refused(xy):
    """autograd and shrink modes apply the ridge's gradient: the bound would be
    silently ignored."""
    X, y = xy
    est = SparseMLPClassifier((8,), penalty=GroupLasso(alpha=0.01),
                              penalty_mode="autograd", hidden_max_norm=1.0, max_epochs=2)
    with pytest.raises(ValueError, match="penalty_mode='proximal'"):
        est.fit(X, y)


def test_a_network_without_hidden_layers_has_no_deeper_weights(xy):
    X, y = xy
    est = SparseMLPClassifier((), penalty=GroupLasso(alpha=0.01), solver="fista",
                              max_epochs=50).fit(X, y)
    assert est.hidden_weight_norms().shape == (0,)

"""A network with no hidden layer is a penalized linear model: riata must reach the same
optimum as the reference solvers of scikit-learn and skglm.

riata is trained by the proximal gradient method: ``solver="sgd"``, ``momentum=0``,
full batch, ``learning_rate_init = 1/L`` with ``L`` the Lipschitz constant of the
gradient of the mean data loss in (coefficients, intercept), float64, and no early
stopping (``tol=0`` and ``n_iter_no_change = max_epochs``). Both solutions are then
scored by one objective function written here with numpy, so that a different scaling
of ``alpha`` in either package shows up as an objective gap.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet as SklearnElasticNet
from sklearn.linear_model import LogisticRegression

from riata import L1, ElasticNet, GroupLasso, SparseMLPClassifier, SparseMLPRegressor

MAX_EPOCHS = 1500
#: Largest relative objective gap accepted between riata and the reference solver.
RTOL = 1e-5



# -- the common objective ------------------------------------------------------------------


def mean_logistic_loss(X, y, coef, intercept):
    z = X @ np.ravel(coef) + float(np.ravel(intercept)[0])
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def half_mean_squared_error(X, y, coef, intercept):
    residual = y - X @ np.ravel(coef) - float(np.ravel(intercept)[0])
    return float(0.5 * np.mean(residual**2))


def objective(data_loss, penalty, X, y, coef, intercept):
    """The penalized objective both solutions are scored by: ``mean loss + penalty``."""
    return data_loss(X, y, coef, intercept) + penalty(np.ravel(coef))


def lipschitz(X, curvature: float) -> float:
    """Lipschitz constant of the gradient of a mean loss whose second derivative in the
    linear predictor is at most ``curvature`` (1 for 0.5 * squared error, 1/4 for the
    logistic loss), in (coefficients, intercept): ``curvature * ||[X, 1]||_2^2 / n``."""
    n = X.shape[0]
    return curvature * np.linalg.norm(np.column_stack([X, np.ones(n)]), ord=2) ** 2 / n


def proximal_gradient(estimator_cls, penalty, X, y, L):
    """riata's estimator, set up as the proximal gradient method (ISTA) at step 1/L."""
    estimator = estimator_cls(
        hidden_layer_sizes=(), penalty=penalty, solver="sgd", momentum=0.0,
        learning_rate_init=1.0 / L, batch_size=X.shape[0], max_epochs=MAX_EPOCHS,
        early_stopping=False, tol=0.0, n_iter_no_change=MAX_EPOCHS, dtype="float64",
        random_state=0,
    ).fit(X, y)
    assert estimator.n_iter_ == MAX_EPOCHS  # no early stop
    return estimator


def assert_same_optimum(ours, theirs, data_loss, penalty, X, y):
    f_ours = objective(data_loss, penalty, X, y, ours.coef_, ours.intercept_)
    f_theirs = objective(data_loss, penalty, X, y, theirs.coef_, theirs.intercept_)
    assert abs(f_ours - f_theirs) <= RTOL * abs(f_theirs), (f_ours, f_theirs)
    # The same optimum has the same support; riata's zeros are exact.
    np.testing.assert_array_equal(np.ravel(ours.coef_) != 0, np.ravel(theirs.coef_) != 0)
    assert np.any(np.ravel(ours.coef_) == 0) and np.any(np.ravel(ours.coef_) != 0)
    np.testing.assert_allclose(np.ravel(ours.coef_), np.ravel(theirs.coef_), atol=1e-8)


# -- problems -----------------------------------------------------------------------------


@pytest.fixture
def design():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((150, 12))
    signal = 1.5 * X[:, 0] - 1.0 * X[:, 1] + 0.5 * X[:, 2] + 0.8 * X[:, 4] + 0.3
    return rng, X, signal


# -- the checks ---------------------------------------------------------------------------


def test_l1_logistic_matches_sklearn_saga(design):
    rng, X, signal = design
    n = X.shape[0]
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-signal))).astype(int)
    # scikit-learn minimizes C * sum_i logloss_i + ||w||_1; dividing by C * n gives
    # mean logloss + ||w||_1 / (C n): riata's L1(alpha) with alpha = 1 / (C n). Neither
    # penalizes the intercept with saga (liblinear would).
    C = 0.3
    alpha = 1.0 / (C * n)
    with warnings.catch_warnings():
        # In scikit-learn 1.8+ the L1 penalty is asked for by l1_ratio=1 alone; any
        # deprecation of the arguments used here must be noticed.
        warnings.simplefilter("error", FutureWarning)
        theirs = LogisticRegression(C=C, l1_ratio=1.0, solver="saga", tol=1e-12,
                                    max_iter=100_000).fit(X, y)
    ours = proximal_gradient(SparseMLPClassifier, L1(alpha=alpha), X, y,
                             lipschitz(X, curvature=0.25))
    assert ours.coef_.shape == theirs.coef_.shape == (1, X.shape[1])
    assert_same_optimum(ours, theirs, mean_logistic_loss,
                        lambda w: alpha * np.abs(w).sum(), X, y)


def standardized(y):
    """The regressor standardizes its target; on a standardized one that is the
    identity, and its alpha is then scikit-learn's (see SparseMLPRegressor)."""
    return (y - y.mean()) / y.std()


def test_elastic_net_regression_matches_sklearn(design):
    rng, X, signal = design
    y = standardized(signal + 0.5 * rng.standard_normal(X.shape[0]))
    # Both minimize ||y - Xw - b||^2 / (2 n) + alpha * (l1_ratio ||w||_1
    # + (1 - l1_ratio) / 2 ||w||^2): the same alpha and l1_ratio, no conversion.
    alpha, l1_ratio = 0.1, 0.7
    theirs = SklearnElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12,
                               max_iter=100_000).fit(X, y)
    ours = proximal_gradient(SparseMLPRegressor, ElasticNet(alpha=alpha, l1_ratio=l1_ratio),
                             X, y, lipschitz(X, curvature=1.0))
    assert_same_optimum(
        ours, theirs, half_mean_squared_error,
        lambda w: alpha * (l1_ratio * np.abs(w).sum() + 0.5 * (1 - l1_ratio) * w @ w),
        X, y,
    )


def test_group_lasso_regression_matches_skglm(design):
    skglm = pytest.importorskip("skglm")
    rng, X, signal = design
    y = standardized(signal + 0.5 * rng.standard_normal(X.shape[0]))
    size = 3
    n_groups = X.shape[1] // size
    labels = np.repeat(np.arange(n_groups), size)  # contiguous groups of 3 columns
    # skglm's GroupLasso minimizes ||y - Xw - b||^2 / (2 n) + alpha sum_g v_g ||w_g||.
    # riata's default v_g is sqrt(number of weights in the group) = sqrt(3 * 1 output),
    # so skglm gets weights = sqrt(3) for every group and the same alpha.
    alpha = 0.15
    weights = np.full(n_groups, np.sqrt(size))
    theirs = skglm.GroupLasso(groups=size, alpha=alpha, weights=weights, tol=1e-12,
                              max_iter=1000, max_epochs=100_000,
                              fit_intercept=True).fit(X, y)
    ours = proximal_gradient(SparseMLPRegressor, GroupLasso(alpha=alpha, groups=labels),
                             X, y, lipschitz(X, curvature=1.0))

    def penalty(w):
        return alpha * sum(weights[g] * np.linalg.norm(w[labels == g])
                           for g in range(n_groups))

    assert_same_optimum(ours, theirs, half_mean_squared_error, penalty, X, y)
    # Zero groups are zero as a whole, in both solutions.
    for coef in (ours.coef_, theirs.coef_):
        zero = np.array([np.all(coef[labels == g] == 0) for g in range(n_groups)])
        nonzero = np.array([np.all(coef[labels == g] != 0) for g in range(n_groups)])
        assert np.all(zero | nonzero)
        assert zero.any() and nonzero.any()


def test_lasso_on_an_unscaled_target_is_sklearns_at_alpha_times_sd(design):
    """On y in its own units the regressor's L1 optimum is Lasso(alpha * sd(y))'s."""
    from sklearn.linear_model import Lasso

    rng, X, signal = design
    y = 120 + 20 * (signal + 0.5 * rng.standard_normal(X.shape[0]))
    alpha = 0.1
    ours = proximal_gradient(SparseMLPRegressor, L1(alpha=alpha), X, y,
                             lipschitz(X, curvature=1.0))
    theirs = Lasso(alpha=alpha * y.std(), tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-6 * y.std())
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-8)

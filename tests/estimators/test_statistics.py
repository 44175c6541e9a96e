"""Issue 10 at the estimator level: weights, convergence, certified zeros, units."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from riata import L1, GroupLasso, SparseMLPClassifier, SparseMLPRegressor


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 6))
    logit = 1.2 * X[:, 0] - 0.8 * X[:, 1] - 1.0
    y = (rng.random(240) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, rng


def _log_loss_objective(coef, intercept, X, y, weights, alpha):
    z = X @ coef.ravel() + intercept.ravel()[0]
    losses = np.logaddexp(0, z) - y * z
    return np.sum(weights * losses) / np.sum(weights) + alpha * np.abs(coef).sum()


@pytest.mark.parametrize("hidden, atol", [((), 1e-8), ((5,), 1e-3)])
def test_integer_sample_weights_act_as_repeated_rows(problem, hidden, atol):
    """The weighted mean loss of integer weights is the mean loss of repeated rows: the
    same objective, so the same (convex: exactly; network: to rounding) full-batch fit."""
    X, y, rng = problem
    counts = rng.integers(0, 4, size=len(y))
    common = dict(penalty=GroupLasso(alpha=0.01), skip_connection=bool(hidden),
                  solver="fista", max_epochs=4000, tol=1e-14, dtype="float64",
                  random_state=0)
    weighted = SparseMLPClassifier(hidden, **common).fit(X, y, sample_weight=counts)
    repeated = SparseMLPClassifier(hidden, **common).fit(np.repeat(X, counts, axis=0),
                                                         np.repeat(y, counts))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                               rtol=0, atol=atol)


def test_balanced_class_weight_is_sklearns_objective(problem):
    """With class_weight="balanced" the linear L1 model reaches the optimum of
    scikit-learn's LogisticRegression(class_weight="balanced") at C = 1 / (alpha n)."""
    X, y, _ = problem
    alpha = 0.02
    ours = SparseMLPClassifier((), penalty=L1(alpha=alpha), class_weight="balanced",
                               solver="fista", max_epochs=20_000, tol=1e-14,
                               dtype="float64").fit(X, y)
    theirs = LogisticRegression(l1_ratio=1.0, solver="saga", C=1 / (alpha * len(y)),
                                class_weight="balanced", tol=1e-12,
                                max_iter=100_000).fit(X, y)
    weights = np.where(y == 1, len(y) / (2 * y.sum()), len(y) / (2 * (1 - y).sum()))
    f_ours = _log_loss_objective(ours.coef_, ours.intercept_, X, y, weights, alpha)
    f_theirs = _log_loss_objective(theirs.coef_, theirs.intercept_, X, y, weights, alpha)
    assert abs(f_ours - f_theirs) <= 1e-6 * abs(f_theirs)
    unweighted = SparseMLPClassifier((), penalty=L1(alpha=alpha), solver="fista",
                                     max_epochs=20_000, tol=1e-14,
                                     dtype="float64").fit(X, y)
    # The rare class gains: the balanced model's intercept is higher.
    assert ours.intercept_[0] > unweighted.intercept_[0] + 0.3


def test_converged_linear_l1_logistic_matches_liblinear_within_1e6(problem):
    """Issue 10: asked to converge, the linear estimator reaches the reference optimum
    (the default Adam run ended 38 % above it)."""
    X, y, _ = problem
    alpha = 0.01
    ours = SparseMLPClassifier((), penalty=L1(alpha=alpha), solver="fista",
                               max_epochs=20_000, tol=1e-14, dtype="float64").fit(X, y)
    theirs = LogisticRegression(l1_ratio=1.0, solver="liblinear", C=1 / (alpha * len(y)),
                                intercept_scaling=1e6, tol=1e-12, max_iter=100_000).fit(X, y)
    ones = np.ones(len(y))
    f_ours = _log_loss_objective(ours.coef_, ours.intercept_, X, y, ones, alpha)
    f_theirs = _log_loss_objective(theirs.coef_, theirs.intercept_, X, y, ones, alpha)
    assert f_ours <= f_theirs * (1 + 1e-6)


def test_stopping_at_max_epochs_while_improving_warns(problem):
    X, y, _ = problem
    with pytest.warns(ConvergenceWarning, match="max_epochs=3"):
        SparseMLPClassifier((4,), max_epochs=3, random_state=0).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        SparseMLPClassifier((4,), solver="fista", max_epochs=5, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        SparseMLPClassifier((4,), max_epochs=500, random_state=0).fit(X, y)


def test_polish_certifies_the_zeros_of_an_early_stopped_fit(problem):
    X, y, rng = problem
    X = np.column_stack([X, rng.normal(size=(len(y), 10))])  # 10 more noise columns
    est = SparseMLPClassifier((8,), penalty=GroupLasso(alpha=0.03), batch_size=32,
                              max_epochs=40, random_state=0).fit(X, y)
    est.polish(X, y)
    ratios = est.kkt_violation_[np.isfinite(est.kkt_violation_)]
    assert ratios.size > 0 and np.all(ratios <= 1 + 1e-6)
    assert len(est.polish_history_) > 1
    assert set(est.selected_features_) >= {"x0", "x1"}


def test_regressor_standardizes_its_target(problem):
    """Issue 10: on systolic pressure in mmHg the default regressor scored R^2 = -63 on
    its own training data; now an unscaled target fits like a standardized one."""
    X, _, rng = problem
    z = 0.8 * X[:, 0] - 0.5 * X[:, 2] + 0.3 * rng.normal(size=len(X))
    sbp = 132 + 22 * z
    fits = [SparseMLPRegressor((8,), random_state=0).fit(X, target)
            for target in (sbp, (sbp - sbp.mean()) / sbp.std())]
    scores = [fits[0].score(X, sbp), fits[1].score(X, (sbp - sbp.mean()) / sbp.std())]
    assert abs(scores[0] - scores[1]) <= 0.02 and scores[0] > 0.6
    assert abs(fits[0].predict(X).mean() - sbp.mean()) < 1.0


def test_unscaled_inputs_warn_with_the_column_named():
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(132, 22, 100), rng.normal(size=100),
                         rng.integers(0, 2, 100)])
    y = (X[:, 1] > 0).astype(int)
    with pytest.warns(UserWarning, match=r"x0 \(mean 1\d\d, SD \d"):
        SparseMLPClassifier((4,), max_epochs=2).fit(X, y)
    X[:, 0] = (X[:, 0] - X[:, 0].mean()) / X[:, 0].std()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        SparseMLPClassifier((4,), max_epochs=2).fit(X, y)

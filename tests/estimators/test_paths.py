"""Paths: the exact alpha_max of the null model, the alpha rules, the path hooks."""

import math

import numpy as np
import pytest
import torch

from riata import L1, GroupLasso, SparseMLPClassifier, SparseMLPRegressor
from riata.estimators import choose_alpha, choose_alpha_cv, compute_alpha_max, fit_alpha_path


@pytest.fixture(scope="module")
def uncentered():
    """Inputs far from centred (means 3 and -5, a 0/1 column): the intercept matters."""
    rng = np.random.default_rng(0)
    n = 400
    X = np.column_stack([rng.normal(3, 1, n), rng.normal(-5, 2, n),
                         rng.integers(0, 2, n), rng.normal(size=n)])
    logit = -1.0 + 0.8 * (X[:, 0] - 3) + 0.3 * X[:, 2]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_alpha_max_of_a_linear_logistic_model_is_glmnets(uncentered):
    """alpha_max = max_j |x_j^T (y - ybar)| / n at the fitted intercept (issue 9/10: it
    was taken at the random initial intercept, 1.32 where the exact value is 1.95)."""
    X, y = uncentered
    clf = SparseMLPClassifier((), penalty=L1(), dtype="float64", random_state=0)
    expected = np.abs(X.T @ (y - y.mean())).max() / y.size
    assert compute_alpha_max(clf, X, y) == pytest.approx(expected, rel=1e-12)


def test_alpha_max_of_a_linear_regression_is_glmnets(uncentered):
    X, _ = uncentered
    target = 10 + X[:, 0] - 2 * X[:, 3]
    reg = SparseMLPRegressor((), penalty=L1(), dtype="float64")
    # On the standardized target (the regressor standardizes it).
    expected = np.abs(X.T @ (target - target.mean())).max() / target.size / target.std()
    assert compute_alpha_max(reg, X, target) == pytest.approx(expected, rel=1e-12)


def test_alpha_max_of_a_multiclass_model_uses_the_class_frequencies(uncentered):
    X, _ = uncentered
    labels = np.digitize(X[:, 0], [2.5, 3.5])          # three classes
    clf = SparseMLPClassifier((), penalty=GroupLasso(), dtype="float64")
    freq = np.bincount(labels) / labels.size
    residual = np.eye(3)[labels] - freq                  # d(loss)/d(logits), negated
    grad = X.T @ residual / labels.size                  # (p, classes)
    expected = np.max(np.linalg.norm(grad, axis=1)) / math.sqrt(3)
    assert compute_alpha_max(clf, X, labels) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("factor,nonzero", [(1.001, False), (0.98, True)])
def test_alpha_max_is_where_the_first_coefficient_enters(uncentered, factor, nonzero):
    """A converged fit from the null model just above alpha_max stays at zero; just
    below, a coefficient enters."""
    X, y = uncentered
    clf = SparseMLPClassifier((), penalty=L1(), solver="fista", max_epochs=5000,
                              tol=1e-12, dtype="float64", warm_start=True)
    alpha_max = compute_alpha_max(clf, X, y)
    clf.set_params(penalty__alpha=factor * alpha_max).fit(X, y)
    assert bool(np.any(clf.coef_ != 0)) is nonzero


def test_one_se_rule_uses_the_paired_standard_error():
    rng = np.random.default_rng(0)
    base = rng.exponential(size=500)
    # Alpha 0 is worse than the best (index 2) by much more than the paired SE; alpha 1
    # is worse by less than it; so "1se" picks 1 and "best" picks 2.
    noise = rng.normal(size=500)
    losses = [base + 0.2, base + 0.001 + 0.05 * (noise - noise.mean()), base,
              base + 0.05]
    assert choose_alpha(losses, "best") == 2
    assert choose_alpha(losses, "1se") == 1
    with pytest.raises(ValueError, match="rule"):
        choose_alpha(losses, "min")


def test_path_records_are_typed_and_stop_when_validation_stops_improving(uncentered):
    X, y = uncentered
    est = SparseMLPClassifier((6,), penalty=GroupLasso(), skip_connection=True,
                              solver="fista", max_epochs=300, tol=1e-6, random_state=0)
    path = fit_alpha_path(est, X[:300], y[:300], validation_data=(X[300:], y[300:]),
                          n_alphas=30, n_alphas_no_change=2)
    losses = [r.valid_loss for r in path.records]
    best = int(np.argmin(losses))
    assert len(path.records) == best + 3 < 30
    assert path.alphas[0] == pytest.approx(path.alpha_max, rel=1e-8)
    with pytest.raises(AttributeError):
        path.records[0].alpha = 1.0
    chosen = path.best_estimator
    assert chosen.penalty.alpha == pytest.approx(path.best_alpha)
    assert chosen.warm_start is False


def test_a_linear_path_starts_with_nothing_selected(uncentered):
    X, y = uncentered
    est = SparseMLPClassifier((), penalty=L1(), solver="fista", max_epochs=500,
                              dtype="float64")
    path = fit_alpha_path(est, X[:300], y[:300], validation_data=(X[300:], y[300:]),
                          n_alphas=5)
    assert path.records[0].n_selected == 0 and path.records[-1].n_selected > 0


def test_first_layer_output_gradient_gives_every_column_gradient(uncentered):
    X, y = uncentered
    est = SparseMLPClassifier((5,), penalty=L1(alpha=0.01), skip_connection=True,
                              max_epochs=5, dtype="float64", random_state=0).fit(X, y)
    G = est.first_layer_output_gradient(X, y)
    grad = est.loss_gradient(X, y)["input_layer.weight"].numpy()
    np.testing.assert_allclose(G.T @ X, grad, rtol=1e-10, atol=1e-14)


def test_select_inputs_keeps_the_weights_of_kept_columns(uncentered):
    X, y = uncentered
    est = SparseMLPClassifier((5,), skip_connection=True, max_epochs=3, dtype="float64",
                              random_state=0).fit(X, y)
    before = est.model_.input_layer.weight.detach().clone()
    proba = est.predict_proba(X)
    est.select_inputs([0, 1, 2, 3, -1])
    after = est.model_.input_layer.weight.detach()
    assert torch.equal(after[:, :4], before) and torch.all(after[:, 4] == 0)
    extra = np.column_stack([X, np.ones(len(X))])
    np.testing.assert_allclose(est.predict_proba(extra), proba, rtol=0, atol=1e-12)
    est.select_inputs([3, 0])
    assert torch.equal(est.model_.input_layer.weight.detach(), before[:, [3, 0]])
    with pytest.raises(ValueError, match="source"):
        est.select_inputs([5])


def test_skip_connection_needs_a_hidden_layer(uncentered):
    X, y = uncentered
    with pytest.raises(ValueError, match="hidden layer"):
        SparseMLPClassifier((), skip_connection=True).fit(X, y)


def test_fista_reaches_a_kkt_point(uncentered):
    """The full-batch solver ends where every zero input satisfies its KKT condition
    (ratio <= 1) and the objective decreased monotonically."""
    X, y = uncentered
    est = SparseMLPClassifier((6,), penalty=GroupLasso(alpha=0.05), skip_connection=True,
                              solver="fista", max_epochs=3000, tol=1e-9, dtype="float64",
                              random_state=0).fit(X, y)
    ratios = est.kkt_violation_[np.isfinite(est.kkt_violation_)]
    assert ratios.size and np.all(ratios <= 1.0 + 1e-6)
    objective = [h["objective"] for h in est.history_]
    assert np.all(np.diff(objective) <= 1e-12)


def test_choose_alpha_cv_is_glmnets_rule():
    """Pooled held-out loss; 1-SE from the spread of the fold means (cv.glmnet)."""
    base = np.linspace(1.0, 0.5, 5)
    folds = [[np.full(10, b + shift) for b in np.r_[base[:4], base[3] + 0.001]]
             for shift in (0.0, 0.3, -0.3)]
    choice = choose_alpha_cv(folds, "best")
    assert choice.best == 3
    np.testing.assert_allclose(choice.mean, np.r_[base[:4], base[3] + 0.001])
    np.testing.assert_allclose(choice.se, 0.3 / np.sqrt(3), rtol=1e-12)
    # Within one SE (0.173) of the best (0.625) are 0.625, 0.626 and 0.75: the largest
    # alpha among them is index 2.
    assert choose_alpha_cv(folds, "1se").best == 2
    # A fold that stopped early limits the choice to the alphas every fold reached.
    short = [f[:3] for f in folds[:1]] + folds[1:]
    assert choose_alpha_cv(short, "best").best == 2


def test_cross_validated_path_refits_on_every_row(uncentered):
    X, y = uncentered
    est = SparseMLPClassifier((), penalty=L1(), solver="fista", max_epochs=500,
                              dtype="float64", random_state=0)
    path = fit_alpha_path(est, X, y, cv=4, n_alphas=8)
    assert path.cv_losses.shape[0] == 4
    assert len(path.records) == path.best_index + 1  # refitted down to the choice
    record = path.best_record
    pooled = np.nanmean(path.cv_losses[:, path.best_index])
    assert record.valid_loss == pytest.approx(pooled, rel=0.05)
    assert path.best_estimator.n_features_in_ == X.shape[1]
    assert set(path.best_estimator.selected_features_) >= {"x0"}
    with pytest.raises(ValueError, match="exactly one"):
        fit_alpha_path(est, X, y, cv=3, validation_data=(X, y))
    with pytest.raises(ValueError, match="exactly one"):
        fit_alpha_path(est, X, y)

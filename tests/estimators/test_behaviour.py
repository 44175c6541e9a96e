"""What the estimators do, beyond scikit-learn's API checks: randomness, the restored
best epoch, feature selection and its certificate, groups, shapes and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import log_loss, r2_score
from sklearn.model_selection import GridSearchCV

from riata import L1, GroupLasso, SparseMLPClassifier, SparseMLPRegressor
from riata.estimators import ESTIMATORS

# -- data ----------------------------------------------------------------------------------


@pytest.fixture
def regression():
    """120 samples, 8 features; y depends on x0 and x1 only."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 8))
    y = 2.0 * X[:, 0] - 1.0 * X[:, 1] + 0.3 * rng.standard_normal(120)
    return X, y


@pytest.fixture
def classification():
    """120 samples, 8 features; the label depends on x0 and x1 only."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((120, 8))
    y = (2.0 * X[:, 0] - X[:, 1] + 0.5 * rng.standard_normal(120) > 0).astype(int)
    return X, y


def _data_for(estimator_cls, regression, classification):
    return regression if estimator_cls is SparseMLPRegressor else classification


def lipschitz(X, curvature: float = 1.0) -> float:
    """``curvature * ||[X, 1]||_2^2 / n``: the Lipschitz constant of the mean loss's
    gradient for a linear model (curvature 1 for 0.5 * squared error)."""
    n = X.shape[0]
    return curvature * np.linalg.norm(np.column_stack([X, np.ones(n)]), ord=2) ** 2 / n


def proximal_gradient_regressor(X, penalty, max_epochs=800, **params):
    """A linear regressor trained by full-batch ISTA at step 1/L, in float64."""
    return SparseMLPRegressor(
        hidden_layer_sizes=(), penalty=penalty, solver="sgd", momentum=0.0,
        learning_rate_init=1.0 / lipschitz(X), batch_size=X.shape[0],
        max_epochs=max_epochs, early_stopping=False, tol=0.0,
        n_iter_no_change=max_epochs, dtype="float64", random_state=0, **params,
    )


ESTIMATOR_IDS = [cls.__name__ for cls in ESTIMATORS]


def _estimators():
    return pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=ESTIMATOR_IDS)


# -- randomness ------------------------------------------------------------------------------


def _noisy_fit(estimator_cls, X, y, random_state):
    """Every source of randomness on: initial weights, dropout, the validation split and
    the mini-batch order."""
    return estimator_cls(
        (8,), dropout=0.2, penalty=GroupLasso(alpha=1e-3), batch_size=32, max_epochs=15,
        n_iter_no_change=15, learning_rate_init=1e-2, random_state=random_state,
    ).fit(X, y)


@_estimators()
def test_same_random_state_same_model(estimator_cls, regression, classification):
    X, y = _data_for(estimator_cls, regression, classification)
    first = _noisy_fit(estimator_cls, X, y, 0)
    second = _noisy_fit(estimator_cls, X, y, 0)
    other = _noisy_fit(estimator_cls, X, y, 1)
    np.testing.assert_array_equal(first.first_layer_weights_, second.first_layer_weights_)
    for a, b in zip(first.model_.parameters(), second.model_.parameters()):
        assert torch.equal(a, b)
    assert first.history_ == second.history_
    predict = getattr(first, "predict_proba", first.predict)
    np.testing.assert_array_equal(predict(X), getattr(second, predict.__name__)(X))
    assert not np.array_equal(first.first_layer_weights_, other.first_layer_weights_)
    assert not np.array_equal(predict(X), getattr(other, predict.__name__)(X))


@pytest.mark.parametrize("random_state", [0, None])
def test_fit_leaves_global_generators_alone(regression, random_state):
    """fit draws from its own generators: torch's global state is untouched (and numpy's
    too when random_state is an int)."""
    X, y = regression
    torch.manual_seed(123)
    torch_state = torch.random.get_rng_state()
    numpy_state = np.random.get_state()[1].copy()
    _noisy_fit(SparseMLPRegressor, X, y, random_state)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    if random_state is not None:
        np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)


# -- the best epoch ----------------------------------------------------------------------------


def _overfitting_problem(seed):
    """Few samples, many noise features, a wide network: the validation score peaks and
    then falls as the network fits the noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((80, 30))
    signal = X[:, 0] - X[:, 1]
    return X[:40], X[40:], signal[:40], signal[40:], rng


def test_regressor_restores_the_best_epoch():
    X, X_valid, s, s_valid, rng = _overfitting_problem(2)
    y = s + 0.8 * rng.standard_normal(40)
    y_valid = s_valid + 0.8 * rng.standard_normal(40)
    est = SparseMLPRegressor(
        (64,), learning_rate_init=2e-2, max_epochs=300, n_iter_no_change=15, monitor="r2",
        dtype="float64", random_state=0,
    ).fit(X, y, validation_data=(X_valid, y_valid))
    scores = np.array([record["valid_score"] for record in est.history_])
    assert est.best_epoch_ == int(np.argmax(scores)) + 1
    assert est.n_iter_ == est.best_epoch_ + 15  # stopped early, after the best
    assert scores[-1] < scores[est.best_epoch_ - 1]  # restoring it matters
    # The returned model is the best epoch's: its R^2 on the validation data is the
    # score recorded for that epoch.
    recomputed = r2_score(y_valid, est.predict(X_valid))
    np.testing.assert_allclose(recomputed, est.best_score_, rtol=1e-10)
    np.testing.assert_allclose(recomputed, scores[est.best_epoch_ - 1], rtol=1e-10)


def test_classifier_restores_the_best_epoch():
    X, X_valid, s, s_valid, rng = _overfitting_problem(3)
    y = (s + 1.0 * rng.standard_normal(40) > 0).astype(int)
    y_valid = (s_valid + 1.0 * rng.standard_normal(40) > 0).astype(int)
    est = SparseMLPClassifier(
        (64,), learning_rate_init=2e-2, max_epochs=300, n_iter_no_change=15,
        monitor="loss", dtype="float64", random_state=0,
    ).fit(X, y, validation_data=(X_valid, y_valid))
    losses = np.array([record["valid_loss"] for record in est.history_])
    assert est.best_epoch_ == int(np.argmin(losses)) + 1
    assert est.best_epoch_ < est.n_iter_
    assert losses[-1] > losses[est.best_epoch_ - 1]
    # The validation loss is the mean logistic loss of the restored model.
    recomputed = log_loss(y_valid, est.predict_proba(X_valid))
    np.testing.assert_allclose(recomputed, losses[est.best_epoch_ - 1], rtol=1e-10)
    np.testing.assert_allclose(-recomputed, est.best_score_, rtol=1e-10)


# -- feature selection ---------------------------------------------------------------------------


def test_selected_features_use_dataframe_column_names(regression):
    X, y = regression
    columns = ["age", "bmi", "sbp", "dbp", "ldl", "hdl", "glucose", "crp"]
    frame = pd.DataFrame(X, columns=columns)
    est = proximal_gradient_regressor(X, L1(alpha=0.2)).fit(frame, pd.Series(y))
    np.testing.assert_array_equal(est.feature_names_in_, columns)
    assert list(est.selected_features_) == ["age", "bmi"]
    np.testing.assert_array_equal(est.feature_importances_ > 0,
                                  np.isin(columns, ["age", "bmi"]))


@pytest.mark.parametrize("penalty_cls", [L1, GroupLasso], ids=["L1", "GroupLasso"])
def test_kkt_violation_certifies_the_zeros(regression, penalty_cls):
    """After full-batch proximal training to convergence every zero column is a KKT point
    (ratio <= 1); selected columns get NaN."""
    X, y = regression
    est = proximal_gradient_regressor(X, penalty_cls(alpha=0.2)).fit(X, y)
    zero = np.all(est.first_layer_weights_ == 0, axis=1)
    assert zero.sum() == 6 and not zero[:2].any()
    assert np.all(est.kkt_violation_[zero] <= 1 + 1e-6)
    assert np.all(np.isnan(est.kkt_violation_[~zero]))


@pytest.mark.parametrize("estimator_cls", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_group_lasso_alpha_extremes(estimator_cls, regression, classification):
    """With a network: a huge alpha keeps no input (and certifies every zero), alpha = 0
    keeps them all."""
    X, y = _data_for(estimator_cls, regression, classification)
    params = {"hidden_layer_sizes": (8,), "learning_rate_init": 1e-2, "max_epochs": 30,
              "random_state": 0}
    empty = estimator_cls(penalty=GroupLasso(alpha=10.0), **params).fit(X, y)
    assert empty.selected_features_.size == 0
    assert np.all(empty.first_layer_weights_ == 0)
    assert np.all(empty.feature_importances_ == 0)
    assert np.all(empty.kkt_violation_ <= 1.0)
    full = estimator_cls(penalty=GroupLasso(alpha=0.0), **params).fit(X, y)
    assert list(full.selected_features_) == [f"x{j}" for j in range(X.shape[1])]
    assert np.all(np.isnan(full.kkt_violation_))


def test_unpenalized_column_is_always_selected(regression):
    """penalty_factor 0 exempts a column: with an alpha that zeroes every other column,
    the pure-noise column x7 is still kept (by the linear model and by a network)."""
    X, y = regression
    factor = np.ones(X.shape[1])
    factor[7] = 0.0
    linear = proximal_gradient_regressor(X, L1(alpha=50.0, penalty_factor=factor)).fit(X, y)
    assert list(linear.selected_features_) == ["x7"]
    network = SparseMLPRegressor(
        (8,), penalty=GroupLasso(alpha=50.0, penalty_factor=factor), learning_rate_init=1e-2,
        max_epochs=20, random_state=0,
    ).fit(X, y)
    assert list(network.selected_features_) == ["x7"]


def test_custom_groups_are_kept_or_dropped_together():
    """A one-hot pair in one group: along an alpha path the two columns are always
    selected together or dropped together (under Adam's per-coordinate steps too)."""
    rng = np.random.default_rng(4)
    n = 150
    level = rng.integers(0, 2, size=n)
    onehot = np.column_stack([level == 0, level == 1]).astype(float)
    other = rng.standard_normal((n, 4))
    X = np.column_stack([onehot, other])
    y = 1.5 * level + other[:, 0] + 0.3 * rng.standard_normal(n)
    groups = [[0, 1], [2], [3], [4], [5]]
    supports = []
    for alpha in [1e-3, 0.03, 0.1, 1.0]:
        est = SparseMLPRegressor(
            (8,), penalty=GroupLasso(alpha=alpha, groups=groups), learning_rate_init=2e-2,
            max_epochs=60, batch_size=n, early_stopping=False, random_state=0,
        ).fit(X, y)
        support = np.any(est.first_layer_weights_ != 0, axis=1)
        assert support[0] == support[1], (alpha, support)
        supports.append(support)
    assert supports[0].all() and not supports[-1].any()
    # Somewhere on the path the (relevant) pair is kept while noise columns are dropped:
    # the selection is made group by group, not all or nothing.
    assert any(s[0] and not s[3:].all() for s in supports)


# -- outputs and attributes ----------------------------------------------------------------------


def test_predict_returns_numpy_for_pandas_input(regression, classification):
    X, y = regression
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    reg = SparseMLPRegressor((4,), max_epochs=5, random_state=0).fit(frame, pd.Series(y))
    prediction = reg.predict(frame)
    assert type(prediction) is np.ndarray and prediction.shape == (X.shape[0],)

    X, y = classification
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    labels = pd.Series(np.where(y == 1, "case", "control"))
    clf = SparseMLPClassifier((4,), max_epochs=5, random_state=0).fit(frame, labels)
    for output in (clf.predict(frame), clf.predict_proba(frame), clf.decision_function(frame)):
        assert type(output) is np.ndarray
    assert set(clf.predict(frame)) <= {"case", "control"}
    np.testing.assert_array_equal(clf.classes_, ["case", "control"])


def test_coef_exists_only_for_the_linear_model(regression, classification):
    X, y = regression
    network = SparseMLPRegressor((4,), max_epochs=5, random_state=0).fit(X, y)
    assert not hasattr(network, "coef_") and not hasattr(network, "intercept_")
    linear = SparseMLPRegressor((), max_epochs=5, random_state=0).fit(X, y)
    assert linear.coef_.shape == (X.shape[1],) and isinstance(linear.intercept_, float)
    np.testing.assert_allclose(linear.predict(X), X @ linear.coef_ + linear.intercept_,
                               rtol=1e-6, atol=1e-6)

    X, y = classification
    clf = SparseMLPClassifier((), max_epochs=5, random_state=0).fit(X, y)
    assert clf.coef_.shape == (1, X.shape[1]) and clf.intercept_.shape == (1,)
    np.testing.assert_allclose(clf.decision_function(X), X @ clf.coef_[0] + clf.intercept_[0],
                               rtol=1e-6, atol=1e-6)
    assert not hasattr(SparseMLPClassifier((3,), max_epochs=2).fit(X, y), "coef_")


@_estimators()
def test_bad_parameters_name_the_parameter(estimator_cls, regression, classification):
    X, y = _data_for(estimator_cls, regression, classification)
    est = estimator_cls((4,), penalty=L1(alpha=0.1), max_epochs=2)
    with pytest.raises(ValueError, match="alpha"):
        est.set_params(penalty__alpha=-1.0)
    assert est.penalty.alpha == 0.1  # the rejected value is not kept
    with pytest.raises(ValueError, match="penalty_mode"):
        estimator_cls((4,), penalty_mode="prox", max_epochs=2).fit(X, y)
    with pytest.raises(ValueError, match="monitor"):
        estimator_cls((4,), monitor="accuracy", max_epochs=2).fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        estimator_cls((8, 0), max_epochs=2).fit(X, y)


def test_grid_search_over_penalty_alpha():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((150, 10))
    y = X[:, 0] - 2.0 * X[:, 1] + X[:, 2] + 0.5 * rng.standard_normal(150)
    template = proximal_gradient_regressor(X, L1(alpha=1.0), max_epochs=200)
    search = GridSearchCV(template, {"penalty__alpha": [1e-3, 0.05, 10.0]}, cv=3).fit(X, y)
    scores = dict(zip(search.cv_results_["param_penalty__alpha"],
                      search.cv_results_["mean_test_score"]))
    # alpha = 10 zeroes every coefficient: a constant prediction, R^2 <= 0 out of fold.
    assert scores[10.0] <= 0.0 < min(scores[1e-3], scores[0.05])
    assert search.best_params_["penalty__alpha"] != 10.0
    assert search.best_estimator_.penalty_.alpha == search.best_params_["penalty__alpha"]
    assert template.penalty.alpha == 1.0  # the template is cloned, never modified


def test_multiclass_shapes():
    rng = np.random.default_rng(6)
    centers = np.array([[3.0, 0.0], [0.0, 3.0], [-3.0, -3.0]])
    labels = rng.integers(0, 3, size=150)
    X = np.column_stack([centers[labels] + rng.standard_normal((150, 2)),
                         rng.standard_normal((150, 3))])
    y = np.array(["ant", "bee", "cat"])[labels]
    for hidden in [(8,), ()]:
        clf = SparseMLPClassifier(hidden, penalty=GroupLasso(alpha=1e-3),
                                  learning_rate_init=2e-2, max_epochs=40,
                                  random_state=0).fit(X, y)
        np.testing.assert_array_equal(clf.classes_, ["ant", "bee", "cat"])
        assert clf.predict(X).shape == (150,)
        proba = clf.predict_proba(X)
        assert proba.shape == (150, 3)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert clf.decision_function(X).shape == (150, 3)
        assert clf.first_layer_weights_.shape == (5, hidden[0] if hidden else 3)
        assert clf.score(X, y) > 0.9
    assert clf.coef_.shape == (3, 5) and clf.intercept_.shape == (3,)


def test_multi_output_regression_shapes(regression):
    X, _ = regression
    rng = np.random.default_rng(7)
    Y = np.column_stack([X[:, 0] - X[:, 1], 2.0 * X[:, 2]]) + 0.1 * rng.standard_normal((120, 2))
    for hidden in [(8,), ()]:
        reg = SparseMLPRegressor(hidden, learning_rate_init=2e-2, max_epochs=100,
                                 random_state=0).fit(X, Y)
        assert reg.predict(X).shape == (120, 2)
        assert reg.score(X, Y) > 0.8
    assert reg.coef_.shape == (2, X.shape[1]) and reg.intercept_.shape == (2,)
    np.testing.assert_allclose(reg.predict(X), X @ reg.coef_.T + reg.intercept_,
                               rtol=1e-6, atol=1e-6)


def test_objective_includes_the_ridge_on_deeper_layers(classification):
    """The reported objective is data loss + first-layer penalty + hidden_alpha ridge on
    the deeper weights (never on biases); hidden_alpha=0 removes the ridge."""
    X, y = classification
    for hidden_alpha in (0.0, 0.05):
        clf = SparseMLPClassifier((6,), penalty=L1(alpha=0.01), hidden_alpha=hidden_alpha,
                                  early_stopping=False, max_epochs=3, random_state=0,
                                  dtype="float64").fit(X, y)
        net = clf.model_
        expected = 0.01 * net.input_layer.weight.abs().sum().item()
        expected += 0.5 * hidden_alpha * sum(
            (p ** 2).sum().item() for n, p in net.body.named_parameters() if "weight" in n)
        assert clf._penalty_value() == pytest.approx(expected, rel=1e-12)
        record = clf.history_[-1]
        assert record["objective"] == pytest.approx(record["train_loss"] + expected,
                                                    rel=1e-12)


def test_path_start_keeps_every_hidden_unit_alive(classification):
    """At the zero first layer where a path starts, every ReLU unit must pass
    gradient; otherwise units with a negative bias stay exactly zero forever."""
    X, y = classification
    clf = SparseMLPClassifier((16,), penalty=L1(alpha=1e-3), random_state=3)
    grad = clf.fit_null(X, y).loss_gradient(X, y)["input_layer.weight"]
    assert torch.all(clf.model_.input_layer.weight == 0)
    assert torch.all(clf.model_.input_layer.bias > 0)
    assert torch.all(grad.abs().sum(dim=1) > 0)


def test_null_model_output_is_the_best_constant(classification):
    """fit_null: the network's output is the log-odds of the training prevalence,
    whatever the random deeper layers give at a zero first layer."""
    X, y = classification
    for skip in (False, True):
        clf = SparseMLPClassifier((7, 5), penalty=L1(alpha=1e-3), skip_connection=skip,
                                  dtype="float64", random_state=1).fit_null(X, y)
        logit = np.log(y.mean() / (1 - y.mean()))
        np.testing.assert_allclose(clf.decision_function(X), logit, rtol=0, atol=1e-12)
        assert clf.selected_features_.size == 0

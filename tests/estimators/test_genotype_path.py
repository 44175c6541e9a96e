"""Paths over plain inputs and SNPs on working sets: KKT checks, selection, references."""

import numpy as np
import pytest

from riata import L1, GroupLasso, SparseMLPClassifier, SparseMLPRegressor
from riata.data import genotype_statistics
from riata.estimators import fit_genotype_path

N, P, CAUSAL = 800, 600, (3, 50, 477)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    values = rng.binomial(2, rng.uniform(0.1, 0.5, P), size=(N, P)).astype(np.int8)
    values[rng.random(values.shape) < 0.01] = -127  # missing calls: the training mean
    train, valid = np.arange(550), np.arange(550, N)
    mean, scale = genotype_statistics(values, train)
    z = np.where(values == -127, 0.0, (values - mean) / scale)
    clinical = rng.normal(size=(N, 2))
    signal = z[:, list(CAUSAL)].sum(axis=1) + clinical[:, 0]
    y = (rng.random(N) < 1 / (1 + np.exp(-signal))).astype(int)
    return dict(values=values, z=z, clinical=clinical, y=y, signal=signal, train=train,
                valid=valid, mean=mean, scale=scale)


def _network(**params):
    settings = dict(penalty=GroupLasso(), skip_connection=True, solver="fista",
                    max_epochs=2000, tol=1e-8, dtype="float64", random_state=0)
    return SparseMLPClassifier((6,), **{**settings, **params})


def _path(data, est, **kwargs):
    tr, va = data["train"], data["valid"]
    kwargs.setdefault("valid_rows", va)
    kwargs.setdefault("n_alphas_no_change", 3)  # short paths; defaults are benchmarked
    return fit_genotype_path(est, data["clinical"][tr], data["y"][tr],
                             validation_data=(data["clinical"][va], data["y"][va]),
                             genotypes=data["values"], train_rows=tr,
                             mean=data["mean"], scale=data["scale"], **kwargs)


def test_snp_gradient_from_int8_equals_autograd_over_all_snps(data):
    """The KKT check's gradient of every SNP, G^T z from the int8 genotypes, is the
    first-layer gradient of the same network given every SNP as an input."""
    tr = data["train"]
    cols = np.array([3, 10, 50])
    X_ws = np.hstack([data["clinical"][tr], data["z"][np.ix_(tr, cols)]])
    est = _network(max_epochs=30).set_params(penalty__alpha=0.01).fit(X_ws, data["y"][tr])
    from riata.data import genotype_transpose_product

    G = est.first_layer_output_gradient(X_ws, data["y"][tr])
    ours = genotype_transpose_product(data["values"], tr, G, data["mean"], data["scale"],
                                      dtype=np.float64)
    import copy

    position = {c: 2 + i for i, c in enumerate(cols)}
    full = copy.deepcopy(est).select_inputs(
        [0, 1] + [position.get(j, -1) for j in range(P)])
    x_all = np.hstack([data["clinical"][tr], data["z"][tr]])
    grad = full.loss_gradient(x_all, data["y"][tr])["input_layer.weight"].numpy()
    # Every SNP's first-layer gradient is G^T z, inside the working set or not.
    np.testing.assert_allclose(ours.T, grad[:, 2:], rtol=1e-8, atol=1e-12)


def test_the_path_finds_the_causal_snps_and_certifies_the_rest(data):
    # The hidden layers' ridge scales with the penalty (hidden_alpha="penalty"), so
    # that at N=550 the network's own hidden units cannot fit what the SNPs explain.
    path = _path(data, _network(hidden_alpha="penalty"), n_alphas=12)
    best, cols = path.best_estimator, path.best_columns
    kept = set(cols[best.feature_importances_[2:] > 0])
    assert set(CAUSAL) <= kept
    assert len(kept) < 40
    record = path.best_record
    assert record.max_kkt_outside <= 1.05  # every SNP left out is optimal at zero
    assert record.working_set >= record.n_snps
    # The clinical input with signal is kept; the path starts with nothing.
    assert best.feature_importances_[0] > 0
    assert path.records[0].n_snps == 0 and path.records[0].n_selected == 0


def test_a_linear_working_set_path_reaches_skglms_dense_optimum(data):
    """At a fixed alpha the working-set solution of the group lasso over clinical
    inputs and SNPs (int8, KKT-checked) has the objective of skglm on the dense
    matrix of every column, within 1e-6 (issue 9, item 6)."""
    skglm = pytest.importorskip("skglm")
    from skglm.datafits import Logistic
    from skglm.penalties import L1 as SkL1
    from skglm.solvers import ProxNewton

    tr = data["train"]
    alpha = 0.02
    est = SparseMLPClassifier((), penalty=L1(), solver="fista", max_epochs=20_000,
                              tol=1e-14, dtype="float64")
    path = _path(data, est, alphas=[alpha], kkt_tol=0.0, max_rounds=10)
    ours = path.best_estimator
    cols = path.best_columns
    X_all = np.hstack([data["clinical"][tr], data["z"][tr]])
    y = data["y"][tr]
    dense = skglm.GeneralizedLinearEstimator(Logistic(), SkL1(alpha),
                                             ProxNewton(fit_intercept=True, tol=1e-12))
    dense.fit(X_all, 2 * y - 1)

    def objective(coef, intercept):
        z = X_all @ coef + intercept
        return np.mean(np.logaddexp(0, z) - y * z) + alpha * np.abs(coef).sum()

    coef = np.zeros(X_all.shape[1])
    coef[:2] = ours.coef_[0, :2]
    coef[2 + cols] = ours.coef_[0, 2:]
    f_ours = objective(coef, ours.intercept_[0])
    f_dense = objective(dense.coef_.ravel(), float(dense.intercept_))
    assert f_ours <= f_dense * (1 + 1e-6)
    assert path.best_record.max_kkt_outside <= 1.0 + 1e-6


def test_cross_validation_chooses_and_refits(data):
    tr = data["train"]
    est = SparseMLPRegressor((), penalty=L1(), solver="fista", max_epochs=3000,
                             tol=1e-10, dtype="float64", random_state=0)
    path = fit_genotype_path(est, data["clinical"][tr], data["signal"][tr], cv=3,
                             genotypes=data["values"], train_rows=tr, mean=data["mean"],
                             scale=data["scale"], n_alphas=10)
    assert path.cv_losses.shape[0] == 3
    assert len(path.records) == path.best_index + 1
    kept = set(path.best_columns[path.best_estimator.feature_importances_[2:] > 0])
    assert set(CAUSAL) <= kept


@pytest.mark.parametrize("kwargs, match", [
    ({"min_working_set": 0}, "min_working_set"),
    ({"rule": "min"}, "rule"),
    ({"valid_rows": np.arange(5)}, "valid_rows"),
])
def test_bad_settings_are_refused(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        _path(data, _network(), **kwargs)


@pytest.mark.parametrize("hold", [True, False])
def test_the_snp_path_holds_the_deeper_layers_norms_at_its_start(data, hold):
    """With hold_hidden_norm (the default) no weight after the first layer grows
    beyond its norm at the path's start (the clinical model's); the estimator
    handed in keeps its own (unbounded) setting."""
    tr = data["train"]
    start = _network().set_params(penalty__alpha=0.02).fit(data["clinical"][tr],
                                                            data["y"][tr])
    begin = start.hidden_weight_norms()
    path = _path(data, start, plain_alpha=0.02, n_alphas=5, hold_hidden_norm=hold)
    est = path.best_estimator
    assert start.hidden_max_norm is None
    if hold:
        np.testing.assert_allclose(est.hidden_max_norm, begin)
        assert np.all(est.hidden_weight_norms() <= begin * (1 + 1e-9))
    else:
        assert est.hidden_max_norm is None

"""The kernel (row-span) encoder: the same SGD steps as the explicit encoder on the SNPs."""

import numpy as np
import pytest
import torch

from riata import L1, L2, GroupLasso, SparseMLPClassifier, SparseMLPRegressor
from riata.data import Genotypes, genotype_kernel, kernel_encoder_weights
from riata.estimators import GenotypeEncoder, explicit_encoder_estimator
from riata.models import MLP, KernelEncoder

N_TRAIN, N_VALID, N_SNPS, N_CLIN = 90, 40, 250, 3


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(0)
    n = N_TRAIN + N_VALID
    freq = rng.uniform(0.05, 0.5, N_SNPS)
    values = rng.binomial(2, freq, size=(n, N_SNPS)).astype(np.int8)
    values[rng.random(values.shape) < 0.01] = -127
    train = np.arange(N_TRAIN)
    g = Genotypes(values, snp_names=[f"rs{j}" for j in range(N_SNPS)],
                  chromosome=["1"] * N_SNPS, bp_position=np.arange(N_SNPS),
                  sample_ids=[f"s{i}" for i in range(n)])
    mean, scale = g.mean_and_scale(train)
    z = g.standardized(None, mean, scale, dtype=np.float64)
    clinical = rng.normal(size=(n, N_CLIN))
    logit = z[:, :5].sum(axis=1) / 2 + clinical[:, 0]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    kernel = genotype_kernel(g, train, dtype=np.float64)
    return {"g": g, "z": z, "clinical": clinical, "y": y, "kernel": kernel,
            "train": train, "valid": np.arange(N_TRAIN, n), "mean": mean, "scale": scale}


def _pair(cohort, cls, **params):
    """A kernel estimator and an explicit-encoder one with the same initial network."""
    z_tilde = cohort["z"] / np.sqrt(N_SNPS)
    train = cohort["train"]
    encoder_penalty = params.pop("encoder_penalty", None)
    common = dict(hidden_layer_sizes=(8,), dtype="float64", random_state=0,
                  warm_start=True, tol=0.0, n_iter_no_change=1000, **params)
    kern = cls(encoder=GenotypeEncoder(dim=4, penalty=encoder_penalty,
                                       kernel="precomputed"), **common)
    dense = cls(encoder=GenotypeEncoder(n_features=N_SNPS, dim=4,
                                        penalty=encoder_penalty), **common)
    torch.manual_seed(3)
    kern.model_ = MLP(N_CLIN, 1, (8,), encoder=KernelEncoder(N_TRAIN, 4)).double()
    dense.model_ = MLP(N_CLIN, 1, (8,),
                       encoder=torch.nn.Linear(N_SNPS, 4, bias=False)).double()
    state = {k: v.clone() for k, v in kern.model_.state_dict().items()}
    # The explicit encoder that the dual coefficients stand for: E0 = W0 Z~_train.
    state["encoder.weight"] = kern.model_.encoder.weight.detach() @ torch.as_tensor(
        z_tilde[train])
    dense.model_.load_state_dict(state)
    x_kern = np.hstack([cohort["clinical"], cohort["kernel"]])
    x_dense = np.hstack([cohort["clinical"], z_tilde])
    return kern, dense, x_kern, x_dense


@pytest.mark.parametrize("encoder_penalty,penalty_mode", [
    (None, "proximal"), (L2(alpha=0.5), "proximal"), (L2(alpha=0.5), "autograd")])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("batch_size", [16, N_TRAIN])
def test_sgd_steps_equal_the_explicit_encoders(cohort, encoder_penalty, penalty_mode,
                                               momentum, batch_size):
    kern, dense, x_kern, x_dense = _pair(
        cohort, SparseMLPClassifier, solver="sgd", learning_rate_init=0.05,
        momentum=momentum, batch_size=batch_size, max_epochs=6,
        penalty=GroupLasso(alpha=0.01), penalty_mode=penalty_mode,
        encoder_penalty=encoder_penalty)
    tr, va, y = cohort["train"], cohort["valid"], cohort["y"]
    kern.fit(x_kern[tr], y[tr], validation_data=(x_kern[va], y[va]))
    dense.fit(x_dense[tr], y[tr], validation_data=(x_dense[va], y[va]))
    assert kern.best_epoch_ == dense.best_epoch_
    np.testing.assert_allclose(kern.predict_proba(x_kern[va]),
                               dense.predict_proba(x_dense[va]), rtol=0, atol=1e-10)
    np.testing.assert_allclose(kern.first_layer_weights_, dense.first_layer_weights_,
                               rtol=0, atol=1e-10)
    # The objective reports alpha/2 ||E||^2 of the explicit encoder.
    np.testing.assert_allclose([h["objective"] for h in kern.history_],
                               [h["objective"] for h in dense.history_], rtol=1e-10)
    explicit = kernel_encoder_weights(kern.encoder_.dual_coef_, cohort["g"], tr)
    np.testing.assert_allclose(explicit, dense.encoder_.weights_ / np.sqrt(N_SNPS),
                               rtol=0, atol=1e-10)


def test_held_out_samples_get_no_encoder_coefficients(cohort):
    """With the internal validation split only training samples carry coefficients."""
    y = cohort["y"]
    x = np.hstack([cohort["clinical"][:N_TRAIN], cohort["kernel"][:N_TRAIN]])
    est = SparseMLPClassifier((8,), encoder=GenotypeEncoder(dim=4, kernel="precomputed"),
                              solver="sgd", learning_rate_init=0.05, max_epochs=3,
                              validation_fraction=0.2, random_state=0)
    est.fit(x, y[:N_TRAIN])
    zero = (est.encoder_.dual_coef_ == 0).all(axis=1)
    # Held-out samples start at 0 and get no gradient; training samples move.
    assert zero.sum() == int(np.ceil(0.2 * N_TRAIN))


def test_refit_in_the_other_encoder_form_drops_the_old_attributes(cohort):
    tr, y = cohort["train"], cohort["y"]
    x_kern = np.hstack([cohort["clinical"], cohort["kernel"]])[tr]
    x_snps = np.hstack([cohort["clinical"], cohort["z"]])[tr]
    est = SparseMLPClassifier((4,), encoder=GenotypeEncoder(n_features=N_SNPS, dim=2),
                              max_epochs=2, random_state=0).fit(x_snps, y[tr])
    assert hasattr(est.encoder_, "weights_")
    est.set_params(encoder__kernel="precomputed", encoder__n_features=None).fit(x_kern, y[tr])
    assert hasattr(est.encoder_, "dual_coef_") and not hasattr(est.encoder_, "weights_")
    assert not hasattr(est.encoder_, "selected_features_")
    est.set_params(encoder=None).fit(x_snps, y[tr])
    assert not hasattr(est, "encoder_")


def test_rows_reordered_without_their_kernel_columns_are_refused(cohort):
    tr, y = cohort["train"], cohort["y"]
    x = np.hstack([cohort["clinical"], cohort["kernel"]])[tr]
    perm = np.random.default_rng(0).permutation(N_TRAIN)
    est = SparseMLPClassifier((4,), encoder=GenotypeEncoder(kernel="precomputed"),
                              max_epochs=1)
    with pytest.raises(ValueError, match="not symmetric"):
        est.fit(x[perm], y[tr][perm])


def test_adam_kernel_encoder_learns_the_genetic_signal(cohort):
    tr, x = cohort["train"], cohort["kernel"]
    est = SparseMLPRegressor((8,), encoder=GenotypeEncoder(dim=4, penalty=L2(alpha=1e-3),
                                                           kernel="precomputed"),
                             learning_rate_init=1e-2, max_epochs=200, early_stopping=False,
                             random_state=0)
    target = cohort["z"][:, :5].sum(axis=1)
    est.fit(x[tr], target[tr])
    assert est.score(x[tr], target[tr]) > 0.9
    assert est.history_[-1]["objective"] < 0.1 * est.history_[0]["objective"]


@pytest.mark.parametrize("params,match", [
    ({"n_features": N_TRAIN - 1}, "block must be"),
    ({"penalty": GroupLasso(alpha=0.1)}, "plain L2"),
    ({"penalty": L1(alpha=0.1)}, "plain L2"),
    ({"penalty": L2(alpha=0.1, penalty_factor=np.ones(N_TRAIN))}, "plain L2"),
])
def test_bad_kernel_settings_are_refused_with_the_parameter_named(cohort, params, match):
    x = np.hstack([cohort["clinical"][:N_TRAIN], cohort["kernel"][:N_TRAIN]])
    est = SparseMLPClassifier((4,), encoder=GenotypeEncoder(kernel="precomputed", **params),
                              max_epochs=1)
    with pytest.raises(ValueError, match=match):
        est.fit(x, cohort["y"][:N_TRAIN])


def test_explicit_encoder_needs_its_width(cohort):
    x = np.hstack([cohort["clinical"][:N_TRAIN], cohort["z"][:N_TRAIN]])
    with pytest.raises(ValueError, match="needs n_features"):
        SparseMLPClassifier((4,), encoder=GenotypeEncoder(), max_epochs=1).fit(
            x, cohort["y"][:N_TRAIN])


def test_fista_refuses_a_kernel_encoder(cohort):
    x = np.hstack([cohort["clinical"][:N_TRAIN], cohort["kernel"][:N_TRAIN]])
    est = SparseMLPClassifier((4,), encoder=GenotypeEncoder(kernel="precomputed"),
                              solver="fista")
    with pytest.raises(ValueError, match="kernel encoder"):
        est.fit(x, cohort["y"][:N_TRAIN])


def test_explicit_encoder_estimator_predicts_like_the_kernel_one(cohort):
    tr, va, y = cohort["train"], cohort["valid"], cohort["y"]
    x_kern = np.hstack([cohort["clinical"], cohort["kernel"]])
    for skip in (False, True):
        est = SparseMLPClassifier((8,), encoder=GenotypeEncoder(dim=4, kernel="precomputed"),
                                  skip_connection=skip, max_epochs=20, dtype="float64",
                                  penalty=GroupLasso(alpha=0.01), random_state=0)
        est.fit(x_kern[tr], y[tr], validation_data=(x_kern[va], y[va]))
        weights = kernel_encoder_weights(est.encoder_.dual_coef_, cohort["g"], tr)
        explicit = explicit_encoder_estimator(est, weights)
        x_snps = np.hstack([cohort["clinical"], cohort["z"]])
        np.testing.assert_allclose(explicit.predict_proba(x_snps[va]),
                                   est.predict_proba(x_kern[va]), rtol=0, atol=1e-10)
        assert explicit.encoder.kernel is None
        assert explicit.n_features_in_ == N_CLIN + N_SNPS
        np.testing.assert_array_equal(explicit.first_layer_weights_,
                                      est.first_layer_weights_)
        np.testing.assert_allclose(explicit.encoder_.weights_, weights)
        assert explicit.best_epoch_ == est.best_epoch_
        assert not hasattr(explicit.encoder_, "dual_coef_")
    with pytest.raises(ValueError, match="kernel='precomputed'"):
        explicit_encoder_estimator(explicit, weights)


def test_explicit_encoder_estimator_keeps_dataframe_column_names(cohort):
    import pandas as pd

    tr, y = cohort["train"], cohort["y"]
    names = ["age", "sbp", "bmi"] + [f"k{j}" for j in range(N_TRAIN)]
    frame = pd.DataFrame(np.hstack([cohort["clinical"], cohort["kernel"]])[tr], columns=names)
    est = SparseMLPClassifier((4,), encoder=GenotypeEncoder(dim=2, kernel="precomputed"),
                              max_epochs=2, random_state=0).fit(frame, y[tr])
    weights = kernel_encoder_weights(est.encoder_.dual_coef_, cohort["g"], tr)
    explicit = explicit_encoder_estimator(est, weights, snp_names=cohort["g"].snp_names)
    assert list(explicit.first_layer_feature_names_) == ["genetic_0", "genetic_1", "age",
                                                         "sbp", "bmi"]
    assert list(explicit.feature_names_in_[:4]) == ["age", "sbp", "bmi", "rs0"]

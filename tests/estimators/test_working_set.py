"""The SNP-level path on working sets: its KKT check and what it selects."""

import numpy as np
import pytest
import torch

from riata import L1, GroupLasso, SparseMLPRegressor
from riata.data import Genotypes
from riata.estimators import fit_snp_path
from riata.estimators._working_set import _Genotypes, _output_gradient, _resized

N, P, CAUSAL = 240, 400, (3, 50, 177)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    values = rng.binomial(2, rng.uniform(0.1, 0.5, P), size=(N, P)).astype(np.int8)
    g = Genotypes(values, snp_names=[f"rs{j}" for j in range(P)], chromosome=["1"] * P,
                  bp_position=np.arange(P), sample_ids=[f"s{i}" for i in range(N)])
    train, valid = np.arange(160), np.arange(160, N)
    mean, scale = g.mean_and_scale(train)
    z = g.standardized(None, mean, scale, dtype=np.float64)
    clinical = rng.normal(size=(N, 2))
    y = z[:, list(CAUSAL)].sum(axis=1) + clinical[:, 0] + 0.3 * rng.normal(size=N)
    return dict(values=values, z=z, clinical=clinical, y=y, train=train, valid=valid,
                mean=mean, scale=scale)


def _estimator(**params):
    settings = dict(encoder_dim=4, encoder_penalty=GroupLasso(), learning_rate_init=1e-2,
                    batch_size=1000, max_epochs=150, n_iter_no_change=15,
                    dtype="float64", random_state=0)
    return SparseMLPRegressor((8,), **{**settings, **params})


def _path(data, **kwargs):
    tr, va = data["train"], data["valid"]
    return fit_snp_path(_estimator(), data["clinical"][tr], data["y"][tr],
                        validation_data=(data["clinical"][va], data["y"][va]),
                        genotypes=data["values"], train_rows=tr, valid_rows=va,
                        mean=data["mean"], scale=data["scale"], n_alphas=5, eps=0.05,
                        **kwargs)


def test_snp_gradient_from_int8_equals_autograd_on_all_snps(data):
    """The KKT check's gradient is the explicit encoder's gradient over every SNP."""
    tr = data["train"]
    cols = np.array([3, 10, 50])
    est = _estimator(n_encoded_features=cols.size, max_epochs=3)
    x_ws = np.hstack([data["clinical"][tr], data["z"][np.ix_(tr, cols)]])
    est.fit(x_ws, data["y"][tr])
    geno = _Genotypes(data["values"], data["mean"], data["scale"], tr, data["valid"])
    ours = geno.gradient(_output_gradient(est, data["clinical"][tr], x_ws[:, 2:],
                                          data["y"][tr]))
    full = _resized(est.model_, 2, cols, np.arange(P), 4)
    x_all = torch.as_tensor(np.hstack([data["clinical"][tr], data["z"][tr]]))
    target = torch.as_tensor(data["y"][tr]).reshape(-1, 1)
    full.eval()
    est._loss(full(x_all), target).backward()
    np.testing.assert_allclose(ours, full.encoder.weight.grad.numpy().T, rtol=1e-5,
                               atol=1e-7)


def test_path_selects_the_causal_snps(data):
    path = _path(data)
    best = path.best_estimator
    kept = path.best_columns[(best.model_.encoder.weight.detach() != 0).any(dim=0).numpy()]
    assert set(CAUSAL) <= set(kept.tolist())
    assert len(kept) < P / 4
    assert path.alphas[0] == pytest.approx(path.alpha_max)


def test_recorded_kkt_ratio_is_that_of_the_dense_gradient(data):
    """max_kkt_outside is the certificate of the SNPs left out, computed over all SNPs."""
    tr = data["train"]
    path = _path(data)
    best, cols = path.best_estimator, path.best_columns
    full = _resized(best.model_, 2, cols, np.arange(P), 4)
    x_all = torch.as_tensor(np.hstack([data["clinical"][tr], data["z"][tr]]))
    full.eval()
    best._loss(full(x_all), torch.as_tensor(data["y"][tr]).reshape(-1, 1)).backward()
    norms = torch.linalg.vector_norm(full.encoder.weight.grad, dim=0).numpy()
    outside = np.setdiff1d(np.arange(P), cols)
    expected = norms[outside].max() / (2.0 * path.best_alpha)  # weight sqrt(4) = 2
    record = path.records[path.best_index]
    assert record["max_kkt_outside"] == pytest.approx(expected, rel=1e-5)
    # Violators were re-admitted until none was left or the rounds ran out.
    assert record["max_kkt_outside"] <= 1.05 or record["rounds"] == 4


def test_working_set_never_exceeds_its_cap(data):
    path = _path(data, max_working_set=30, min_working_set=5)
    assert max(r["working_set"] for r in path.records) <= 30


def test_genotypes_object_and_float64_inputs_are_accepted(data):
    tr, va = data["train"], data["valid"]
    g = Genotypes(data["values"], snp_names=[f"rs{j}" for j in range(P)],
                  chromosome=["1"] * P, bp_position=np.arange(P),
                  sample_ids=[f"s{i}" for i in range(N)])
    path = fit_snp_path(_estimator(max_epochs=5), data["clinical"][tr], data["y"][tr],
                        validation_data=(data["clinical"][va], data["y"][va]),
                        genotypes=g, train_rows=tr, valid_rows=va, mean=data["mean"],
                        scale=data["scale"], n_alphas=2)
    assert next(path.best_estimator.model_.parameters()).dtype == torch.float64


def test_working_set_settings_are_checked(data):
    tr, va = data["train"], data["valid"]
    with pytest.raises(ValueError, match="min_working_set"):
        fit_snp_path(_estimator(), data["clinical"][tr], data["y"][tr],
                     validation_data=(data["clinical"][va], data["y"][va]),
                     genotypes=data["values"], train_rows=tr, valid_rows=va,
                     mean=data["mean"], scale=data["scale"], min_working_set=0)


@pytest.mark.parametrize("params,match", [
    ({"encoder_penalty": L1(alpha=0.1)}, "GroupLasso"),
    ({"encoder_penalty": GroupLasso(penalty_factor=np.ones(P))}, "penalty_factor"),
])
def test_bad_settings_are_refused(data, params, match):
    tr, va = data["train"], data["valid"]
    with pytest.raises(ValueError, match=match):
        fit_snp_path(_estimator().set_params(**params), data["clinical"][tr],
                     data["y"][tr], validation_data=(data["clinical"][va], data["y"][va]),
                     genotypes=data["values"], train_rows=tr, valid_rows=va,
                     mean=data["mean"], scale=data["scale"])

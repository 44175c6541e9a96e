"""Int8GenotypeEncoder: the standardized linear map, read from int8 in SNP blocks."""

import numpy as np
import pytest
import torch

from riata.data import MISSING_GENOTYPE
from riata.models import ENCODER_WEIGHT, MLP, Int8GenotypeEncoder
from riata.optim import ProxAdam
from riata.penalties import GroupLasso
from riata.training import train_module


def _genotypes(n=40, p=37, seed=0, missing=True, monomorphic=True):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 3, size=(n, p), dtype=np.int8)
    if monomorphic:
        X[:, 4] = 1
    if missing:
        X[rng.random((n, p)) < 0.05] = MISSING_GENOTYPE
    observed = X != MISSING_GENOTYPE
    counts = observed.sum(0)
    mean = np.where(observed, X, 0).sum(0) / counts
    sd = np.sqrt(np.where(observed, (X - mean) ** 2, 0).sum(0) / counts)
    scale = np.where(sd > 0, sd, 1.0)
    Z = np.where(observed, (X - mean) / scale, 0.0)
    return X, mean, scale, Z


@pytest.mark.parametrize("block_size", [1, 5, 37, 4096])
def test_forward_and_gradient_equal_the_float_standardized_product(block_size):
    X, mean, scale, Z = _genotypes()
    enc = Int8GenotypeEncoder(X, mean, scale, 3, block_size=block_size).double()
    rows = np.array([3, 0, 39, 3, 17])  # repeated rows too
    out = enc(torch.tensor(rows, dtype=torch.float64)[:, None])
    W = enc.weight.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), Z[rows] @ W.T, rtol=0, atol=1e-13)
    G = np.random.default_rng(1).normal(size=(rows.size, 3))
    out.backward(torch.tensor(G))
    np.testing.assert_allclose(enc.weight.grad.numpy(), G.T @ Z[rows], rtol=0, atol=1e-13)


def test_float32_agrees_with_float64_to_rounding():
    X, mean, scale, Z = _genotypes(n=30, p=3000, missing=False)
    enc = Int8GenotypeEncoder(X, mean, scale, 4, block_size=512)
    rows = torch.arange(30, dtype=torch.float32)[:, None]
    exact = Z @ enc.weight.detach().double().numpy().T
    np.testing.assert_allclose(enc(rows).detach().numpy(), exact, rtol=0,
                               atol=1e-5 * np.abs(exact).max())


def test_training_equals_a_float_encoder_step_for_step():
    """The same MLP, ProxAdam (group lasso on SNP columns) and batches: the int8 encoder
    over row indices follows the float encoder over standardized columns (float64).

    (No monomorphic SNP here: its float gradient is exactly 0, so ProxAdam never
    penalizes its weight, while the int8 product's is 0 only to rounding.)"""
    X, mean, scale, Z = _genotypes(n=60, p=25, monomorphic=False)
    rng = np.random.default_rng(2)
    clinical = rng.normal(size=(60, 3))
    y = torch.tensor(clinical[:, 0] + Z[:, 7] + 0.1 * rng.normal(size=60))[:, None]

    def fit(encoder, inputs):
        torch.manual_seed(0)
        net = MLP(3, 1, (5,), encoder=encoder).double()
        with torch.no_grad():
            net.encoder.weight.copy_(torch.linspace(-0.2, 0.2, 50).reshape(2, 25))
        encoder_weight = dict(net.named_parameters())[ENCODER_WEIGHT]
        rest = [p for name, p in net.named_parameters() if name != ENCODER_WEIGHT]
        opt = ProxAdam([{"params": [encoder_weight], "penalty": GroupLasso(alpha=0.05)},
                        {"params": rest}], lr=0.02, fused=True)
        train_module(net, opt, torch.nn.functional.mse_loss, torch.tensor(inputs), y,
                     max_epochs=15, batch_size=16, n_iter_no_change=100,
                     generator=torch.Generator().manual_seed(3))
        return net.encoder.weight.detach().numpy()

    dense = torch.nn.Linear(25, 2, bias=False)
    rows = np.arange(60, dtype=float)[:, None]
    with pytest.warns(Warning):  # max_epochs reached
        w_float = fit(dense, np.hstack([clinical, Z]))
    with pytest.warns(Warning):
        w_int8 = fit(Int8GenotypeEncoder(X, mean, scale, 2, block_size=8),
                     np.hstack([clinical, rows]))
    np.testing.assert_allclose(w_int8, w_float, rtol=0, atol=1e-10)
    assert 0 < (np.abs(w_float).sum(0) == 0).sum() < 25  # the prox zeroed some SNPs
    np.testing.assert_array_equal(w_int8 == 0, w_float == 0)


def test_the_genotypes_stay_out_of_the_state_dict_and_out_of_casts():
    X, mean, scale, _ = _genotypes(n=10, p=6)
    enc = Int8GenotypeEncoder(X, mean, scale, 2).double()
    assert set(enc.state_dict()) == {"weight", "mean", "inv_scale"}
    assert enc.genotypes.dtype == torch.int8
    assert Int8GenotypeEncoder.__init__.__kwdefaults__["missing_value"] == MISSING_GENOTYPE


def test_bad_inputs_are_refused_with_the_reason():
    X, mean, scale, _ = _genotypes(n=10, p=6)
    with pytest.raises(TypeError, match="int8"):
        Int8GenotypeEncoder(X.astype(np.float32), mean, scale, 2)
    with pytest.raises(ValueError, match=r"scale must have shape \(6,\)"):
        Int8GenotypeEncoder(X, mean, scale[:5], 2)
    with pytest.raises(ValueError, match="finite and > 0"):
        Int8GenotypeEncoder(X, mean, np.zeros(6), 2)
    enc = Int8GenotypeEncoder(X, mean, scale, 2)
    with pytest.raises(ValueError, match=r"integers in \[0, 10\)"):
        enc(torch.tensor([[1.5]]))
    with pytest.raises(ValueError, match=r"integers in \[0, 10\)"):
        enc(torch.tensor([[10.0]]))
    with pytest.raises(ValueError, match="one input column"):
        enc(torch.zeros(2, 6))


def test_index_columns_that_cannot_hold_every_row_and_tiny_scales_are_refused():
    X = np.zeros((300, 4), dtype=np.int8)
    enc = Int8GenotypeEncoder(X, np.zeros(4), np.ones(4), 2)
    with pytest.raises(ValueError, match="float64"):
        enc(torch.tensor([[257.0]]).bfloat16())  # bfloat16 would read row 256
    assert enc(torch.tensor([[257.0]])).shape == (1, 2)  # float32 holds it
    with pytest.raises(ValueError, match="finite inverse"):
        Int8GenotypeEncoder(X, np.zeros(4), np.full(4, 1e-320), 2)


def test_an_encoder_with_no_snp_column_trains_under_a_penalty():
    """An SNP-sharded rank can hold no SNP (more ranks than SNP chunks)."""
    from riata.penalties import L1

    enc = Int8GenotypeEncoder(np.zeros((5, 0), dtype=np.int8), np.zeros(0), np.ones(0), 2)
    for penalty, fused in ((GroupLasso(alpha=0.1), True), (L1(alpha=0.1), False)):
        opt = ProxAdam([{"params": [enc.weight], "penalty": penalty}], fused=fused)
        out = enc(torch.tensor([[0.0], [4.0]]))
        assert torch.equal(out, torch.zeros(2, 2))
        (out.sum() + penalty.value(enc.weight)).backward()
        opt.step()
        assert enc.weight.shape == (2, 0)

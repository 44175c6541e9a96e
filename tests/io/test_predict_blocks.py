"""Predicting from int8 genotypes a block of rows at a time changes nothing but rounding."""

import numpy as np
import pytest

from riata import SparseMLPClassifier, SparseMLPRegressor
from riata.data import Genotypes, assemble_features
from riata.estimators import GenotypeEncoder
from riata.workflows import predict_from_genotypes, predict_in_batches


@pytest.mark.parametrize("cls", [SparseMLPClassifier, SparseMLPRegressor])
def test_block_by_block_equals_all_at_once(cls):
    rng = np.random.default_rng(0)
    n, p = 50, 30
    values = rng.integers(0, 3, size=(n, p)).astype(np.int8)
    values[rng.random(values.shape) < 0.05] = -127
    g = Genotypes(values, snp_names=[f"rs{j}" for j in range(p)], chromosome=["1"] * p,
                  bp_position=np.arange(p), sample_ids=[f"s{i}" for i in range(n)])
    mean, scale = g.mean_and_scale()
    clinical = rng.normal(size=(n, 3))
    rows = rng.permutation(n)[:40]
    X = assemble_features(clinical, g, rows, mean, scale)
    y = (X[:, 0] > 0).astype(int)
    est = cls((4,), encoder=GenotypeEncoder(n_features=p, dim=2), max_epochs=3,
              random_state=0).fit(X, y)
    whole = predict_in_batches(est, X)
    # 3 rows per block (block_bytes = 3 rows of 33 float32 columns).
    blocks = predict_from_genotypes(est, clinical, g, rows, mean, scale,
                                    block_bytes=3 * 33 * 4)
    assert whole.keys() == blocks.keys()
    # float64 GEMMs over different row counts round differently in the last bit.
    for key in whole:
        np.testing.assert_allclose(whole[key], blocks[key], rtol=1e-12, atol=1e-15)

"""Products of standardized int8 genotypes, computed one block of SNPs at a time."""

import numpy as np
import pytest

from riata.data import DataError, Genotypes, genotype_kernel, kernel_encoder_weights
from riata.data._kernel import genotype_transpose_product, standardized_columns

N, P, N_REF = 60, 45, 40


@pytest.fixture(scope="module")
def geno():
    rng = np.random.default_rng(0)
    values = rng.binomial(2, rng.uniform(0.05, 0.5, P), size=(N, P)).astype(np.int8)
    values[rng.random(values.shape) < 0.03] = -127
    values[:, 7] = 1  # a monomorphic SNP: standardizes to 0, not NaN
    g = Genotypes(values, snp_names=[f"rs{j}" for j in range(P)], chromosome=["1"] * P,
                  bp_position=np.arange(P), sample_ids=[f"s{i}" for i in range(N)])
    ref = np.arange(5, 5 + N_REF)
    mean, scale = g.mean_and_scale(ref)
    z = g.standardized(None, mean, scale, dtype=np.float64)
    return {"g": g, "ref": ref, "mean": mean, "scale": scale, "z": z}


@pytest.mark.parametrize("block_size", [1, 7, 4096])
def test_kernel_is_the_scaled_gram_matrix_of_standardized_genotypes(geno, block_size):
    z, ref = geno["z"], geno["ref"]
    expected = z @ z[ref].T / P
    got = genotype_kernel(geno["g"], ref, block_size=block_size, dtype=np.float64)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    rows = [3, 0, 59]
    np.testing.assert_allclose(genotype_kernel(geno["g"].values, ref, rows=rows,
                                               block_size=block_size, dtype=np.float64),
                               expected[rows], rtol=0, atol=1e-12)
    # float32 blocks are accumulated in float64: rounding of float32 products only.
    np.testing.assert_allclose(genotype_kernel(geno["g"], ref), expected, rtol=0,
                               atol=1e-5)
    assert np.isfinite(got).all()


def test_transpose_product_and_columns_match_the_dense_standardized_matrix(geno):
    z, rows = geno["z"], np.array([4, 9, 1, 33])
    right = np.random.default_rng(1).normal(size=(rows.size, 3))
    got = genotype_transpose_product(geno["g"], rows, right, geno["mean"], geno["scale"],
                                     block_size=10, dtype=np.float64)
    np.testing.assert_allclose(got, z[rows].T @ right, rtol=0, atol=1e-12)
    cols = np.array([44, 0, 7])
    np.testing.assert_allclose(
        standardized_columns(geno["g"], rows, cols, geno["mean"], geno["scale"],
                             dtype=np.float64), z[np.ix_(rows, cols)], rtol=0, atol=1e-12)


def test_kernel_encoder_weights_reproduce_the_kernel_outputs(geno):
    dual = np.random.default_rng(2).normal(size=(N_REF, 4))
    weights = kernel_encoder_weights(dual, geno["g"], geno["ref"], block_size=11)
    kernel = genotype_kernel(geno["g"], geno["ref"], dtype=np.float64)
    np.testing.assert_allclose(geno["z"] @ weights, kernel @ dual, rtol=0, atol=1e-12)


@pytest.mark.parametrize("call,match", [
    (lambda g: genotype_kernel(g["z"], g["ref"]), "int8"),
    (lambda g: genotype_kernel(g["g"], g["ref"], block_size=0), "block_size"),
    (lambda g: genotype_kernel(g["g"], g["ref"], dtype=np.int64), "dtype"),
    (lambda g: genotype_kernel(g["g"], g["ref"], mean=g["mean"]), "both mean and scale"),
    (lambda g: kernel_encoder_weights(np.ones((3, 2)), g["g"], g["ref"]), "dual_coef"),
])
def test_bad_arguments_name_the_parameter(geno, call, match):
    with pytest.raises(DataError, match=match):
        call(geno)

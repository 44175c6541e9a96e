"""Genotypes split by SNP over gloo ranks give what one process gives: statistics,
standardized columns, transpose products, the kernel, and a whole SNP path."""

from __future__ import annotations

import numpy as np
import pytest

from riata import GroupLasso, SparseMLPClassifier
from riata.data import (
    DataError,
    Genotypes,
    ShardedGenotypes,
    genotype_kernel,
    genotype_transpose_product,
    kernel_encoder_weights,
    snp_shard,
    standardized_columns,
)
from riata.estimators import fit_genotype_path

from ._ranks import run_on_ranks

N, P, CAUSAL = 300, 200, (3, 70, 150)


def _genotypes(seed=0, n=N, p=P) -> Genotypes:
    rng = np.random.default_rng(seed)
    values = rng.binomial(2, rng.uniform(0.05, 0.5, p), size=(n, p)).astype(np.int8)
    values[rng.random(values.shape) < 0.02] = -127
    return Genotypes(values, snp_names=[f"rs{j}" for j in range(p)],
                     chromosome=["1"] * p, bp_position=np.arange(p) * 100,
                     sample_ids=[f"s{i}" for i in range(n)])


def _shard(g: Genotypes, rank: int, world_size: int) -> ShardedGenotypes:
    start, stop = snp_shard(g.n_snps, rank, world_size)
    local = Genotypes(np.asfortranarray(g.values[:, start:stop]),
                      snp_names=g.snp_names[start:stop], chromosome=g.chromosome[start:stop],
                      bp_position=g.bp_position[start:stop], sample_ids=g.sample_ids)
    return ShardedGenotypes(local, start=start, snp_names=g.snp_names,
                            chromosome=g.chromosome, bp_position=g.bp_position)


def test_snp_shard_splits_aligned_chunks_into_contiguous_ranges_larger_first():
    assert [snp_shard(10, r, 3, align=1) for r in range(3)] == [(0, 4), (4, 7), (7, 10)]
    assert [snp_shard(2, r, 3, align=1) for r in range(3)] == [(0, 1), (1, 2), (2, 2)]
    # 200 SNPs are 4 chunks of 64 (the last of 8): 2 + 1 + 1 over three ranks
    assert [snp_shard(200, r, 3) for r in range(3)] == [(0, 128), (128, 192), (192, 200)]
    assert [snp_shard(41, r, 2) for r in range(2)] == [(0, 41), (41, 41)]
    with pytest.raises(ValueError, match="rank 3"):
        snp_shard(10, 3, 3)


def test_values_of_a_shard_raise_naming_its_range():
    shard = _shard(_genotypes(), 1, 2)
    with pytest.raises(DataError, match=r"holds SNPs \[128, 200\) of 200"):
        shard.values  # noqa: B018


def _operations(rank, world_size):
    g = _genotypes()
    shard = _shard(g, rank, world_size)
    train = np.arange(0, N, 2)
    mean, scale = shard.mean_and_scale(train)
    cols = np.array([199, 0, 127, 128, 13])
    right = np.random.default_rng(1).normal(size=(train.size, 3))
    dual = np.random.default_rng(2).normal(size=(train.size, 4))
    return dict(
        mean=mean, scale=scale,
        columns=standardized_columns(shard, np.arange(7), cols, mean, scale,
                                     dtype=np.float64),
        product=genotype_transpose_product(shard, train, right, mean, scale,
                                           dtype=np.float64),
        product32=genotype_transpose_product(shard, train, right, mean, scale),
        kernel=genotype_kernel(shard, train, rows=np.arange(20), dtype=np.float64),
        weights=kernel_encoder_weights(dual, shard, train),
        missing=shard.missing_calls(np.arange(N)))


@pytest.mark.parametrize("world_size", [2, 3])
def test_collective_operations_equal_one_process(world_size):
    results = run_on_ranks(_operations, world_size)
    g = _genotypes()
    train = np.arange(0, N, 2)
    mean, scale = g.mean_and_scale(train)
    cols = np.array([199, 0, 127, 128, 13])
    right = np.random.default_rng(1).normal(size=(train.size, 3))
    dual = np.random.default_rng(2).normal(size=(train.size, 4))
    for got in results:  # every rank holds the whole answer
        np.testing.assert_array_equal(got["mean"], mean)
        np.testing.assert_array_equal(got["scale"], scale)
        np.testing.assert_array_equal(got["columns"], standardized_columns(
            g, np.arange(7), cols, mean, scale, dtype=np.float64))
        # aligned to SNP_CHUNK, every SNP's product is the one-process computation
        np.testing.assert_array_equal(got["product"], genotype_transpose_product(
            g, train, right, mean, scale, dtype=np.float64))
        np.testing.assert_array_equal(got["product32"], genotype_transpose_product(
            g, train, right, mean, scale))
        np.testing.assert_allclose(got["kernel"], genotype_kernel(
            g, train, rows=np.arange(20), dtype=np.float64), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got["weights"], kernel_encoder_weights(dual, g, train),
                                   rtol=1e-12, atol=1e-12)
        assert got["missing"] == g.missing_calls(np.arange(N))


def _problem():
    g = _genotypes(seed=4, n=500, p=200)
    rng = np.random.default_rng(5)
    train, valid = np.arange(350), np.arange(350, 500)
    mean, scale = g.mean_and_scale(train)
    z = np.where(g.values == -127, 0.0, (g.values - mean) / scale)
    clinical = rng.normal(size=(500, 2))
    signal = 1.2 * z[:, list(CAUSAL)].sum(axis=1) + clinical[:, 0]
    y = (rng.random(500) < 1 / (1 + np.exp(-signal))).astype(int)
    return g, clinical, y, train, valid


def _path(genotypes, clinical, y, train, valid, **kwargs):
    mean, scale = genotypes.mean_and_scale(train)
    est = SparseMLPClassifier((4,), penalty=GroupLasso(), skip_connection=True,
                              hidden_alpha="penalty", solver="fista", max_epochs=1000,
                              tol=1e-8, dtype="float64", random_state=0)
    path = fit_genotype_path(est, clinical[train], y[train],
                             validation_data=(clinical[valid], y[valid]),
                             genotypes=genotypes, train_rows=train, valid_rows=valid,
                             mean=mean, scale=scale, n_alphas=12, min_working_set=5,
                             n_alphas_no_change=3, dtype=np.float64, **kwargs)
    return dict(alphas=path.alphas, alpha_max=path.alpha_max,
                records=[(r.n_snps, r.working_set, r.rounds, r.max_kkt_outside,
                          r.valid_loss) for r in path.records],
                columns=path.best_columns,
                importances=path.best_estimator.feature_importances_)


def _sharded_path(rank, world_size):
    g, clinical, y, train, valid = _problem()
    return _path(_shard(g, rank, world_size), clinical, y, train, valid)


@pytest.mark.parametrize("world_size", [2, pytest.param(3, marks=pytest.mark.slow)])
def test_a_snp_path_over_shards_equals_the_single_process_path(world_size):
    g, clinical, y, train, valid = _problem()
    single = _path(g, clinical, y, train, valid)
    assert len(set(CAUSAL) & set(single["columns"][single["importances"][2:] > 0])) == 3
    for got in run_on_ranks(_sharded_path, world_size):
        # Aligned shards make every pass over the SNPs the one-process computation and
        # the fits on the working sets are replicated: the path is bitwise the same.
        assert got["alpha_max"] == single["alpha_max"]
        np.testing.assert_array_equal(got["alphas"], single["alphas"])
        assert got["records"] == single["records"]
        np.testing.assert_array_equal(got["columns"], single["columns"])
        np.testing.assert_array_equal(got["importances"], single["importances"])

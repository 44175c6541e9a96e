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

N, P, CAUSAL = 300, 97, (3, 50, 90)


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


def test_snp_shard_splits_into_contiguous_ranges_larger_first():
    assert [snp_shard(10, r, 3) for r in range(3)] == [(0, 4), (4, 7), (7, 10)]
    assert [snp_shard(2, r, 3) for r in range(3)] == [(0, 1), (1, 2), (2, 2)]
    with pytest.raises(ValueError, match="rank 3"):
        snp_shard(10, 3, 3)


def test_values_of_a_shard_raise_naming_its_range():
    shard = _shard(_genotypes(), 1, 2)
    with pytest.raises(DataError, match=r"holds SNPs \[49, 97\) of 97"):
        shard.values  # noqa: B018


def _operations(rank, world_size):
    g = _genotypes()
    shard = _shard(g, rank, world_size)
    train = np.arange(0, N, 2)
    mean, scale = shard.mean_and_scale(train)
    cols = np.array([96, 0, 48, 49, 13])
    right = np.random.default_rng(1).normal(size=(train.size, 3))
    dual = np.random.default_rng(2).normal(size=(train.size, 4))
    return dict(
        mean=mean, scale=scale,
        columns=standardized_columns(shard, np.arange(7), cols, mean, scale,
                                     dtype=np.float64),
        product=genotype_transpose_product(shard, train, right, mean, scale,
                                           dtype=np.float64),
        kernel=genotype_kernel(shard, train, rows=np.arange(20), dtype=np.float64),
        weights=kernel_encoder_weights(dual, shard, train),
        missing=shard.missing_calls(np.arange(N)))


@pytest.mark.parametrize("world_size", [2, 3])
def test_collective_operations_equal_one_process(world_size):
    results = run_on_ranks(_operations, world_size)
    g = _genotypes()
    train = np.arange(0, N, 2)
    mean, scale = g.mean_and_scale(train)
    cols = np.array([96, 0, 48, 49, 13])
    right = np.random.default_rng(1).normal(size=(train.size, 3))
    dual = np.random.default_rng(2).normal(size=(train.size, 4))
    for got in results:  # every rank holds the whole answer
        np.testing.assert_array_equal(got["mean"], mean)
        np.testing.assert_array_equal(got["scale"], scale)
        np.testing.assert_array_equal(got["columns"], standardized_columns(
            g, np.arange(7), cols, mean, scale, dtype=np.float64))
        np.testing.assert_allclose(got["product"], genotype_transpose_product(
            g, train, right, mean, scale, dtype=np.float64), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got["kernel"], genotype_kernel(
            g, train, rows=np.arange(20), dtype=np.float64), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got["weights"], kernel_encoder_weights(dual, g, train),
                                   rtol=1e-12, atol=1e-12)
        assert got["missing"] == g.missing_calls(np.arange(N))


def _problem():
    g = _genotypes(seed=4, n=500, p=120)
    rng = np.random.default_rng(5)
    train, valid = np.arange(350), np.arange(350, 500)
    mean, scale = g.mean_and_scale(train)
    z = np.where(g.values == -127, 0.0, (g.values - mean) / scale)
    clinical = rng.normal(size=(500, 2))
    signal = 1.2 * z[:, list(CAUSAL)].sum(axis=1) + clinical[:, 0]
    y = (rng.random(500) < 1 / (1 + np.exp(-signal))).astype(int)
    return g, clinical, y, train, valid


def _path(genotypes, clinical, y, train, valid):
    mean, scale = genotypes.mean_and_scale(train)
    est = SparseMLPClassifier((4,), penalty=GroupLasso(), skip_connection=True,
                              hidden_alpha="penalty", solver="fista", max_epochs=1000,
                              tol=1e-8, dtype="float64", random_state=0)
    path = fit_genotype_path(est, clinical[train], y[train],
                             validation_data=(clinical[valid], y[valid]),
                             genotypes=genotypes, train_rows=train, valid_rows=valid,
                             mean=mean, scale=scale, n_alphas=12, min_working_set=5,
                             dtype=np.float64)
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
        np.testing.assert_allclose(got["alpha_max"], single["alpha_max"], rtol=1e-10)
        np.testing.assert_allclose(got["alphas"], single["alphas"], rtol=1e-10)
        assert [r[:3] for r in got["records"]] == [r[:3] for r in single["records"]]
        np.testing.assert_allclose([r[3:] for r in got["records"]],
                                   [r[3:] for r in single["records"]], rtol=1e-6)
        np.testing.assert_array_equal(got["columns"], single["columns"])
        np.testing.assert_allclose(got["importances"], single["importances"],
                                   rtol=1e-6, atol=1e-9)


def _write_cohort(root: str) -> None:
    bed_reader = pytest.importorskip("bed_reader")
    g = _genotypes(seed=7, n=60, p=23)
    values = g.values.astype(np.float32)
    values[g.values == -127] = np.nan
    bed_reader.to_bed(f"{root}/geno.bed", values, properties={
        "fid": g.sample_ids, "iid": g.sample_ids, "sid": g.snp_names,
        "chromosome": g.chromosome, "bp_position": g.bp_position,
        "allele_1": ["A"] * 23, "allele_2": ["G"] * 23})
    y = np.arange(60) % 2
    import pandas as pd
    pd.DataFrame({"pid": g.sample_ids[::-1], "age": np.arange(60.0), "y": y}).to_csv(
        f"{root}/clinical.csv", index=False)


def _read_shard(rank, world_size, root):
    from riata.data import read_table

    table = read_table(f"{root}/clinical.csv", target="y", id_column="pid",
                       plink_prefix=f"{root}/geno", snp_shard_of=(rank, world_size))
    g = table.genotypes
    return dict(local=g.local.values, start=g.start, names=g.snp_names,
                ids=g.sample_ids, stats=g.mean_and_scale(np.arange(40)))


@pytest.mark.parametrize("world_size", [2, 3])
def test_each_rank_reads_its_snp_range_of_the_plink_file(tmp_path, world_size):
    from riata.data import read_table

    _write_cohort(str(tmp_path))
    whole = read_table(tmp_path / "clinical.csv", target="y", id_column="pid",
                       plink_prefix=tmp_path / "geno").genotypes
    stats = whole.mean_and_scale(np.arange(40))
    for rank, got in enumerate(run_on_ranks(_read_shard, world_size, str(tmp_path))):
        start, stop = snp_shard(23, rank, world_size)
        assert got["start"] == start
        np.testing.assert_array_equal(got["local"], whole.values[:, start:stop])
        np.testing.assert_array_equal(got["names"], whole.snp_names)
        np.testing.assert_array_equal(got["ids"], whole.sample_ids)
        for a, b in zip(got["stats"], stats):
            np.testing.assert_array_equal(a, b)

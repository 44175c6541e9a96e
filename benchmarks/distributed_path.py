"""SNP-sharded fits over torch.distributed ranks: time, communication and memory.

Issue 13, item 6. Simulates ``n x p`` int8 genotypes in blocks of SNPs, each block from
its own seed (so a rank makes exactly its own SNP range), 5 clinical columns and a
binary outcome with ``--causal`` causal SNPs, a 70/30 train/validation split; then, for
each configuration (processes x torch threads per process):

(a) the *KKT pass*: :func:`riata.data.genotype_transpose_product` over every SNP for
    the training rows and ``k = 21`` columns, reduced to one number per SNP
    (``per_snp``, as the working-set path does after each fit to get every SNP's
    critical alpha; the pass that reads all genotypes), best of ``--repeats``;
(b) the *SNP path*: :func:`riata.estimators.fit_genotype_path` with riata's SNP
    network (20 hidden units, a skip path, group lasso, the deeper layers' ridge
    equal to alpha, full-batch FISTA) over
    ``--n-alphas`` alphas chosen on the validation rows.

With one process the genotypes are a plain :class:`riata.data.Genotypes`; with several,
each rank holds its :class:`riata.data.ShardedGenotypes` and the ranks run on gloo
(spawned here, one per process, as torchrun would). Printed per configuration: seconds
per KKT pass and for the path, the bytes each rank all-reduced (counted by wrapping
``torch.distributed.all_reduce``) per KKT pass and over the path, each rank's peak
resident memory (``getrusage``), and whether the selected SNPs equal the first
configuration's.

Usage::

    python benchmarks/distributed_path.py                      # 20,000 x 100,000
    python benchmarks/distributed_path.py --samples 4000 --snps 20000 --quick

docs/scale.md shows a run and the plan for 500,000 x 800,000 that rests on it.
"""

from __future__ import annotations

import argparse
import os
import pickle
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_description  # noqa: E402

from riata import GroupLasso, SparseMLPClassifier  # noqa: E402
from riata.data import (  # noqa: E402
    Genotypes,
    ShardedGenotypes,
    genotype_transpose_product,
    snp_shard,
)
from riata.estimators import fit_genotype_path  # noqa: E402

BLOCK = 4096
K = 21  # 20 hidden units + the skip path: the columns of the KKT pass


def simulate_block(seed: int, block: int, n: int, p: int) -> np.ndarray:
    """SNPs ``[block * BLOCK, ...)``: allele counts with MAF uniform on [0.05, 0.5]."""
    size = min(BLOCK, p - block * BLOCK)
    rng = np.random.default_rng([seed, block])
    maf = rng.uniform(0.05, 0.5, size)
    return rng.binomial(2, maf, size=(n, size)).astype(np.int8)


def simulate_range(seed: int, n: int, p: int, start: int, stop: int) -> np.ndarray:
    """Columns ``[start, stop)`` of the whole simulated matrix (Fortran order)."""
    out = np.empty((n, stop - start), dtype=np.int8, order="F")
    for block in range(start // BLOCK, (stop - 1) // BLOCK + 1 if stop > start else 0):
        lo, hi = max(start, block * BLOCK), min(stop, (block + 1) * BLOCK)
        out[:, lo - start:hi - start] = simulate_block(seed, block, n, p)[
            :, lo - block * BLOCK:hi - block * BLOCK]
    return out


def problem(seed: int, n: int, p: int, n_causal: int):
    """Clinical columns, outcome, causal SNPs and the split (replicated on every rank)."""
    rng = np.random.default_rng(seed)
    causal = np.sort(rng.choice(p, n_causal, replace=False))
    dose = np.hstack([simulate_range(seed, n, p, j, j + 1) for j in causal]).astype(float)
    dose = (dose - dose.mean(axis=0)) / dose.std(axis=0)
    clinical = rng.normal(size=(n, 5))
    logit = 0.5 * clinical[:, 0] + 0.3 * dose.sum(axis=1) - 1.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    train = np.arange(int(0.7 * n))
    return dict(clinical=clinical, y=y, causal=causal, train=train,
                valid=np.arange(train.size, n))


def _genotypes(values: np.ndarray, start: int, p: int):
    names = np.array([f"snp{j}" for j in range(p)])
    meta = dict(chromosome=np.full(p, "1"), bp_position=np.arange(p))
    ids = np.arange(values.shape[0]).astype(str)
    local = Genotypes(values, snp_names=names[start:start + values.shape[1]],
                      chromosome=meta["chromosome"][start:start + values.shape[1]],
                      bp_position=meta["bp_position"][start:start + values.shape[1]],
                      sample_ids=ids)
    return local, names, meta


def measure(genotypes, data, args) -> dict:
    """(a) and (b) on this process's genotypes; the same calls on every rank."""
    sent = {"bytes": 0}
    if dist.is_initialized():
        reduce = dist.all_reduce

        def counted(tensor, *a, **kw):
            sent["bytes"] += tensor.numel() * tensor.element_size()
            return reduce(tensor, *a, **kw)

        dist.all_reduce = counted
    train = data["train"]
    mean, scale = genotypes.mean_and_scale(train)
    right = np.random.default_rng(1).normal(size=(train.size, K)).astype(np.float32)
    times, before = [], sent["bytes"]
    for _ in range(args.repeats):
        started = time.perf_counter()
        genotype_transpose_product(genotypes, train, right, mean, scale,
                                   per_snp=lambda block: np.linalg.norm(block, axis=1))
        times.append(time.perf_counter() - started)
    kkt_bytes = (sent["bytes"] - before) // args.repeats
    # hidden_alpha="penalty": the deeper layers' ridge follows alpha, so that the
    # hidden units cannot fit noise SNPs cheaply (as tests/estimators' SNP paths do).
    est = SparseMLPClassifier((20,), penalty=GroupLasso(), skip_connection=True,
                              hidden_alpha="penalty", solver="fista",
                              max_epochs=args.max_epochs, tol=1e-6, random_state=0)
    before, started = sent["bytes"], time.perf_counter()
    path = fit_genotype_path(
        est, data["clinical"][train], data["y"][train],
        validation_data=(data["clinical"][data["valid"]], data["y"][data["valid"]]),
        genotypes=genotypes, train_rows=train, valid_rows=data["valid"], mean=mean,
        scale=scale, n_alphas=args.n_alphas, n_alphas_no_change=None)
    path_seconds = time.perf_counter() - started
    kept = path.best_columns[path.best_estimator.feature_importances_[5:] > 0]
    return dict(kkt_seconds=min(times), kkt_bytes=kkt_bytes, path_seconds=path_seconds,
                path_bytes=sent["bytes"] - before, selected=np.sort(kept),
                peak_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
                alphas=len(path.records))


def _rank(rank, world, init_file, out_dir, args, data):
    torch.set_num_threads(args.threads_per_rank)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                            world_size=world)
    try:
        start, stop = snp_shard(args.snps, rank, world)
        local, names, meta = _genotypes(
            simulate_range(args.seed, args.samples, args.snps, start, stop), start,
            args.snps)
        shard = ShardedGenotypes(local, start=start, snp_names=names, **meta)
        result = measure(shard, data, args)
        with open(Path(out_dir) / f"rank{rank}.pkl", "wb") as handle:
            pickle.dump(result, handle)
    finally:
        dist.destroy_process_group()


def run(world: int, threads: int, args, data) -> list[dict]:
    """One configuration; one result per rank."""
    args = argparse.Namespace(**{**vars(args), "threads_per_rank": threads})
    if world == 1:
        torch.set_num_threads(threads)
        local, _, _ = _genotypes(simulate_range(args.seed, args.samples, args.snps, 0,
                                                args.snps), 0, args.snps)
        return [measure(local, data, args)]
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(_rank, args=(world, os.path.join(tmp, "init"), tmp, args, data),
                 nprocs=world, join=True)
        return [pickle.load(open(Path(tmp) / f"rank{r}.pkl", "rb")) for r in range(world)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--snps", type=int, default=100_000)
    parser.add_argument("--causal", type=int, default=20)
    parser.add_argument("--n-alphas", type=int, default=6)
    parser.add_argument("--max-epochs", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--configs", nargs="+", default=["1x1", "1x2", "2x1"],
                        help="processes x threads per process")
    parser.add_argument("--quick", action="store_true", help="2 alphas, 1 repeat")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_alphas, args.repeats = 2, 1
    print(machine_description())
    print(f"n = {args.samples:,} samples x p = {args.snps:,} SNPs "
          f"({args.samples * args.snps / 1e9:.2f} GB int8), {args.causal} causal, "
          f"{args.n_alphas} alphas\n")
    data = problem(args.seed, args.samples, args.snps, args.causal)
    rows, reference = [], None
    for config in args.configs:
        world, threads = (int(x) for x in config.split("x"))
        results = run(world, threads, args, data)
        first = results[0]
        if reference is None:
            reference = first["selected"]
        found = len(set(first["selected"]) & set(data["causal"]))
        rows.append(
            f"| {world} | {threads} | {first['kkt_seconds']:.2f} | "
            f"{first['path_seconds']:.1f} | {first['alphas']} | "
            f"{first['kkt_bytes'] / 2**20:.3f} | {first['path_bytes'] / 2**20:.2f} | "
            + ", ".join(f"{r['peak_rss_gb']:.2f}" for r in results)
            + f" | {first['selected'].size} ({found} causal) | "
            f"{np.array_equal(first['selected'], reference)} |")
    print("| processes | threads each | KKT pass (s) | SNP path (s) | alphas | "
          "all-reduced per KKT pass (MiB/rank) | all-reduced over the path (MiB/rank) | "
          "peak RSS per rank (GiB) | SNPs selected | same as first |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

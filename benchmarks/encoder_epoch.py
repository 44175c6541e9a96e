"""How far is one dense riata epoch of the genotype encoder from the machine limit?

Issue #5, item 4a. ``n = 3,000`` samples, genotype-like SNP matrices with ``p`` columns
(0/1/2 stored as int8, minor-allele frequencies uniform on [0.05, 0.5]), 15 clinical
covariates, ``encoder_dim = 20``. The int8 matrix is standardized once into a float32
``n x (15 + p)`` matrix (clinical columns first, SNPs last, as :class:`riata.models.MLP`
with an encoder over ``p`` columns expects) and a bf16 copy of the SNP block is made once.

Timed (``time.perf_counter``, one torch thread by default):

(a) the *limit*: the two skinny products an epoch cannot avoid, over all ``n`` rows,
    best of 3 each, fp32 and bf16 —
    forward ``X @ W^T`` (``n x p @ p x 20``) and weight gradient ``G^T @ X``
    (``20 x n @ n x p``); the limit of an epoch is their sum (4 n p d flops);
(b) one dense riata epoch: ``MLP(15, 1, (20,), encoder=Linear(p, 20))``, squared loss,
    :class:`riata.optim.ProxAdam` (lr 1e-3, no penalty), batches of 256 over all rows
    in a random order (the batch is gathered as ``X[idx]``, as riata's training loop
    does), fp32. One untimed warm-up epoch, then ``--epochs`` timed ones (best and
    median reported), with the time split into gather / forward / backward / step.

(c) one riata *kernel* epoch, the path the case study uses
    (``SparseMLPClassifier(encoder_kernel="precomputed")``): the one-off kernel
    ``K = Z Z^T / p`` built from the int8 genotypes by :func:`riata.data.genotype_kernel`
    (all ``n`` rows as reference samples, so that the epoch covers the same rows as
    (b)), then epochs of ``MLP(15, 1, (20,), encoder=KernelEncoder(n, 20))``
    over ``[clinical | K]`` with the row-span gradient, same batches, loss and
    optimizer as (b).

(d) one riata *int8 streaming* epoch, the dense path without a float copy of the
    genotypes (issue 13): ``MLP(15, 1, (20,), encoder=Int8GenotypeEncoder(...))`` over
    ``[clinical | row index]``, reading the int8 matrix in blocks of 4,096 SNPs with
    the standardization folded into the weights, and ``ProxAdam(fused=True)``; same
    batches, loss and learning rate as (b), time split the same way (the "gather" is
    then only the 16 float columns of ``x``; the int8 rows are read inside forward and
    backward).

Prints the ratio epoch / limit and the GFLOP/s of each (counting 4 n p d flops per
epoch for the encoder, the rest of the network is negligible at these sizes), and the
kernel epoch's speed-up over the limit with the number of epochs after which building
K has paid for itself.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/encoder_epoch.py                 # p = 23,635 and 100,000
    OMP_NUM_THREADS=1 python benchmarks/encoder_epoch.py --p 23635       # one size
    OMP_NUM_THREADS=1 python benchmarks/encoder_epoch.py --large   # adds p = 500,000 (~11 GB)

docs/benchmarks.md ("Encoder epoch and the Gram-matrix encoder") shows and discusses a run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import torch

N_SAMPLES = 3000
N_CLINICAL = 15
ENCODER_DIM = 20
BATCH = 256


def machine_line(threads: int) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.machine()} {platform.system()} {platform.release()}, "
            f"{os.cpu_count()} cores, torch {torch.__version__}, threads {threads}, "
            f"load average {load:.1f}, {time.strftime('%Y-%m-%d %H:%M %Z')}")


def free_memory_bytes() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def make_genotypes(n: int, p: int, seed: int = 0, chunk: int = 10_000) -> torch.Tensor:
    """``n x p`` int8 matrix of 0/1/2, HWE genotypes with MAF ~ U(0.05, 0.5)."""
    gen = torch.Generator().manual_seed(seed)
    maf = 0.05 + 0.45 * torch.rand(p, generator=gen)
    out = torch.empty(n, p, dtype=torch.int8)
    for j in range(0, p, chunk):
        f = maf[j:j + chunk]
        a = torch.rand(n, f.numel(), generator=gen) < f
        b = torch.rand(n, f.numel(), generator=gen) < f
        out[:, j:j + chunk] = a.to(torch.int8) + b.to(torch.int8)
    return out


def standardize_into(dest: torch.Tensor, geno: torch.Tensor, chunk: int = 10_000,
                     rows: slice | None = None) -> None:
    """Write standardized ``geno`` into ``dest`` (same shape) chunk by chunk.

    Means and standard deviations are taken over ``rows`` (all rows by default: the
    training split's rows in :mod:`gram_encoder`).
    """
    rows = rows if rows is not None else slice(None)
    for j in range(0, geno.shape[1], chunk):
        g = geno[:, j:j + chunk].to(dest.dtype)
        mu = g[rows].mean(0)
        sd = g[rows].std(0)
        sd[sd == 0] = 1.0
        dest[:, j:j + chunk] = (g - mu) / sd


def best_of(fn, k: int = 3) -> float:
    times = []
    for _ in range(k):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def time_limit(X: torch.Tensor, d: int = ENCODER_DIM, k: int = 3, seed: int = 0):
    """Best-of-k seconds of ``X @ W^T`` and ``G^T @ X`` in X's dtype."""
    gen = torch.Generator().manual_seed(seed)
    W = torch.randn(d, X.shape[1], generator=gen).to(X.dtype)
    G = torch.randn(X.shape[0], d, generator=gen).to(X.dtype)
    X @ W.T  # warm-up
    fwd = best_of(lambda: X @ W.T, k)
    grad = best_of(lambda: G.T @ X, k)
    return fwd, grad


def timed_epochs(net, opt, X: torch.Tensor, y: torch.Tensor, epochs: int):
    """Seconds of each timed epoch (after one warm-up) and the mean split (gather,
    forward, backward, step) of ``net`` trained by ``opt`` on batches of ``X``."""
    n = X.shape[0]
    totals, splits = [], []
    for epoch in range(epochs + 1):  # epoch 0 is the warm-up
        perm = torch.randperm(n)
        parts = [0.0, 0.0, 0.0, 0.0]
        t_start = time.perf_counter()
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            t0 = time.perf_counter()
            xb, yb = X[idx], y[idx]
            t1 = time.perf_counter()
            loss = torch.nn.functional.mse_loss(net(xb), yb)
            t2 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            t3 = time.perf_counter()
            opt.step()
            t4 = time.perf_counter()
            for j, dt in enumerate((t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                parts[j] += dt
        total = time.perf_counter() - t_start
        if epoch > 0:
            totals.append(total)
            splits.append(parts)
    mean_split = [statistics.mean(s[j] for s in splits) for j in range(4)]
    return totals, mean_split


def dense_epochs(Xfull: torch.Tensor, y: torch.Tensor, p: int, epochs: int, seed: int = 0):
    """Seconds of each timed epoch and the mean split (gather, forward, backward, step)."""
    from riata.models import MLP
    from riata.optim import ProxAdam

    torch.manual_seed(seed)
    net = MLP(N_CLINICAL, 1, (ENCODER_DIM,),
              encoder=torch.nn.Linear(p, ENCODER_DIM, bias=False))
    opt = ProxAdam(net.parameters(), lr=1e-3)
    return timed_epochs(net, opt, Xfull, y, epochs)


def int8_epochs(geno: torch.Tensor, clinical: torch.Tensor, y: torch.Tensor, epochs: int,
                seed: int = 0):
    """Seconds of each timed int8 streaming epoch and the mean split (as dense_epochs)."""
    from riata.models import MLP, Int8GenotypeEncoder
    from riata.optim import ProxAdam

    n, p = geno.shape
    mean, scale = torch.empty(p, dtype=torch.float64), torch.empty(p, dtype=torch.float64)
    for j in range(0, p, 10_000):  # in blocks: no float copy of the genotypes
        block = geno[:, j:j + 10_000].to(torch.float64)
        mean[j:j + 10_000], scale[j:j + 10_000] = block.mean(0), block.std(0, unbiased=False)
    scale[scale == 0] = 1.0
    torch.manual_seed(seed)
    net = MLP(N_CLINICAL, 1, (ENCODER_DIM,),
              encoder=Int8GenotypeEncoder(geno, mean, scale, ENCODER_DIM))
    opt = ProxAdam(net.parameters(), lr=1e-3, fused=True)
    X = torch.cat([clinical, torch.arange(n, dtype=clinical.dtype)[:, None]], dim=1)
    return timed_epochs(net, opt, X, y, epochs)


def kernel_epochs(geno, clinical: torch.Tensor, y: torch.Tensor, epochs: int,
                  seed: int = 0):
    """Seconds to build K from int8, and of each timed kernel epoch."""
    import numpy as np

    from riata.data import genotype_kernel
    from riata.models import MLP, KernelEncoder
    from riata.optim import ProxAdam

    n = geno.shape[0]
    t0 = time.perf_counter()
    K = torch.as_tensor(genotype_kernel(geno.numpy(), np.arange(n)))
    t_kernel = time.perf_counter() - t0
    X = torch.cat([clinical, K], dim=1)
    torch.manual_seed(seed)
    net = MLP(N_CLINICAL, 1, (ENCODER_DIM,), encoder=KernelEncoder(n, ENCODER_DIM))
    opt = ProxAdam(net.parameters(), lr=1e-3)
    totals = []
    for epoch in range(epochs + 1):  # epoch 0 is the warm-up
        perm = torch.randperm(n)
        t_start = time.perf_counter()
        for i in range(0, n, BATCH):
            idx = perm[i:i + BATCH]
            loss = torch.nn.functional.mse_loss(net(X[idx], columns=idx), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if epoch > 0:
            totals.append(time.perf_counter() - t_start)
    return t_kernel, totals


def run_size(p: int, epochs: int, seed: int) -> dict:
    n = N_SAMPLES
    need = n * p * (1 + 4 + 2) + n * N_CLINICAL * 4 + 2 * 4 * n * 10_000
    avail = free_memory_bytes()
    if avail and need > 0.9 * avail:
        print(f"p = {p:,}: skipped, needs about {need / 2**30:.1f} GiB and "
              f"{avail / 2**30:.1f} GiB are available", flush=True)
        return {}
    t0 = time.perf_counter()
    geno = make_genotypes(n, p, seed)
    gen = torch.Generator().manual_seed(seed + 1)
    Xfull = torch.empty(n, N_CLINICAL + p)
    Xfull[:, :N_CLINICAL] = torch.randn(n, N_CLINICAL, generator=gen)
    standardize_into(Xfull[:, N_CLINICAL:], geno)
    X32 = Xfull[:, N_CLINICAL:]          # strided view, as the model sees it
    X16 = X32.to(torch.bfloat16)         # contiguous bf16 copy
    y = (Xfull[:, N_CLINICAL:N_CLINICAL + 50].sum(1, keepdim=True) / 50 ** 0.5
         + 0.5 * torch.randn(n, 1, generator=gen))
    print(f"p = {p:,}: data ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr,
          flush=True)

    row = {"p": p}
    row["fwd32"], row["grad32"] = time_limit(X32, seed=seed)
    row["fwd16"], row["grad16"] = time_limit(X16, seed=seed)
    del X16
    totals, split = dense_epochs(Xfull, y, p, epochs, seed)
    row["epoch_best"], row["epoch_median"] = min(totals), statistics.median(totals)
    row["split"] = split
    clinical = Xfull[:, :N_CLINICAL].clone()
    del Xfull, X32
    totals, split = int8_epochs(geno, clinical, y, epochs, seed)
    row["int8_best"], row["int8_median"] = min(totals), statistics.median(totals)
    row["int8_split"] = split
    row["kernel_build"], ktotals = kernel_epochs(geno, clinical, y, epochs, seed)
    row["kernel_epoch"] = min(ktotals)
    return row


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--p", type=int, nargs="*", default=None,
                    help="SNP counts (default 23635 100000; --large adds 500000)")
    ap.add_argument("--large", action="store_true")
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs (after 1 warm-up)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    sizes = args.p or ([23_635, 100_000] + ([500_000] if args.large else []))
    print(machine_line(args.threads))
    print(f"n = {N_SAMPLES:,}, encoder_dim = {ENCODER_DIM}, batch = {BATCH}, "
          f"{args.epochs} timed epochs\n", flush=True)
    rows = [r for r in (run_size(p, args.epochs, args.seed) for p in sizes) if r]

    def flops(p):
        return 2 * 2 * N_SAMPLES * p * ENCODER_DIM

    print("\n### Limit (best of 3) and dense epoch, seconds\n")
    print("| p | fwd fp32 | grad fp32 | limit fp32 | GFLOP/s | fwd bf16 | grad bf16 "
          "| limit bf16 | GFLOP/s | epoch fp32 (best / median) | GFLOP/s "
          "| epoch / limit fp32 | epoch / limit bf16 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        p = r["p"]
        l32, l16 = r["fwd32"] + r["grad32"], r["fwd16"] + r["grad16"]
        e = r["epoch_best"]
        print(f"| {p:,} | {r['fwd32']:.3f} | {r['grad32']:.3f} | {l32:.3f} "
              f"| {flops(p) / l32 / 1e9:.0f} | {r['fwd16']:.3f} | {r['grad16']:.3f} "
              f"| {l16:.3f} | {flops(p) / l16 / 1e9:.0f} "
              f"| {e:.3f} / {r['epoch_median']:.3f} | {flops(p) / e / 1e9:.0f} "
              f"| {e / l32:.2f} | {e / l16:.2f} |")
    print("\n### Dense epoch split (mean over timed epochs), seconds\n")
    print("| p | gather X[idx] | forward | backward | ProxAdam step | sum |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        s = r["split"]
        print(f"| {r['p']:,} | {s[0]:.3f} | {s[1]:.3f} | {s[2]:.3f} | {s[3]:.3f} "
              f"| {sum(s):.3f} |")
    print("\n### int8 streaming epoch (Int8GenotypeEncoder + ProxAdam(fused=True)), "
          "seconds\n")
    print("| p | limit fp32 | int8 epoch (best / median) | int8 epoch / limit fp32 "
          "| dense fp32 epoch / int8 epoch | gather x[idx] | forward | backward "
          "| ProxAdam step |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        l32 = r["fwd32"] + r["grad32"]
        e, s = r["int8_best"], r["int8_split"]
        print(f"| {r['p']:,} | {l32:.3f} | {e:.3f} / {r['int8_median']:.3f} "
              f"| {e / l32:.2f} | {r['epoch_best'] / e:.1f}x | {s[0]:.3f} | {s[1]:.3f} "
              f"| {s[2]:.3f} | {s[3]:.3f} |")
    print("\n### Kernel epoch (riata's encoder_kernel path), seconds\n")
    print("| p | build K from int8 (once) | kernel epoch (best) | limit fp32 "
          "| kernel epoch / limit fp32 | dense epoch / kernel epoch "
          "| epochs for K to pay off vs the limit |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        l32 = r["fwd32"] + r["grad32"]
        k = r["kernel_epoch"]
        payoff = f"{r['kernel_build'] / (l32 - k):.1f}" if k < l32 else "never"
        print(f"| {r['p']:,} | {r['kernel_build']:.2f} | {k:.4f} | {l32:.3f} "
              f"| {k / l32:.3f} | {r['epoch_best'] / k:.0f}x | {payoff} |")


if __name__ == "__main__":
    main()

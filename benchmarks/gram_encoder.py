r"""The genotype encoder in Gram-matrix coordinates: exactness check and timing.

Issue #5, item 4a (DESIGN.md section 6). The encoder of
``MLP(q, 1, (20,), encoder=Linear(p, 20))`` is linear, ``H = X E^T`` with ``E`` of shape
``(d, p)``, ``d = 20``. Its data gradient on a mini-batch is ``G^T X_b`` (``G = dL/dH``,
``b x d``): a combination of training rows. Under heavy-ball SGD (torch.optim.SGD /
:class:`riata.optim.ProxSGD` semantics, dampening 0, no Nesterov) with the encoder
unpenalized or L2-penalized (``autograd``: gradient ``alpha E``; ``proximal``: prox
``E / (1 + lr alpha)`` with the displacement folded into the momentum buffer, as
ProxSGD does), every iterate and every momentum buffer stays of the form

.. code-block:: text

    E = c E0 + A^T X_train            (c scalar, A n_train x d)
    H = c (X E0^T) + (X X_train^T) A  = c P0 + K A

so with ``K = X X_train^T`` (all rows against the training rows) and ``P0 = X E0^T``
computed once, training never touches the ``p`` SNP columns again:

- forward: ``H_b = c P0[b] + K[b] A`` (``b x n_train @ n_train x d``);
- E-space gradient ``G^T X_b`` = "put ``G`` at the batch's rows of ``A``" (a scatter);
  the L2 gradient ``alpha E`` is ``(alpha c, alpha A)``;
- momentum buffers live in the same coordinates, ``(bc, B)``;
- the L2 prox scales ``c`` and ``A`` alike (and its displacement goes into ``(bc, B)``);
- at the end ``E = c E0 + A^T X_train`` is materialized once, for new samples.

The rest of the network (first layer, hidden layer, output) is a plain
``nn.Sequential`` copied from the dense model and trained by ``torch.optim.SGD``
with the same momentum.

Part 1 (exactness): n = 300, p = 2,000 SNPs + 15 clinical columns, float64, 180
training rows, batches of 32, 20 epochs, lr 1e-3, momentum 0.9, same init and same
batch order; the encoder unpenalized, L2 proximal and L2 autograd. Prints the max abs
difference of the encoder outputs, the predictions (training and validation rows)
and the materialized encoder weight against the dense riata model trained by ProxSGD.

Part 2 (timing): n = 3,000 of which n_train = 1,800 (validation 1,200), p = 23,635
and 100,000, float32, batches of 256, L2-proximal encoder: the one-off cost (the Gram
matrix ``K`` and ``P0``; also a bf16 ``G G^T`` of the raw 0/1/2 genotypes on AMX,
which is exact for centered-only genotypes, see docs), the per-epoch cost of the dense
model and of the Gram model (a training pass and a validation forward pass), the
materialization of ``E``, and the break-even number of epochs. One untimed warm-up
epoch, then the best of ``--epochs``.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/gram_encoder.py                # both parts
    OMP_NUM_THREADS=1 python benchmarks/gram_encoder.py --skip-timing  # exactness only
    OMP_NUM_THREADS=1 python benchmarks/gram_encoder.py --p 23635

docs/benchmarks.md ("Encoder epoch and the Gram-matrix encoder") shows and discusses a run.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encoder_epoch import (
    ENCODER_DIM,
    N_CLINICAL,
    best_of,
    machine_line,
    make_genotypes,
    standardize_into,
)

from riata.models import MLP
from riata.optim import ProxSGD
from riata.penalties import L2

MODES = ("none", "proximal", "autograd")


# ---------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------
def make_data(n: int, p: int, n_train: int, dtype, seed: int = 0):
    """Clinical-first ``n x (15 + p)`` matrix standardized on the training rows, y."""
    geno = make_genotypes(n, p, seed)
    gen = torch.Generator().manual_seed(seed + 1)
    Xfull = torch.empty(n, N_CLINICAL + p, dtype=dtype)
    Xfull[:, :N_CLINICAL] = torch.randn(n, N_CLINICAL, generator=gen, dtype=dtype)
    standardize_into(Xfull[:, N_CLINICAL:], geno, rows=slice(0, n_train))
    y = (Xfull[:, N_CLINICAL:N_CLINICAL + 50].sum(1, keepdim=True) / 50 ** 0.5
         + 0.5 * torch.randn(n, 1, generator=gen, dtype=dtype))
    return Xfull, y, geno


# ---------------------------------------------------------------------------------
# the two trainers
# ---------------------------------------------------------------------------------
class Dense:
    """riata's MLP with the encoder, trained by ProxSGD (encoder group penalized)."""

    def __init__(self, net: MLP, lr, momentum, mode, alpha):
        self.net = net
        enc = [net.encoder.weight]
        rest = [q for name, q in net.named_parameters() if name != "encoder.weight"]
        group = {"params": enc}
        if mode != "none":
            group.update(penalty=L2(alpha=alpha), penalty_mode=mode)
        self.opt = ProxSGD([group, {"params": rest}], lr=lr, momentum=momentum)

    def step(self, Xb, yb):
        loss = nn.functional.mse_loss(self.net(Xb), yb)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss

    @torch.no_grad()
    def predict(self, X):
        return self.net(X)

    @torch.no_grad()
    def encoder_outputs(self, X):
        return X[:, N_CLINICAL:] @ self.net.encoder.weight.T

    def encoder_weight(self):
        return self.net.encoder.weight.detach()


class Gram:
    """The same model with the encoder in (A, c) coordinates.

    ``K`` is ``X_all @ X_train^T`` (rows: all samples; the training samples are rows
    ``0 .. n_train - 1``), ``P0`` is ``X_all @ E0^T``; ``Z`` the clinical columns.
    """

    def __init__(self, net: MLP, K, P0, Z, lr, momentum, mode, alpha):
        net = copy.deepcopy(net)
        self.head = nn.Sequential(net.input_layer, net.body)
        self.E0 = net.encoder.weight.detach().clone()
        self.K, self.P0, self.Z = K, P0, Z
        n_train = K.shape[1]
        self.A = torch.zeros(n_train, self.E0.shape[0], dtype=K.dtype)
        self.c = 1.0
        self.B, self.bc = None, 0.0          # momentum buffer, (B, bc) coordinates
        self.lr, self.m, self.mode, self.alpha = lr, momentum, mode, alpha
        self.opt = torch.optim.SGD(self.head.parameters(), lr=lr, momentum=momentum)

    def _H(self, rows):
        return torch.addmm(self.P0[rows], self.K[rows], self.A, beta=self.c)

    def step(self, rows, yb):
        """One step on training rows ``rows`` (indices < n_train)."""
        H = self._H(rows).requires_grad_(True)
        loss = nn.functional.mse_loss(self.head(torch.cat([H, self.Z[rows]], 1)), yb)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        with torch.no_grad():
            G = H.grad
            lr, m, alpha = self.lr, self.m, self.alpha
            # the E-space gradient G^T X_b (+ alpha E in autograd mode) as (gc, gA)
            if self.B is None:
                self.B = torch.zeros_like(self.A)
                self.bc = 0.0
                m_eff = 0.0                      # first step: buffer = gradient
            else:
                m_eff = m
            if self.m == 0:
                self.B.zero_()
                self.bc = 0.0
                m_eff = 0.0
            self.B.mul_(m_eff)
            self.bc *= m_eff
            self.B.index_add_(0, rows, G)
            if self.mode == "autograd":
                self.B.add_(self.A, alpha=alpha)
                self.bc += alpha * self.c
            self.A.add_(self.B, alpha=-lr)
            self.c -= lr * self.bc
            if self.mode == "proximal":
                s = 1.0 / (1.0 + lr * alpha)
                shrink = 1.0 - s                   # w - prox(w) = (1 - s) w
                if self.m != 0:
                    self.B.add_(self.A, alpha=shrink / lr)
                    self.bc += shrink * self.c / lr
                self.A.mul_(s)
                self.c *= s
        return loss

    @torch.no_grad()
    def predict(self, rows):
        return self.head(torch.cat([self._H(rows), self.Z[rows]], 1))

    @torch.no_grad()
    def encoder_outputs(self, rows):
        return self._H(rows)

    @torch.no_grad()
    def encoder_weight(self, X_train_snps):
        """Materialize ``E = c E0 + A^T X_train`` (for prediction on new samples)."""
        return torch.addmm(self.E0, self.A.T, X_train_snps, beta=self.c)


def gram_inputs(Xfull, n_train, E0):
    """``K = X X_train^T`` and ``P0 = X E0^T`` from the SNP block."""
    X = Xfull[:, N_CLINICAL:]
    K = X @ X[:n_train].T
    P0 = X @ E0.T
    return K, P0


# ---------------------------------------------------------------------------------
# part 1: exactness
# ---------------------------------------------------------------------------------
def exactness(args) -> list[dict]:
    n, p, n_train, batch, epochs = 300, 2000, 180, 32, args.check_epochs
    lr, momentum, alpha = 1e-3, 0.9, 0.5
    Xfull, y, _ = make_data(n, p, n_train, torch.float64, seed=args.seed)
    rows_all = torch.arange(n)
    out = []
    for mode in MODES:
        torch.manual_seed(args.seed)
        net = MLP(N_CLINICAL, 1, (ENCODER_DIM,),
                  encoder=torch.nn.Linear(p, ENCODER_DIM, bias=False)).double()
        gram_net = copy.deepcopy(net)
        dense = Dense(net, lr, momentum, mode, alpha)
        K, P0 = gram_inputs(Xfull, n_train, gram_net.encoder.weight.detach())
        gram = Gram(gram_net, K, P0, Xfull[:, :N_CLINICAL], lr, momentum, mode, alpha)
        gen = torch.Generator().manual_seed(args.seed + 7)
        for _ in range(epochs):
            perm = torch.randperm(n_train, generator=gen)
            for i in range(0, n_train, batch):
                idx = perm[i:i + batch]
                dense.step(Xfull[idx], y[idx])
                gram.step(idx, y[idx])
        H_d, H_g = dense.encoder_outputs(Xfull), gram.encoder_outputs(rows_all)
        pr_d, pr_g = dense.predict(Xfull), gram.predict(rows_all)
        E_d = dense.encoder_weight()
        E_g = gram.encoder_weight(Xfull[:n_train, N_CLINICAL:])
        mse = nn.functional.mse_loss(pr_d[:n_train], y[:n_train]).item()
        out.append({
            "mode": mode,
            "H": (H_d - H_g).abs().max().item(), "H_scale": H_d.abs().max().item(),
            "pred_train": (pr_d[:n_train] - pr_g[:n_train]).abs().max().item(),
            "pred_valid": (pr_d[n_train:] - pr_g[n_train:]).abs().max().item(),
            "E": (E_d - E_g).abs().max().item(), "E_scale": E_d.abs().max().item(),
            "mse": mse, "c": gram.c,
        })
    return out


# ---------------------------------------------------------------------------------
# part 2: timing
# ---------------------------------------------------------------------------------
def time_epochs(step_fn, valid_fn, n_train, batch, epochs, seed):
    """Best-of-``epochs`` seconds of a training pass and of a validation pass."""
    gen = torch.Generator().manual_seed(seed)
    train, valid = [], []
    for e in range(epochs + 1):
        perm = torch.randperm(n_train, generator=gen)
        t0 = time.perf_counter()
        for i in range(0, n_train, batch):
            step_fn(perm[i:i + batch])
        t1 = time.perf_counter()
        valid_fn()
        t2 = time.perf_counter()
        if e > 0:
            train.append(t1 - t0)
            valid.append(t2 - t1)
    return min(train), min(valid)


def timing(p: int, args) -> dict:
    n, n_train, batch = 3000, 1800, 256
    lr, momentum, alpha = 1e-4, 0.9, 1e-3
    t0 = time.perf_counter()
    Xfull, y, geno = make_data(n, p, n_train, torch.float32, seed=args.seed)
    print(f"p = {p:,}: data ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr,
          flush=True)
    torch.manual_seed(args.seed)
    net = MLP(N_CLINICAL, 1, (ENCODER_DIM,), encoder=torch.nn.Linear(p, ENCODER_DIM, bias=False))
    gram_net = copy.deepcopy(net)
    E0 = gram_net.encoder.weight.detach()
    row = {"p": p}

    # one-off: K and P0 (fp32), and a bf16 G G^T of the raw genotypes for reference
    holder = {}

    def build():
        holder["K"], holder["P0"] = gram_inputs(Xfull, n_train, E0)
    row["gram"] = best_of(build, args.repeats)
    g16 = geno.to(torch.bfloat16)
    g16[:1] @ g16[:1].T
    row["gram_bf16_raw"] = best_of(lambda: g16 @ g16[:n_train].T, args.repeats)
    g16 = geno = None  # free the copies

    Xva = Xfull[n_train:]
    dense = Dense(net, lr, momentum, "proximal", alpha)
    row["dense_train"], row["dense_valid"] = time_epochs(
        lambda idx: dense.step(Xfull[idx], y[idx]), lambda: dense.predict(Xva),
        n_train, batch, args.epochs, args.seed)
    gram = Gram(gram_net, holder["K"], holder["P0"], Xfull[:, :N_CLINICAL], lr,
                momentum, "proximal", alpha)
    va_rows = torch.arange(n_train, n)
    row["gram_train"], row["gram_valid"] = time_epochs(
        lambda idx: gram.step(idx, y[idx]), lambda: gram.predict(va_rows),
        n_train, batch, args.epochs, args.seed)
    Xtr = Xfull[:n_train, N_CLINICAL:]
    row["materialize"] = best_of(lambda: gram.encoder_weight(Xtr), args.repeats)
    return row


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--p", type=int, nargs="*", default=[23_635, 100_000])
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs (after 1 warm-up)")
    ap.add_argument("--repeats", type=int, default=2, help="best-of for the one-off costs")
    ap.add_argument("--check-epochs", type=int, default=20)
    ap.add_argument("--skip-timing", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(machine_line(args.threads), flush=True)

    print(f"\n### Exactness: dense ProxSGD vs Gram coordinates (n = 300, p = 2,000, "
          f"float64, {args.check_epochs} epochs, lr 1e-3, momentum 0.9, L2 alpha 0.5)\n")
    print("| encoder penalty | max abs diff H (max abs H) | pred, train | pred, valid "
          "| E = c E0 + A^T X_train (max abs E) | train MSE | c |")
    print("|---|---|---|---|---|---|---|")
    for r in exactness(args):
        print(f"| {r['mode']} | {r['H']:.1e} ({r['H_scale']:.2f}) | {r['pred_train']:.1e} "
              f"| {r['pred_valid']:.1e} | {r['E']:.1e} ({r['E_scale']:.3f}) "
              f"| {r['mse']:.3f} | {r['c']:.4f} |", flush=True)
    if args.skip_timing:
        return

    rows = [timing(p, args) for p in args.p]
    print("\n### Timing (n_train = 1,800 of 3,000, float32, batch 256, ProxSGD "
          "momentum 0.9, L2-proximal encoder), seconds\n")
    print("| p | Gram K + P0 (fp32, once) | [bf16 raw G G^T] | materialize E (once) "
          "| dense epoch train + valid | Gram epoch train + valid | speed-up per epoch "
          "| break-even epochs |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        d = r["dense_train"] + r["dense_valid"]
        g = r["gram_train"] + r["gram_valid"]
        once = r["gram"] + r["materialize"]
        be = once / (d - g) if d > g else float("inf")
        print(f"| {r['p']:,} | {r['gram']:.2f} | [{r['gram_bf16_raw']:.2f}] "
              f"| {r['materialize']:.3f} "
              f"| {r['dense_train']:.3f} + {r['dense_valid']:.3f} = {d:.3f} "
              f"| {r['gram_train']:.4f} + {r['gram_valid']:.4f} = {g:.4f} "
              f"| {d / g:.0f}x | {be:.1f} |")


if __name__ == "__main__":
    main()

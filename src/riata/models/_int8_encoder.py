"""The genotype encoder in its explicit form, reading int8 genotypes in place.

A linear encoder over standardized genotypes, ``h = Z w^T`` with
``Z = (X - mean) / scale``, needs no float copy of ``X``: the standardization folds
into the weights,

    Z w^T = X (w / scale)^T - (w / scale) mean,

and the weight gradient unfolds the same way,

    G^T Z = (G^T X - (1^T G)^T mean) / scale        (columnwise).

Both products are computed a block of SNP columns at a time: the batch's rows of that
block are gathered from the int8 matrix and converted to floats while they sit in the
cache, then multiplied. An epoch thus reads each genotype byte twice (forward and
backward) and never writes a float copy of the batch (a float32 gather of a 256-row
batch at 500,000 SNPs is 512 MB), which is what makes the dense epoch run at the
speed of its two products (``benchmarks/encoder_epoch.py``, issue 13).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

__all__ = ["Int8GenotypeEncoder"]


def _blocks(genotypes, rows, block_size, mean, dtype, missing_value):
    """``(start, stop, values)`` for each block of SNP columns: the batch's rows of
    ``genotypes[:, start:stop]`` as floats, a missing call set to the SNP's mean.

    ``values`` is one buffer reused from block to block (use it before the next):
    a fresh 4 MB tensor per block costs page faults that, at 500,000 SNPs, add a
    third to the forward product.
    """
    n_rows, n_snps, device = rows.numel(), genotypes.shape[1], genotypes.device
    width = min(block_size, n_snps)
    codes = torch.empty(n_rows, width, dtype=torch.int8, device=device)
    values = torch.empty(n_rows, width, dtype=dtype, device=device)
    for start in range(0, n_snps, block_size):
        stop = min(start + block_size, n_snps)
        if stop - start != codes.shape[1]:  # the last, narrower block
            codes = torch.empty(n_rows, stop - start, dtype=torch.int8, device=device)
            values = torch.empty(n_rows, stop - start, dtype=dtype, device=device)
        torch.index_select(genotypes[:, start:stop], 0, rows, out=codes)
        values.copy_(codes)
        if missing_value is not None:
            torch.where(codes == missing_value, mean[start:stop], values, out=values)
        yield start, stop, values


class _SumOverRanks(torch.autograd.Function):
    """All-reduce (sum) forward, identity backward: the partial outputs of SNP-sharded
    encoders become the whole output; every rank then computes the same loss, so the
    gradient of the sum with respect to each rank's part is the (replicated) output
    gradient itself (the row-parallel linear layer of Megatron-LM, Shoeybi et al. 2019)."""

    @staticmethod
    def forward(ctx, partial):
        total = partial.clone()
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


class _StandardizedInt8Product(torch.autograd.Function):
    """``Z[rows] @ weight.T`` from int8 genotypes, in SNP blocks (see the module doc)."""

    @staticmethod
    def forward(ctx, weight, genotypes, rows, mean, inv_scale, block_size, missing_value):
        ctx.save_for_backward(rows)
        ctx.genotypes, ctx.mean, ctx.inv_scale = genotypes, mean, inv_scale
        ctx.block_size, ctx.missing_value = block_size, missing_value
        out = weight.new_zeros(rows.numel(), weight.shape[0])
        for start, stop, values in _blocks(genotypes, rows, block_size, mean, weight.dtype,
                                           missing_value):
            folded = weight[:, start:stop] * inv_scale[start:stop]
            out.addmm_(values, folded.T)
            # Centre block by block: the running sum stays near the standardized one,
            # so float32 loses less to the cancellation of the two folded terms.
            out.sub_(folded @ mean[start:stop])
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (rows,) = ctx.saved_tensors
        mean, inv_scale = ctx.mean, ctx.inv_scale
        grad_weight = grad_out.new_empty(grad_out.shape[1], ctx.genotypes.shape[1])
        column_sums = grad_out.sum(0)
        for start, stop, values in _blocks(ctx.genotypes, rows, ctx.block_size, mean,
                                           grad_out.dtype, ctx.missing_value):
            part = grad_out.T @ values
            part.addr_(column_sums, mean[start:stop], alpha=-1.0)
            grad_weight[:, start:stop] = part.mul_(inv_scale[start:stop])
        return grad_weight, None, None, None, None, None, None


class Int8GenotypeEncoder(nn.Module):
    """Linear genotype encoder that reads int8 genotypes, standardizing on the fly.

    The same map as ``nn.Linear(n_snps, out_features, bias=False)`` applied to the
    standardized genotypes ``Z = (X - mean) / scale`` (a missing call standardizes
    to 0, as in :func:`riata.data.standardized_columns`), but computed from the int8
    matrix in blocks of ``block_size`` SNPs: no float copy of the genotypes, nor of a
    batch of them, is ever made (see the module docstring for the folded products).
    ``weight`` therefore has the explicit encoder's layout, one column per SNP, and a
    penalty attached to it by name (:data:`riata.models.ENCODER_WEIGHT` inside an
    :class:`~riata.models.MLP`) acts per SNP as it does on a float encoder.

    Its input block is **one column: each sample's row index into** ``genotypes``
    (as floats holding integers, exact up to 2**24 rows in float32), so that it fits
    :class:`~riata.models.MLP`'s convention of reading the trailing columns of ``x``:
    build ``x = [clinical | row index]`` and every batch, validation set or
    prediction slice of ``x`` carries its samples' genotypes by reference.

    A SNP that is constant on the rows it sees has a zero column in ``Z``; here its
    weight gradient is zero only to rounding (the folded product subtracts two equal
    sums), so a penalty's prox in :class:`riata.optim.ProxAdam`, which leaves alone a
    coordinate without gradient history, zeroes that weight (the penalized optimum)
    where a float encoder keeps it at its start; without a penalty that weight
    wanders by about ``lr`` per step on the rounding noise, with no effect on the
    outputs.

    ``mean`` and ``inv_scale`` are float buffers, cast with the module: after
    ``.float()`` they hold float32 values (a later ``.double()`` does not bring back
    the float64 ones), so build the module again for float64 work.

    The genotype matrix is a non-persistent buffer: it is not in ``state_dict()``
    (the model file holds the weights, not the data) and is not cast by
    ``.double()``; ``copy.deepcopy`` of the module does copy it.

    Parameters
    ----------
    genotypes : Tensor or ndarray of int8, shape (n_samples, n_snps)
        Allele counts 0/1/2 (PLINK's A1 counts, as :class:`riata.data.Genotypes`
        holds them); ``missing_value`` marks a missing call. Row-major (C order): a
        batch reads ``block_size`` contiguous bytes per sample and block.
    mean, scale : Tensor or ndarray of shape (n_snps,)
        Standardization statistics of the training rows
        (:meth:`riata.data.Genotypes.mean_and_scale`: ``scale`` is 1 for a monomorphic
        SNP). Stored as float64 buffers; the products use the weight's dtype.
    out_features : int
        Encoder outputs (units, plus the network's skip rows if it has them).
    block_size : int, default=4096
        SNPs per block: 256 rows x 4,096 SNPs is 1 MB of int8 and 4 MB of float32,
        about one core's share of a server's L2/L3 cache.
    missing_value : int, default=-127
        The code of a missing call (bed-reader's and
        :data:`riata.data.MISSING_GENOTYPE`). The blocks are checked for it only if
        the matrix holds one (one pass at construction).
    snp_sharded : bool, default=False
        Under ``torch.distributed`` (an initialized default process group): this
        rank's ``genotypes``, ``mean`` and ``scale`` are its contiguous range of SNP
        columns (:func:`riata.data.snp_shard`), ``weight`` holds those columns and
        their optimizer state stays on the rank; ``forward`` sums the ranks' partial
        outputs with one all-reduce of ``n x out_features`` floats and returns the
        whole output on every rank, whose gradient then reaches each rank's columns
        unchanged. The rest of the network is replicated, and stays so only if
        every rank draws the same batches and dropout masks: seed torch alike on
        every rank before building the network and pass ``train_module`` the same
        seeded generator (nothing checks this). Outputs, gradients and trajectories
        then equal one process's to rounding (the products are summed in another
        order), from the same start (:meth:`reset_parameters`).

    Attributes
    ----------
    weight : Parameter of shape (out_features, n_snps)
        Initialized as ``nn.Linear``'s: U(-1/sqrt(n_snps), 1/sqrt(n_snps)) (with
        ``snp_sharded``, ``n_snps`` of all ranks together, and each rank keeps its
        columns of one draw: see :meth:`reset_parameters`).
    n_snps : int
        SNP columns held here (this rank's, with ``snp_sharded``).

    Raises
    ------
    TypeError
        If ``genotypes`` is not int8.
    ValueError
        If the shapes disagree, ``scale`` is not finite and > 0, ``mean`` is not
        finite, ``block_size`` or ``out_features`` is < 1; in ``forward``, if a row
        index is not an integer in ``[0, n_samples)``.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from riata.models import Int8GenotypeEncoder
    >>> X = np.random.default_rng(0).integers(0, 3, size=(6, 10), dtype=np.int8)
    >>> enc = Int8GenotypeEncoder(X, X.mean(0), X.std(0) + 0.1, out_features=3)
    >>> enc(torch.tensor([[0.0], [4.0]])).shape
    torch.Size([2, 3])
    """

    def __init__(self, genotypes, mean, scale, out_features: int, *, block_size: int = 4096,
                 missing_value: int = -127, snp_sharded: bool = False):
        super().__init__()
        genotypes = torch.as_tensor(genotypes)
        if genotypes.dtype != torch.int8:
            raise TypeError(f"genotypes must be int8 (allele counts); got {genotypes.dtype}.")
        if genotypes.ndim != 2:
            raise ValueError(f"genotypes must be 2-D (n_samples, n_snps); got shape "
                             f"{tuple(genotypes.shape)}.")
        n_snps = genotypes.shape[1]
        mean = torch.as_tensor(np.asarray(mean, dtype=np.float64))
        scale = torch.as_tensor(np.asarray(scale, dtype=np.float64))
        for name, values in (("mean", mean), ("scale", scale)):
            if values.shape != (n_snps,):
                raise ValueError(f"{name} must have shape ({n_snps},), one value per SNP; "
                                 f"got {tuple(values.shape)}.")
        if not bool(torch.isfinite(mean).all()):
            raise ValueError("mean must be finite.")
        if not bool((torch.isfinite(scale) & torch.isfinite(1.0 / scale)
                     & (scale > 0)).all()):
            raise ValueError("scale must be finite and > 0, with a finite inverse "
                             "(Genotypes.mean_and_scale gives 1 for a monomorphic SNP).")
        if int(out_features) < 1 or int(block_size) < 1:
            raise ValueError(f"out_features and block_size must be >= 1; got "
                             f"{out_features} and {block_size}.")
        self.n_snps, self.out_features = n_snps, int(out_features)
        self.in_features = n_snps
        self.block_size = int(block_size)
        if snp_sharded and not (dist.is_available() and dist.is_initialized()):
            raise ValueError("snp_sharded=True needs an initialized torch.distributed "
                             "process group (e.g. under torchrun, after "
                             "riata.distributed.join_process_group()).")
        self.snp_sharded = bool(snp_sharded)
        self.n_snps_total, self.first_snp = n_snps, 0
        if self.snp_sharded:  # where this rank's columns sit among all ranks'
            counts = [torch.zeros(1, dtype=torch.int64) for _ in range(dist.get_world_size())]
            dist.all_gather(counts, torch.tensor([n_snps], dtype=torch.int64))
            counts = [int(c) for c in counts]
            self.n_snps_total = sum(counts)
            self.first_snp = sum(counts[:dist.get_rank()])
        has_missing = any(bool((genotypes[:, j:j + 65536] == missing_value).any())
                          for j in range(0, n_snps, 65536))  # no n x p mask at once
        self.missing_value = int(missing_value) if has_missing else None
        self.register_buffer("genotypes", genotypes.contiguous(), persistent=False)
        self.register_buffer("mean", mean)
        self.register_buffer("inv_scale", 1.0 / scale)
        self.weight = nn.Parameter(torch.empty(self.out_features, n_snps))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``nn.Linear``'s start, U(-1/sqrt(p), 1/sqrt(p)) with ``p`` all SNPs. With
        ``snp_sharded`` every rank draws the whole ``out_features x p`` matrix from
        torch's global generator and keeps its columns, so that ranks seeded alike
        start as one process would, and their generators stay in step."""
        bound = 1.0 / math.sqrt(self.n_snps_total) if self.n_snps_total else 0.0
        if not self.snp_sharded:
            nn.init.uniform_(self.weight, -bound, bound)
            return
        full = torch.empty(self.out_features, self.n_snps_total, dtype=self.weight.dtype)
        nn.init.uniform_(full, -bound, bound)
        with torch.no_grad():
            self.weight.copy_(full[:, self.first_snp:self.first_snp + self.n_snps])

    def rows_of(self, block: torch.Tensor) -> torch.Tensor:
        """The row indices held in ``block`` (``(n, 1)``), checked."""
        if block.ndim != 2 or block.shape[1] != 1:
            raise ValueError("Int8GenotypeEncoder reads one input column, each sample's "
                             f"row index into its genotypes; got a block of shape "
                             f"{tuple(block.shape)}.")
        column = block[:, 0]
        n = self.genotypes.shape[0]
        exact = {torch.float16: 2**11, torch.bfloat16: 2**8, torch.float32: 2**24,
                 torch.float64: 2**53}.get(column.dtype)
        if exact is not None and n > exact:
            raise ValueError(f"{column.dtype} holds integers exactly only up to {exact}, "
                             f"and these genotypes have {n} rows: pass the row-index "
                             "column in float64 (e.g. the model in float64).")
        rows = column.to(torch.long)
        if rows.numel() and (bool((rows != column).any()) or int(rows.min()) < 0
                             or int(rows.max()) >= n):
            raise ValueError(f"The encoder's input column must hold row indices of its "
                             f"genotypes, integers in [0, {n}); got values from "
                             f"{float(column.min())} to {float(column.max())}.")
        return rows

    def forward(self, block: torch.Tensor) -> torch.Tensor:
        """``(n, out_features)``: the encoder outputs of the rows named in ``block``."""
        rows = self.rows_of(block)
        out = _StandardizedInt8Product.apply(
            self.weight, self.genotypes, rows, self.mean.to(self.weight.dtype),
            self.inv_scale.to(self.weight.dtype), self.block_size, self.missing_value)
        return _SumOverRanks.apply(out) if self.snp_sharded else out

    def extra_repr(self) -> str:
        return (f"n_snps={self.n_snps}, out_features={self.out_features}, "
                f"block_size={self.block_size}, snp_sharded={self.snp_sharded}")

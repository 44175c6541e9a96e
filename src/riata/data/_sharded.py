"""Genotypes split by SNP across the processes of a torch.distributed job.

Each process (rank) holds the int8 calls of one contiguous SNP range for every sample,
and the metadata of all SNPs. The operations riata runs over all SNPs — per-SNP
statistics, the standardized columns of a working set, the transpose product of the
KKT checks, the genotype kernel — are computed on each rank's range and summed with
one ``all_reduce``: a rank contributes its own SNPs and zeros elsewhere, so sums of
per-SNP results are exact; with ranges aligned to :data:`SNP_CHUNK` the per-SNP
products are the very computations of one process, and only the kernel (a sum over
SNPs) is rounded in another order. Every rank must call them in the same order (all ranks run
the same code on the same replicated inputs).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.distributed as dist

from ._errors import DataError
from ._table import SNP_CHUNK, Genotypes

__all__ = ["ShardedGenotypes", "snp_shard", "SNP_CHUNK"]


def snp_shard(n_snps: int, rank: int, world_size: int, *,
              align: int = SNP_CHUNK) -> tuple[int, int]:
    """The contiguous SNP range ``[start, stop)`` of ``rank``.

    The SNPs are cut into chunks of ``align`` (the last one shorter), and the chunks are
    split into ``world_size`` runs whose lengths differ by at most one, the longer
    ones first (``numpy.array_split``'s convention). Aligned to
    :data:`SNP_CHUNK`, every rank multiplies exactly the SNP chunks one process would
    (:func:`genotype_transpose_product`), so its per-SNP results are bitwise those of
    one process. With fewer chunks than ranks the last ranks get empty ranges.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} is not in a world of {world_size} process(es).")
    if align < 1:
        raise ValueError(f"align must be >= 1; got {align}.")
    n_chunks = -(-int(n_snps) // align)
    base, extra = divmod(n_chunks, int(world_size))
    first = rank * base + min(rank, extra)
    last = first + base + (rank < extra)
    return min(first * align, n_snps), min(last * align, n_snps)


def _all_reduce_sum(array: np.ndarray) -> np.ndarray:
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.numpy()


class ShardedGenotypes:
    """One rank's SNP range of a genotype matrix, with collective operations.

    The functions of :mod:`riata.data` that read genotypes
    (:func:`genotype_kernel`, :func:`standardized_columns`,
    :func:`genotype_transpose_product`, :func:`kernel_encoder_weights`,
    :meth:`Genotypes.mean_and_scale`) accept it in place of a :class:`Genotypes` and
    return what they would return for the whole matrix, on every rank. ``values``
    raises: code that would index all SNPs of one process must go through them.

    Parameters
    ----------
    local : Genotypes
        This rank's SNPs ``[start, start + local.n_snps)`` for every sample.
    start : int
        Position of the first local SNP among all SNPs.
    snp_names, chromosome, bp_position : array-like of shape (n_snps,)
        Metadata of *all* SNPs (the .bim file), on every rank.
    allele_1, allele_2 : array-like of shape (n_snps,), default=None

    Raises
    ------
    DataError
        If the local block does not fit inside the metadata's SNPs, or (on first use
        of a collective) torch.distributed is not initialized.
    """

    is_sharded = True

    def __init__(self, local: Genotypes, *, start: int, snp_names, chromosome,
                 bp_position, allele_1=None, allele_2=None):
        self.local = local
        self.start = int(start)
        self.stop = self.start + local.n_snps
        self.snp_names = np.asarray(snp_names, dtype=str)
        n = self.snp_names.shape[0]
        if not 0 <= self.start <= self.stop <= n:
            raise DataError(f"The local SNPs [{self.start}, {self.stop}) do not lie "
                            f"among the {n} SNPs of the metadata.")
        self.chromosome = np.asarray(chromosome, dtype=str)
        self.bp_position = np.asarray(bp_position, dtype=np.int64)
        self.allele_1 = None if allele_1 is None else np.asarray(allele_1, dtype=str)
        self.allele_2 = None if allele_2 is None else np.asarray(allele_2, dtype=str)

    # -- shape and metadata -------------------------------------------------------------
    @property
    def n_samples(self) -> int:
        return self.local.n_samples

    @property
    def n_snps(self) -> int:
        """Number of SNPs over all ranks."""
        return self.snp_names.shape[0]

    @property
    def sample_ids(self) -> np.ndarray:
        return self.local.sample_ids

    @property
    def values(self):
        raise DataError(
            f"These genotypes are split across processes (this one holds SNPs "
            f"[{self.start}, {self.stop}) of {self.n_snps}); read them through "
            "riata.data's functions (standardized_columns, genotype_transpose_product, "
            "genotype_kernel), which combine the ranks.")

    def _own(self, array) -> np.ndarray:
        return np.asarray(array)[self.start:self.stop]

    # -- collective operations ----------------------------------------------------------
    def mean_and_scale(self, rows=None, *, block_size: int = 1024):
        """As :meth:`Genotypes.mean_and_scale`, for all SNPs (exact integer sums per
        SNP, so equal to one process's)."""
        both = np.zeros((2, self.n_snps))  # one exchange for the two statistics
        both[:, self.start:self.stop] = self.local.mean_and_scale(rows,
                                                                  block_size=block_size)
        mean, scale = _all_reduce_sum(both)
        return mean, scale

    def missing_calls(self, rows) -> int:
        """Number of missing calls among ``rows`` over all SNPs."""
        return int(_all_reduce_sum(np.array([self.local.missing_calls(rows)],
                                            dtype=np.int64))[0])

    def standardized_columns(self, rows, columns, mean, scale, *, dtype=np.float32):
        """As :func:`riata.data.standardized_columns` (elementwise, so exact)."""
        from ._kernel import standardized_columns

        rows = np.asarray(rows, dtype=np.intp)
        columns = np.asarray(columns, dtype=np.intp)
        out = np.zeros((rows.size, columns.size), dtype=dtype)
        mine = (columns >= self.start) & (columns < self.stop)
        if mine.any():
            out[:, mine] = standardized_columns(
                self.local.values, rows, columns[mine] - self.start, self._own(mean),
                self._own(scale), dtype=dtype)
        return _all_reduce_sum(out)

    def transpose_product(self, rows, right, mean, scale, *, block_size: int = 4096,
                          dtype=np.float32, per_snp=None) -> np.ndarray:
        """As :func:`riata.data.genotype_transpose_product`: ``(n_snps, k)`` (or
        ``(n_snps,)`` with ``per_snp``, applied locally before the exchange), each
        rank's SNPs computed locally."""
        from ._kernel import genotype_transpose_product

        right = np.asarray(right)
        width = () if per_snp is not None else (right.shape[1],)
        out = np.zeros((self.n_snps, *width))
        if self.stop > self.start:
            out[self.start:self.stop] = genotype_transpose_product(
                self.local.values, rows, right, self._own(mean), self._own(scale),
                block_size=block_size, dtype=dtype, per_snp=per_snp)
        return _all_reduce_sum(out)

    def kernel(self, reference_rows, *, rows=None, mean=None, scale=None,
               block_size: int = 4096, dtype=np.float32) -> np.ndarray:
        """As :func:`riata.data.genotype_kernel`: the local SNPs' sum of products,
        summed over ranks (in float64) and divided by the number of all SNPs."""
        from ._kernel import genotype_kernel

        if mean is None:
            mean, scale = self.mean_and_scale(reference_rows)
        part = genotype_kernel(self.local.values, reference_rows, rows=rows,
                               mean=self._own(mean), scale=self._own(scale),
                               block_size=block_size, dtype=dtype).astype(np.float64)
        total = _all_reduce_sum(part * (self.stop - self.start))
        return (total / max(self.n_snps, 1)).astype(dtype, copy=False)

    # -- what cannot be done shard by shard ---------------------------------------------
    def standardized(self, rows, mean, scale, *, dtype=np.float32):
        raise DataError(
            "Dense rows over all SNPs are not built when the SNPs are split across "
            "processes; riata fit under torchrun runs the SNP working-set path and the "
            "kernel encoder, which need none.")

    def subset(self, rows) -> ShardedGenotypes:
        """The given rows, still sharded (a copy of this rank's block)."""
        return ShardedGenotypes(self.local.subset(rows), start=self.start,
                                snp_names=self.snp_names, chromosome=self.chromosome,
                                bp_position=self.bp_position, allele_1=self.allele_1,
                                allele_2=self.allele_2)


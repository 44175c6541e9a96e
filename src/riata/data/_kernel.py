"""The linear genotype kernel, built from int8 genotypes one block of SNPs at a time.

``K = Z Z_ref^T / p``, with ``Z`` the genotypes standardized by the reference
(training) samples' statistics: the genomic relationship matrix of GCTA-style analyses
(with the empirical SD), and the input of a kernel encoder
(``SparseMLPClassifier(encoder_kernel="precomputed")``). The float copy of the
genotypes never exists as a whole: each block of ``block_size`` SNPs is standardized,
multiplied, and dropped.
"""

from __future__ import annotations

import numpy as np

from ._errors import DataError
from ._table import MISSING_GENOTYPE, SNP_CHUNK, Genotypes, _row_index

__all__ = ["genotype_kernel", "kernel_encoder_weights", "standardized_columns",
           "genotype_transpose_product"]


def _sharded(genotypes) -> bool:
    """Whether ``genotypes`` is split across processes (:class:`ShardedGenotypes`):
    the functions here then hand the work to its collective methods."""
    return bool(getattr(genotypes, "is_sharded", False))


def _values(genotypes) -> np.ndarray:
    values = genotypes.values if isinstance(genotypes, Genotypes) else np.asarray(genotypes)
    if values.dtype != np.int8 or values.ndim != 2:
        raise DataError(
            "genotypes must be a riata.data.Genotypes or a 2-d int8 array (samples x SNPs, "
            f"missing calls {MISSING_GENOTYPE}); got dtype {values.dtype} and shape "
            f"{values.shape}."
        )
    return values


def genotype_statistics(genotypes, rows=None):
    """Per-SNP training mean and scale (:meth:`Genotypes.mean_and_scale`) of an int8
    matrix or a :class:`Genotypes`, for the standardization of the functions here."""
    if isinstance(genotypes, Genotypes) or _sharded(genotypes):
        return genotypes.mean_and_scale(rows)
    values = _values(genotypes)
    n_samples, n_snps = values.shape
    # Only the calls matter for the statistics; the metadata is a placeholder.
    return Genotypes(values, snp_names=np.arange(n_snps).astype(str),
                     chromosome=np.full(n_snps, "0"),
                     bp_position=np.zeros(n_snps, dtype=np.int64),
                     sample_ids=np.arange(n_samples).astype(str)).mean_and_scale(rows)


def _statistics(values, reference, mean, scale):
    if (mean is None) != (scale is None):
        raise DataError("Pass both mean and scale (from the reference rows), or neither.")
    if mean is None:
        if reference is None:
            raise DataError("mean and scale are required here (from the training rows).")
        mean, scale = genotype_statistics(values, reference)
    mean = np.asarray(mean, dtype=np.float64)
    scale = np.asarray(scale, dtype=np.float64)
    if mean.shape != (values.shape[1],) or scale.shape != mean.shape:
        raise DataError(f"mean and scale must have shape ({values.shape[1]},), one value "
                        f"per SNP; got {mean.shape} and {scale.shape}.")
    return mean, scale


def _standardized_block(values, rows, cols, mean, scale, dtype=np.float32) -> np.ndarray:
    block = values[rows, cols]
    out = (block.astype(dtype) - mean[cols].astype(dtype)) / scale[cols].astype(dtype)
    out[block == MISSING_GENOTYPE] = 0.0
    return out


def genotype_kernel(genotypes, reference_rows, *, rows=None, mean=None, scale=None,
                    block_size: int = 4096, dtype=np.float32) -> np.ndarray:
    """Linear kernel ``Z[rows] Z[reference_rows]^T / n_snps`` from int8 genotypes.

    Parameters
    ----------
    genotypes : Genotypes or ndarray of int8, shape (n_samples, n_snps)
        Allele counts, missing calls ``-127`` (imputed at the reference mean, i.e. 0
        after standardization).
    reference_rows : array-like of int or bool
        The training samples: they give the standardization statistics and the kernel
        columns, in this order.
    rows : array-like of int or bool, default=None
        The kernel rows (all samples when None).
    mean, scale : ndarray of shape (n_snps,), optional
        Standardization statistics; computed from ``reference_rows`` when omitted
        (:meth:`Genotypes.mean_and_scale`).
    block_size : int, default=4096
        SNPs standardized and multiplied at a time (the extra memory is about
        ``4 * n_samples * block_size`` bytes).
    dtype : {np.float32, np.float64}, default=np.float32
        Of the blocks' arithmetic and of the returned kernel; float32 block products
        are accumulated in float64 across blocks.

    Returns
    -------
    ndarray of shape (n_rows, n_reference)
        Divided by the number of SNPs, so that the reference samples' diagonal averages
        the fraction of SNPs that vary among them (1 when all do: a SNP constant in the
        reference samples standardizes to 0 but still counts).

    Examples
    --------
    >>> import numpy as np
    >>> g = np.array([[0, 1, 2], [2, 1, 0], [1, 2, 1]], dtype=np.int8)
    >>> genotype_kernel(g, [0, 1], dtype=np.float64).round(3).tolist()
    [[0.667, -0.667], [-0.667, 0.667], [0.0, 0.0]]
    """
    if _sharded(genotypes):
        return genotypes.kernel(reference_rows, rows=rows, mean=mean, scale=scale,
                                block_size=block_size, dtype=dtype)
    values = _values(genotypes)
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise DataError(f"dtype must be float32 or float64; got {dtype}.")
    if block_size < 1:
        raise DataError(f"block_size must be >= 1; got {block_size}.")
    reference = _row_index(reference_rows, values.shape[0])
    index = _row_index(rows, values.shape[0])
    mean, scale = _statistics(values, reference, mean, scale)
    n_snps = values.shape[1]
    all_rows = np.arange(values.shape[0])
    out_rows = all_rows[index]
    ref_rows = all_rows[reference]
    kernel = np.zeros((out_rows.size, ref_rows.size))
    if n_snps == 0:
        return kernel.astype(dtype)
    # Standardize the union of the two row sets once per block, then one GEMM.
    union, inverse = np.unique(np.concatenate([out_rows, ref_rows]), return_inverse=True)
    left, right = inverse[:out_rows.size], inverse[out_rows.size:]
    for start in range(0, n_snps, block_size):
        cols = slice(start, min(start + block_size, n_snps))
        z = _standardized_block(values, union, cols, mean, scale, dtype)
        kernel += z[left] @ z[right].T
    kernel /= n_snps
    return kernel.astype(dtype, copy=False)


def kernel_encoder_weights(dual_coef, genotypes, reference_rows, *, mean=None,
                           scale=None, block_size: int = 4096) -> np.ndarray:
    """Per-SNP weights of a kernel encoder, on the standardized genotype scale.

    A kernel encoder fitted on ``genotype_kernel(genotypes, reference_rows)`` computes
    ``H = K W^T`` with ``W = dual_coef.T``; the same outputs come from the explicit
    encoder ``H = Z B`` with ``B = Z_ref^T dual_coef / n_snps``, which this returns
    (one row per SNP, like ``encoder_weights_`` of an encoder over the SNPs).

    Parameters
    ----------
    dual_coef : ndarray of shape (n_reference, encoder_dim)
        The estimator's ``encoder_dual_coef_``.
    genotypes, reference_rows, mean, scale, block_size
        As given to :func:`genotype_kernel`.

    Returns
    -------
    ndarray of shape (n_snps, encoder_dim), float64
    """
    if _sharded(genotypes):
        n_samples, n_snps = genotypes.n_samples, genotypes.n_snps
        if mean is None:
            mean, scale = genotypes.mean_and_scale(reference_rows)
    else:
        values = _values(genotypes)
        n_samples, n_snps = values.shape
    reference = _row_index(reference_rows, n_samples)
    ref_rows = np.arange(n_samples)[reference]
    dual_coef = np.asarray(dual_coef, dtype=np.float64)
    if dual_coef.ndim != 2 or dual_coef.shape[0] != ref_rows.size:
        raise DataError(f"dual_coef must have one row per reference sample "
                        f"({ref_rows.size}); got shape {dual_coef.shape}.")
    if not _sharded(genotypes):
        mean, scale = _statistics(values, reference, mean, scale)
        genotypes = values
    weights = genotype_transpose_product(genotypes, ref_rows, dual_coef, mean, scale,
                                         block_size=block_size, dtype=np.float64)
    return weights / max(n_snps, 1)


def standardized_columns(genotypes, rows, columns, mean, scale, *,
                         dtype=np.float32) -> np.ndarray:
    """Standardized genotypes of some rows and SNP columns (a small dense block).

    Parameters
    ----------
    genotypes : Genotypes or ndarray of int8
    rows : array-like of int
    columns : array-like of int
    mean, scale : ndarray of shape (n_snps,)
        Training statistics (:meth:`Genotypes.mean_and_scale`).
    dtype : numpy dtype, default=np.float32

    Returns
    -------
    ndarray of shape (len(rows), len(columns)); missing calls are 0.
    """
    if _sharded(genotypes):
        return genotypes.standardized_columns(rows, columns, mean, scale, dtype=dtype)
    values = _values(genotypes)
    rows = np.asarray(rows, dtype=np.intp)
    columns = np.asarray(columns, dtype=np.intp)
    mean, scale = _statistics(values, None, mean, scale)
    # A column of row indices against the SNP indices selects the (rows x columns) block.
    return _standardized_block(values, rows[:, None], columns, mean, scale, dtype)


def genotype_transpose_product(genotypes, rows, right, mean, scale, *,
                               block_size: int = 4096, dtype=np.float32,
                               per_snp=None) -> np.ndarray:
    """``Z[rows]^T @ right`` for every SNP, from int8 genotypes in blocks of SNPs.

    The gradient of a linear encoder's weights for all SNPs at once (``right`` is the
    loss gradient with respect to the encoder outputs), used to check the optimality
    of the SNPs left out of a working set.

    Parameters
    ----------
    genotypes : Genotypes or ndarray of int8, shape (n_samples, n_snps)
    rows : array-like of int, shape (n_rows,)
    right : ndarray of shape (n_rows, k)
    mean, scale : ndarray of shape (n_snps,)
    block_size : int, default=4096
    dtype : {np.float32, np.float64}, default=np.float32
        Of the standardized blocks and their products.
    per_snp : callable, optional
        Applied to each block's product, ``(block, k) -> (block,)``: one number per
        SNP (e.g. its critical alpha), returned instead of the product. With
        :class:`ShardedGenotypes` the ranks then exchange ``n_snps`` numbers, not
        ``n_snps * k``.

    Returns
    -------
    ndarray of shape (n_snps, k), or (n_snps,) with ``per_snp``; float64
    """
    if _sharded(genotypes):
        return genotypes.transpose_product(rows, right, mean, scale,
                                           block_size=block_size, dtype=dtype,
                                           per_snp=per_snp)
    values = _values(genotypes)
    rows = np.asarray(rows, dtype=np.intp)
    right = np.asarray(right, dtype=dtype)
    if right.ndim != 2 or right.shape[0] != rows.size:
        raise DataError(f"right must have one row per selected sample ({rows.size}); "
                        f"got shape {right.shape}.")
    mean, scale = _statistics(values, None, mean, scale)
    n_snps = values.shape[1]
    out = np.empty((n_snps,) if per_snp is not None else (n_snps, right.shape[1]))
    # Blocks of whole SNP_CHUNKs are standardized at once; each chunk is its own product,
    # so that a SNP's value does not depend on block_size or on a split over processes.
    block_size = max(SNP_CHUNK, block_size - block_size % SNP_CHUNK)
    for start in range(0, n_snps, block_size):
        cols = slice(start, min(start + block_size, n_snps))
        z = _standardized_block(values, rows, cols, mean, scale, dtype)
        product = np.empty((z.shape[1], right.shape[1]))
        for a in range(0, z.shape[1], SNP_CHUNK):
            product[a:a + SNP_CHUNK] = z[:, a:a + SNP_CHUNK].T @ right
        out[cols] = product if per_snp is None else per_snp(product)
    return out

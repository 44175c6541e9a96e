"""The in-memory data riata trains on: clinical columns, int8 genotypes, outcome."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._errors import DataError, DataWarning, examples_of

__all__ = ["Genotypes", "Table", "MISSING_GENOTYPE", "match_samples"]

#: SNPs per matrix product in the passes over all SNPs
#: (:func:`riata.data.genotype_transpose_product`): each SNP's value is computed in the
#: same chunk whatever the block size or the split of SNPs over processes, so it does not
#: depend on either (a product's rounding can depend on its shape).
SNP_CHUNK = 64

#: Code of a missing genotype call in :attr:`Genotypes.values` (bed_reader's int8 code).
MISSING_GENOTYPE = -127


def _row_index(rows, n_rows: int) -> np.ndarray | slice:
    """Return ``rows`` as an integer index array (``slice(None)`` for all rows)."""
    if rows is None:
        return slice(None)
    rows = np.asarray(rows)
    if rows.size == 0 and rows.dtype != bool:  # [] arrives as float64
        return np.zeros(0, dtype=np.intp)
    if rows.dtype == bool:
        if rows.shape != (n_rows,):
            raise DataError(
                f"A boolean row mask must have one entry per sample ({n_rows}); "
                f"got shape {rows.shape}."
            )
        return np.flatnonzero(rows)
    if rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer):
        raise DataError(
            "Rows must be a 1-d array of integer positions or a boolean mask; got "
            f"dtype {rows.dtype} and shape {rows.shape}."
        )
    if rows.size and (rows.min() < -n_rows or rows.max() >= n_rows):
        raise DataError(f"Row positions must lie in [-{n_rows}, {n_rows}); got "
                        f"{rows.min()} to {rows.max()}.")
    return rows


@dataclass(eq=False)
class Genotypes:
    """Genotype calls kept as int8, with per-SNP metadata.

    Genotypes are never copied to a dense float matrix as a whole: 3,000 samples by
    500,000 SNPs is 1.5 GB as int8 and 6 GB as float32. Statistics are computed in
    column blocks, and :meth:`standardized` builds float rows only for the samples
    asked for (a minibatch).

    Parameters
    ----------
    values : ndarray of int8, shape (n_samples, n_snps)
        Allele counts 0, 1, 2 (of allele 1, the fifth column of a .bim file), with
        missing calls marked ``-127`` (:data:`MISSING_GENOTYPE`). Any memory order.
    snp_names : array-like of str, shape (n_snps,)
    chromosome : array-like of str, shape (n_snps,)
        Kept as text so that ``"X"``, ``"MT"`` and ``"23"`` all survive.
    bp_position : array-like of int, shape (n_snps,)
        Base-pair coordinate.
    sample_ids : array-like of str, shape (n_samples,)
        Individual ids (the .fam file's second column).
    allele_1, allele_2 : array-like of str, shape (n_snps,), default=None
        The counted allele and the other one; ``None`` when unknown.

    Examples
    --------
    >>> import numpy as np
    >>> g = Genotypes(np.array([[0, 2], [2, -127], [1, 1]], dtype=np.int8),
    ...               snp_names=["rs1", "rs2"], chromosome=["1", "1"],
    ...               bp_position=[10, 20], sample_ids=["a", "b", "c"])
    >>> mean, scale = g.mean_and_scale()
    >>> mean.tolist()
    [1.0, 1.5]
    >>> g.standardized([1], mean, scale, dtype=np.float64).round(3).tolist()
    [[1.225, 0.0]]
    """

    values: np.ndarray
    snp_names: np.ndarray
    chromosome: np.ndarray
    bp_position: np.ndarray
    sample_ids: np.ndarray
    allele_1: np.ndarray | None = None
    allele_2: np.ndarray | None = None

    def __post_init__(self):
        values = np.asarray(self.values)
        if values.dtype != np.int8 or values.ndim != 2:
            raise DataError(
                "Genotypes.values must be a 2-d int8 array (samples x SNPs) with "
                f"missing calls as {MISSING_GENOTYPE}; got dtype {values.dtype} and "
                f"shape {values.shape}."
            )
        self.values = values
        n_samples, n_snps = values.shape
        self.sample_ids = self._vector(self.sample_ids, n_samples, "sample_ids", str)
        self.snp_names = self._vector(self.snp_names, n_snps, "snp_names", str)
        self.chromosome = self._vector(self.chromosome, n_snps, "chromosome", str)
        self.bp_position = self._vector(self.bp_position, n_snps, "bp_position",
                                        np.int64)
        for name in ("allele_1", "allele_2"):
            if getattr(self, name) is not None:
                alleles = self._vector(getattr(self, name), n_snps, name, str)
                setattr(self, name, alleles)

    @staticmethod
    def _vector(values, length: int, name: str, dtype) -> np.ndarray:
        arr = np.asarray(values, dtype=dtype)
        if arr.shape != (length,):
            raise DataError(f"Genotypes.{name} must have shape ({length},) to match "
                            f"the genotype matrix; got {arr.shape}.")
        return arr

    @property
    def n_samples(self) -> int:
        """Number of samples (rows)."""
        return self.values.shape[0]

    @property
    def n_snps(self) -> int:
        """Number of SNPs (columns)."""
        return self.values.shape[1]

    def mean_and_scale(self, rows=None, *, block_size: int = 1024):
        """Per-SNP mean and standard deviation over the observed calls of ``rows``.

        Computed one block of ``block_size`` SNPs at a time with exact integer sums,
        so the extra memory is a few ``(len(rows), block_size)`` int8/int16 blocks
        (about 8 MB for 2,000 rows).

        Parameters
        ----------
        rows : array-like of int or bool, default=None
            The training rows (positions or a boolean mask); ``None`` means all rows.
            Statistics must come from the training split only.
        block_size : int, default=1024
            SNPs per block.

        Returns
        -------
        mean : ndarray of float64, shape (n_snps,)
            Mean allele count over the non-missing calls; 0 for a SNP with no observed
            call in ``rows``.
        scale : ndarray of float64, shape (n_snps,)
            Standard deviation (``ddof=0``, as scikit-learn's ``StandardScaler``) over
            the non-missing calls; 1 where it is 0 or undefined, so that a monomorphic
            SNP standardizes to 0 instead of dividing by zero.

        Notes
        -----
        The empirical SD is used, as for clinical columns, rather than the
        Hardy-Weinberg scale ``sqrt(2 p (1 - p))`` of GCTA-style relatedness: the two
        agree for SNPs in equilibrium, and the empirical one stays right when the
        cohort is not in equilibrium.
        """
        if block_size < 1:
            raise DataError(f"block_size must be >= 1; got {block_size}.")
        index = _row_index(rows, self.n_samples)
        mean = np.zeros(self.n_snps)
        scale = np.ones(self.n_snps)
        for start in range(0, self.n_snps, block_size):
            stop = min(start + block_size, self.n_snps)
            block = self.values[index, start:stop]
            observed = block != MISSING_GENOTYPE
            calls = np.where(observed, block, 0)  # still int8
            count = observed.sum(axis=0)
            total = calls.sum(axis=0, dtype=np.int64)
            # int8 squares fit int16 (at most 128^2); sums are exact in int64.
            total_sq = np.square(calls, dtype=np.int16).sum(axis=0, dtype=np.int64)
            has = count > 0
            block_mean = np.zeros(stop - start)
            block_mean[has] = total[has] / count[has]
            # E[x^2] - E[x]^2 from exact integer sums; the clip removes -1e-16 noise.
            var = np.zeros(stop - start)
            second_moment = total_sq[has] / count[has]
            var[has] = np.clip(second_moment - block_mean[has] ** 2, 0, None)
            sd = np.sqrt(var)
            mean[start:stop] = block_mean
            scale[start:stop] = np.where(sd > 0, sd, 1.0)
        return mean, scale

    def standardized(self, rows, mean, scale, *, dtype=np.float32) -> np.ndarray:
        """Dense standardized genotypes ``(x - mean) / scale`` for some rows.

        Missing calls become 0, i.e. they are imputed at the training mean.

        Parameters
        ----------
        rows : array-like of int or bool, or None
            Rows to build (a minibatch); ``None`` builds every row, which is the dense
            copy riata otherwise avoids.
        mean, scale : ndarray of shape (n_snps,)
            From :meth:`mean_and_scale` on the training rows.
        dtype : numpy dtype, default=np.float32

        Returns
        -------
        ndarray of shape (n_rows, n_snps)
        """
        index = _row_index(rows, self.n_samples)
        block = self.values[index]
        out = (block.astype(dtype) - np.asarray(mean, dtype=dtype)) / np.asarray(
            scale, dtype=dtype
        )
        out[block == MISSING_GENOTYPE] = 0
        return out

    def missing_calls(self, rows=None, *, block_size: int = 1024) -> int:
        """Number of missing calls (``-127``) among ``rows`` (all rows when None),
        counted ``block_size`` rows at a time."""
        index = np.arange(self.n_samples)[_row_index(rows, self.n_samples)]
        return int(sum(np.count_nonzero(self.values[index[s:s + block_size]]
                                        == MISSING_GENOTYPE)
                       for s in range(0, index.size, block_size)))

    def subset(self, rows) -> Genotypes:
        """A new :class:`Genotypes` with the given rows (a copy of those rows)."""
        index = _row_index(rows, self.n_samples)
        return Genotypes(
            values=self.values[index], snp_names=self.snp_names,
            chromosome=self.chromosome, bp_position=self.bp_position,
            sample_ids=self.sample_ids[index], allele_1=self.allele_1,
            allele_2=self.allele_2,
        )


@dataclass(kw_only=True, eq=False)
class Table:
    """One cohort: raw clinical columns, genotypes and the outcome, rows aligned.

    Nothing here is encoded or standardized: that happens after the split, from the
    training rows only (:class:`~riata.data.ClinicalEncoder`,
    :meth:`Genotypes.mean_and_scale`).

    Parameters
    ----------
    clinical : DataFrame of shape (n_samples, n_columns) or None, default=None
        Raw clinical variables indexed by sample id: numeric columns as float64,
        categorical ones with pandas ``category`` dtype (as :func:`read_clinical`
        returns them). ``None`` when there are none.
    genotypes : Genotypes or None, default=None
        Rows in the same order as ``sample_ids``.
    y : ndarray of shape (n_samples,)
        The outcome.
    sample_ids : ndarray of str, shape (n_samples,)
    target_name : str
        Name of the outcome column.
    dropped_columns : dict of str to str, default={}
        Columns left out while reading and why, for the report.
    sample_summary : dict or None, default=None
        What :func:`match_samples` reported when clinical and genotype samples were
        matched.
    positive_class : object, default=None
        The positive class of a binary target as the user chose it (one of the
        values of ``y``); None lets :func:`riata.data.positive_label` decide.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> clinical = pd.DataFrame({"age": [50.0, 61.0, 47.0]}, index=["a", "b", "c"])
    >>> table = Table(clinical=clinical, y=np.array([0, 1, 0]),
    ...               sample_ids=np.array(["a", "b", "c"]), target_name="CHD")
    >>> table.subset([2, 0]).sample_ids.tolist()
    ['c', 'a']
    """

    clinical: pd.DataFrame | None = None
    genotypes: Genotypes | None = None
    y: np.ndarray
    sample_ids: np.ndarray
    target_name: str
    dropped_columns: dict = field(default_factory=dict)
    sample_summary: dict | None = None
    positive_class: object = None

    def __post_init__(self):
        self.y = np.asarray(self.y)
        self.sample_ids = np.asarray(self.sample_ids).astype(str)
        n = self.sample_ids.shape[0]
        if self.clinical is None and self.genotypes is None:
            raise DataError("A Table needs clinical columns, genotypes or both.")
        if self.y.shape != (n,):
            raise DataError(f"y has shape {self.y.shape} but there are {n} sample ids.")
        if self.clinical is not None:
            if not isinstance(self.clinical, pd.DataFrame):
                raise DataError("Table.clinical must be a pandas DataFrame or None; "
                                f"got {type(self.clinical).__name__}.")
            index = np.asarray(self.clinical.index).astype(str)
            if index.shape != (n,) or not np.array_equal(index, self.sample_ids):
                raise DataError("The clinical rows are not indexed by the table's "
                                "sample ids in the same order; align them first "
                                "(see match_samples).")
        if self.genotypes is not None and not np.array_equal(
            self.genotypes.sample_ids, self.sample_ids
        ):
            raise DataError("The genotype rows are not the table's samples in the same "
                            "order; align them first (see match_samples).")

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return self.sample_ids.shape[0]

    def subset(self, rows) -> Table:
        """A new :class:`Table` with the given rows, in the given order.

        Parameters
        ----------
        rows : array-like of int or bool
            Positions or a boolean mask, e.g. one split's indices.
        """
        index = _row_index(rows, self.n_samples)
        return Table(
            clinical=None if self.clinical is None else self.clinical.iloc[index],
            genotypes=None if self.genotypes is None else self.genotypes.subset(index),
            y=self.y[index], sample_ids=self.sample_ids[index],
            target_name=self.target_name, dropped_columns=dict(self.dropped_columns),
            sample_summary=self.sample_summary, positive_class=self.positive_class,
        )

    def summary(self) -> dict:
        """Plain-data description for a report: sizes, classes, what was left out."""
        labels, counts = np.unique(self.y.astype(str), return_counts=True)
        return {
            "n_samples": self.n_samples,
            "target": self.target_name,
            "class_counts": dict(zip(labels.tolist(), counts.tolist())),
            "clinical_columns": [] if self.clinical is None
            else [str(c) for c in self.clinical.columns],
            "n_snps": 0 if self.genotypes is None else self.genotypes.n_snps,
            "dropped_columns": dict(self.dropped_columns),
            "sample_summary": self.sample_summary,
        }


# --------------------------------------------------------------------------- matching
def match_samples(clinical_ids, genotype_ids, *, min_samples: int = 10,
                  clinical_source: str = "the clinical table",
                  genotype_source: str = "the genotype .fam file"):
    """Align clinical and genotype samples by id.

    Samples are kept in the clinical order; those present in only one input are left
    out and reported (count and up to 5 example ids) in a :class:`DataWarning` and in
    the returned summary.

    Parameters
    ----------
    clinical_ids, genotype_ids : array-like of str
        Sample ids of each input; compared as text after stripping whitespace.
    min_samples : int, default=10
        Fewest matched samples accepted (a stratified train/validation/test split
        needs several of each class).
    clinical_source, genotype_source : str
        How messages name the inputs, e.g. ``"column 'PatientID' of clinical.csv"``.

    Returns
    -------
    clinical_index : ndarray of int, shape (n_matched,)
    genotype_index : ndarray of int, shape (n_matched,)
        ``clinical_ids[clinical_index] == genotype_ids[genotype_index]``.
    summary : dict
        ``n_clinical``, ``n_genotype``, ``n_matched``, ``only_clinical`` and
        ``only_genotype`` (counts) with ``*_examples`` (up to 5 ids each).

    Raises
    ------
    DataError
        If ids repeat within an input, no id matches (examples of both inputs are
        shown) or fewer than ``min_samples`` match.
    """
    clinical = np.char.strip(np.asarray(clinical_ids, dtype=str))
    genotype = np.char.strip(np.asarray(genotype_ids, dtype=str))
    for ids, source in ((clinical, clinical_source), (genotype, genotype_source)):
        unique, counts = np.unique(ids, return_counts=True)
        if (counts > 1).any():
            raise DataError(f"Sample ids in {source} repeat: "
                            f"{examples_of(unique[counts > 1])}; ids must be unique.")
    position = {sample: i for i, sample in enumerate(genotype)}
    clinical_index = np.array([i for i, s in enumerate(clinical) if s in position],
                              dtype=np.intp)
    genotype_index = np.array([position[s] for s in clinical[clinical_index]],
                              dtype=np.intp)
    in_clinical = set(clinical.tolist())
    only_clinical = [s for s in clinical.tolist() if s not in position]
    only_genotype = [s for s in genotype.tolist() if s not in in_clinical]
    if clinical_index.size == 0:
        def simple(ids):
            return {s.lstrip("0").lower() for s in ids}
        hint = (" They match after removing leading zeros / ignoring case: write the "
                "ids the same way in both files."
                if simple(clinical) & simple(genotype) else
                " The genotype ids are the .fam's second column (individual id).")
        raise DataError(
            f"The sample ids of {clinical_source} match nothing in {genotype_source}: "
            f"e.g. {examples_of(clinical)} versus {examples_of(genotype)}.{hint}"
        )
    summary = {
        "n_clinical": int(clinical.size), "n_genotype": int(genotype.size),
        "n_matched": int(clinical_index.size),
        "only_clinical": len(only_clinical),
        "only_clinical_examples": only_clinical[:5],
        "only_genotype": len(only_genotype),
        "only_genotype_examples": only_genotype[:5],
    }
    if only_clinical or only_genotype:
        parts = [f"{len(ids)} only in {source} (e.g. {examples_of(ids)})"
                 for ids, source in ((only_clinical, clinical_source),
                                     (only_genotype, genotype_source)) if ids]
        warnings.warn(f"Matched {clinical_index.size} samples; left out "
                      + " and ".join(parts) + ".", DataWarning, stacklevel=2)
    if clinical_index.size < min_samples:
        raise DataError(f"Only {clinical_index.size} sample(s) are in both "
                        f"{clinical_source} and {genotype_source}; at least "
                        f"{min_samples} are needed.")
    return clinical_index, genotype_index, summary

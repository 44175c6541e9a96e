"""New samples for a saved model: their files read as the model was trained.

Clinical columns are typed as the model's encoder saw them in training, SNPs are
matched to the model's by name, and the input matrix is built a block of rows at a
time (encoded clinical columns first, standardized genotypes last), with the
statistics saved with the model. Genotypes stay int8 until a block of rows is
standardized into the float32 output; no float64 copy of the genotype matrix is made.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import DataError, examples_of
from ._readers import (
    _as_text_or_number,
    _check_file,
    _read_plink_metadata,
    _read_raw_table,
    _text_ids,
    numeric_values,
    read_plink,
)
from ._table import MISSING_GENOTYPE, Genotypes, match_samples

__all__ = [
    "assemble_features",
    "count_missing_calls",
    "read_genotypes_for_model",
    "read_new_clinical",
    "BLOCK_ROWS",
]

#: Rows standardized at a time: bounds the float temporaries to a few blocks.
BLOCK_ROWS = 1024


def assemble_features(clinical, genotypes: Genotypes | None, rows, mean=None,
                      scale=None, *, dtype=np.float32) -> np.ndarray:
    """The input matrix of some rows: encoded clinical columns, then genotypes.

    Parameters
    ----------
    clinical : ndarray of shape (n_samples, n_clinical) or None
        Encoded clinical columns of every sample (e.g. ``ClinicalEncoder.transform``).
    genotypes : Genotypes or None
        int8 calls of every sample, in the same row order.
    rows : array-like of int
        The rows to build (one split).
    mean, scale : ndarray of shape (n_snps,)
        Per-SNP training statistics; a missing call becomes 0 (the training mean).
    dtype : numpy dtype, default=np.float32

    Returns
    -------
    ndarray of shape (len(rows), n_clinical + n_snps)
        Built one block of ``BLOCK_ROWS`` rows at a time.
    """
    rows = np.asarray(rows, dtype=np.intp)
    n_clinical = 0 if clinical is None else clinical.shape[1]
    n_snps = 0 if genotypes is None else genotypes.n_snps
    out = np.empty((rows.size, n_clinical + n_snps), dtype=dtype)
    for start in range(0, rows.size, BLOCK_ROWS):
        block = rows[start:start + BLOCK_ROWS]
        stop = start + block.size
        if n_clinical:
            out[start:stop, :n_clinical] = clinical[block]
        if n_snps:
            out[start:stop, n_clinical:] = genotypes.standardized(block, mean, scale,
                                                                  dtype=dtype)
    return out


def count_missing_calls(genotypes: Genotypes | None, rows=None) -> int:
    """Number of missing genotype calls (``-127``) in some rows, counted in blocks."""
    if genotypes is None:
        return 0
    index = (np.arange(genotypes.n_samples) if rows is None
             else np.asarray(rows, dtype=np.intp))
    total = 0
    for start in range(0, index.size, BLOCK_ROWS):
        block = genotypes.values[index[start:start + BLOCK_ROWS]]
        total += int(np.count_nonzero(block == MISSING_GENOTYPE))
    return total


def _typed_column(raw: pd.Series, spec: dict, ids: np.ndarray, path: Path) -> pd.Series:
    """One column of a new file, typed as the encoder saw it in training."""
    name = spec["name"]
    values = _as_text_or_number(raw, name, path)
    numbers = pd.to_numeric(values, errors="coerce")
    text = (values.notna() & numbers.isna()).to_numpy()
    if spec["kind"] == "numeric":
        return numeric_values(values, name, ids, path, role="is numeric in the model")
    if all(isinstance(level, float) for level in spec["levels"]):
        # Levels read as numbers in training (SEX 1.0 / 2.0): compare as numbers, so
        # that "1" and "1.0" are the same level; other text stays text (an unseen
        # category, reported by the encoder).
        return pd.Series(np.where(text | values.isna().to_numpy(), values.to_numpy(),
                                  numbers.to_numpy()), index=raw.index, dtype=object)
    return _text_ids(raw)


def read_new_clinical(path, *, id_column: str, encoder=None) -> tuple[pd.DataFrame,
                                                                        np.ndarray]:
    """Read a clinical file of new samples (no target needed) for a saved model.

    Unlike :func:`riata.data.read_clinical` nothing is dropped (a file of one row has
    only constant columns) and the types are those the encoder learned in training.

    Parameters
    ----------
    path : str or path-like
        .csv, .tsv (optionally .gz) or .parquet.
    id_column : str
        The id column the model was trained with.
    encoder : ClinicalEncoder or None
        The model's fitted encoder; None when the model uses genotypes only.

    Returns
    -------
    frame : DataFrame indexed by id, with the encoder's columns (or none)
    ids : ndarray of str

    Raises
    ------
    DataError
        For a missing or empty file, a missing id column or model column, empty or
        duplicate ids, a non-numeric or infinite value in a numeric column.
    """
    path = Path(path)
    _check_file(path, "Clinical file")
    raw = _read_raw_table(path)
    if len(raw) == 0:
        raise DataError(f"Clinical file '{path}' has a header but no data rows.")
    if id_column not in raw.columns:
        raise DataError(f"Clinical file '{path}' has no id column '{id_column}' (the "
                        "model was trained with this id column). Available columns: "
                        f"{list(raw.columns)}.")
    ids = _text_ids(raw[id_column])
    if ids.isna().any():
        lines = (np.flatnonzero(ids.isna().to_numpy()) + 2).tolist()
        raise DataError(f"Clinical file '{path}': the id column '{id_column}' is empty "
                        f"at line(s) {examples_of(lines)} (line 1 is the header).")
    ids = ids.to_numpy(dtype=str)
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise DataError(f"Clinical file '{path}': id(s) {examples_of(unique[counts > 1])}"
                        f" occur more than once in column '{id_column}'.")
    index = pd.Index(ids, name=id_column, dtype=object)
    if encoder is None:
        return pd.DataFrame(index=index), ids
    needed = [spec["name"] for spec in encoder.columns_]
    absent = [c for c in needed if c not in raw.columns]
    if absent:
        raise DataError(f"Clinical file '{path}' lacks column(s) {absent} that the "
                        f"model needs; it needs {needed} (and '{id_column}').")
    columns = {spec["name"]: _typed_column(raw[spec["name"]], spec, ids, path).to_numpy()
               for spec in encoder.columns_}
    return pd.DataFrame(columns, index=index), ids


def read_genotypes_for_model(prefix, sample_ids, stats: dict, *, min_samples: int = 1,
                             clinical_source: str = "the clinical file"):
    """Read the SNPs a model was trained on, for the samples of a clinical file.

    Samples are matched by id (:func:`riata.data.match_samples`: those in only one
    input are reported in a :class:`~riata.data.DataWarning`); SNPs are matched by
    name, in the model's order, so the new .bim may list them in another order or
    hold more.

    Parameters
    ----------
    prefix : str or path-like
        PLINK fileset prefix.
    sample_ids : array-like of str
        Ids of the clinical file, in its order.
    stats : dict
        The model's ``genotype_stats`` (``snp_names``, ``mean``, ``scale`` and,
        when known, ``allele_1``).
    min_samples : int, default=1
    clinical_source : str
        How messages name the clinical ids.

    Returns
    -------
    clinical_rows : ndarray of int
        Rows of the clinical file that have genotypes.
    genotypes : Genotypes
        Those samples (same order) and the model's SNPs (its order).
    summary : dict
        As :func:`match_samples` returns it.
    """
    paths, bim, fam = _read_plink_metadata(prefix)
    rows, _, summary = match_samples(sample_ids, fam["iid"].to_numpy(dtype=str),
                                     min_samples=min_samples,
                                     clinical_source=clinical_source,
                                     genotype_source=f"'{paths['.fam']}'")
    names = np.asarray(stats["snp_names"], dtype=str)
    position = {snp: j for j, snp in enumerate(bim["snp"].to_numpy(dtype=str))}
    absent = [snp for snp in names if snp not in position]
    if absent:
        raise DataError(f"PLINK .bim file '{paths['.bim']}' lacks {len(absent)} of the "
                        f"model's {names.size} SNPs, e.g. {examples_of(absent)}; "
                        "genotype the same SNPs (same names) as in training.")
    columns = np.array([position[snp] for snp in names], dtype=np.intp)
    if stats.get("allele_1") is not None:
        counted = bim["allele_1"].to_numpy(dtype=str)[columns]
        flipped = np.flatnonzero(counted != np.asarray(stats["allele_1"], dtype=str))
        if flipped.size:
            raise DataError(
                f"PLINK .bim file '{paths['.bim']}': {flipped.size} SNP(s) count another "
                f"allele than in training (fifth .bim column), e.g. "
                f"{examples_of(names[flipped])}; recode them to the training alleles "
                "(plink --a1-allele).")
    full = read_plink(prefix, sample_ids=np.asarray(sample_ids, dtype=str)[rows])
    values = full.values[:, columns] if not np.array_equal(
        columns, np.arange(full.n_snps)) else full.values
    alleles = {key: None if getattr(full, key) is None else getattr(full, key)[columns]
               for key in ("allele_1", "allele_2")}
    genotypes = Genotypes(values=values, snp_names=names,
                          chromosome=full.chromosome[columns],
                          bp_position=full.bp_position[columns],
                          sample_ids=full.sample_ids, **alleles)
    return rows, genotypes, summary

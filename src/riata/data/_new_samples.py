"""New samples for a saved model: their files read as the model was trained.

Clinical columns are typed as the model's encoder saw them in training, SNPs are
matched to the model's by name, and the input matrix is built a block of rows at a
time (encoded clinical columns first, standardized genotypes last), with the
statistics saved with the model. Genotypes stay int8 until a block of rows is
standardized into the float32 output; no float64 copy of the genotype matrix is made.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._columns import as_text_or_number, numeric_values, parse_numbers, text_ids
from ._errors import DataError, examples_of
from ._plink import read_plink, read_plink_metadata, refuse_repeated, repeated_snp_ids
from ._readers import read_ids
from ._table import MISSING_GENOTYPE, Genotypes, match_samples
from ._tables import RawTable, TableFormat, read_raw_table

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


def _typed_column(raw_values: pd.Series, spec: dict, ids: np.ndarray, raw: RawTable,
                  decimal: str) -> pd.Series:
    """One column of a new file, typed as the encoder saw it in training."""
    name = spec["name"]
    values = as_text_or_number(raw_values, name, raw)
    if spec["kind"] == "numeric":
        return numeric_values(values, name, ids, raw, decimal=decimal,
                              role="is numeric in the model")
    numbers = parse_numbers(values, decimal)
    text = (values.notna() & numbers.isna()).to_numpy()
    if all(isinstance(level, float) for level in spec["levels"]):
        # Levels read as numbers in training (SEX 1.0 / 2.0): compare as numbers, so
        # that "1" and "1.0" are the same level; other text stays text (an unseen
        # category, reported by the encoder).
        return pd.Series(np.where(text | values.isna().to_numpy(), values.to_numpy(),
                                  numbers.to_numpy()), index=raw_values.index,
                         dtype=object)
    return text_ids(raw_values, raw)


def read_new_clinical(path, *, id_column: str, encoder=None,
                      table_format: TableFormat | None = None) -> tuple[pd.DataFrame,
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
    table_format : TableFormat, default=None
        Separator, decimal mark and missing-value markers (those of the training
        file, saved with the model, unless the new file is written otherwise).

    Returns
    -------
    frame : DataFrame indexed by id, with the encoder's columns (or none)
    ids : ndarray of str

    Raises
    ------
    DataError
        For a missing, empty or malformed file, a missing id column or model column,
        empty or duplicate ids, a non-numeric, infinite or overflowing value in a
        numeric column; the message names the file, column, line and sample.
    """
    fmt = TableFormat() if table_format is None else table_format
    raw = read_raw_table(path, fmt)
    ids = read_ids(raw, id_column,
                   purpose=" (the model was trained with this id column)")
    index = pd.Index(ids, name=id_column, dtype=object)
    if encoder is None:
        return pd.DataFrame(index=index), ids
    needed = [spec["name"] for spec in encoder.columns_]
    absent = [c for c in needed if c not in raw.frame.columns]
    if absent:
        raise DataError(f"Clinical file '{raw.path}' lacks column(s) {absent} that the "
                        f"model needs; it needs {needed} (and '{id_column}').")
    columns = {spec["name"]: _typed_column(raw.frame[spec["name"]], spec, ids, raw,
                                           fmt.decimal).to_numpy()
               for spec in encoder.columns_}
    return pd.DataFrame(columns, index=index), ids


def read_genotypes_for_model(prefix, sample_ids, stats: dict, *, min_samples: int = 1,
                             clinical_source: str = "the clinical file"):
    """Read the SNPs a model was trained on, for the samples of a clinical file.

    Samples are matched by id (:func:`riata.data.match_samples`: those in only one
    input are reported in a :class:`~riata.data.DataWarning`); SNPs are matched by
    name, in the model's order, so the new .bim may list them in another order or
    hold more. A model SNP whose id names several .bim lines is refused (the other
    SNPs are not read and may repeat); its chromosome and counted allele, when the
    model saved them, must be the training ones. Only the model's SNPs are read.

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
    metadata = read_plink_metadata(prefix)
    paths, bim, fam = metadata
    rows, _, summary = match_samples(sample_ids, fam["iid"].to_numpy(dtype=str),
                                     min_samples=min_samples,
                                     clinical_source=clinical_source,
                                     genotype_source=f"'{paths['.fam']}'")
    names = np.asarray(stats["snp_names"], dtype=str)
    refuse_repeated(repeated_snp_ids(bim, names), paths[".bim"], prefix)
    position = {snp: j for j, snp in enumerate(bim["snp"].to_numpy(dtype=str))}
    absent = [snp for snp in names if snp not in position]
    if absent:
        raise DataError(f"PLINK .bim file '{paths['.bim']}' lacks {len(absent)} of the "
                        f"model's {names.size} SNPs, e.g. {examples_of(absent)}; "
                        "genotype the same SNPs (same names) as in training.")
    columns = np.array([position[snp] for snp in names], dtype=np.intp)
    for key, column, fix in (
            ("chromosome", "first", "check that the fileset uses the same ids and "
             "chromosome codes as in training"),
            ("allele_1", "fifth", "recode them to the training alleles (plink "
             "--a1-allele)")):
        if stats.get(key) is None:
            continue
        found = bim[key].to_numpy(dtype=str)[columns]
        differ = np.flatnonzero(found != np.asarray(stats[key], dtype=str))
        if differ.size:
            what = ("lie on another chromosome" if key == "chromosome"
                    else "count another allele")
            raise DataError(
                f"PLINK .bim file '{paths['.bim']}': {differ.size} SNP(s) {what} than "
                f"in training ({column} .bim column), e.g. "
                + ", ".join(f"{names[j]!r} ({found[j]!r}, trained {str(stats[key][j])!r})"
                            for j in differ[:3]) + f"; {fix}.")
    # Only the model's SNPs are read: a model of 60 SNPs applied to a fileset of two
    # million reads 60 columns of the .bed, not the whole file.
    genotypes = read_plink(prefix, sample_ids=np.asarray(sample_ids, dtype=str)[rows],
                           snp_index=columns, metadata=metadata)
    return rows, genotypes, summary

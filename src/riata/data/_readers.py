"""Readers for a user's own data: a clinical table and, optionally, a PLINK fileset.

Every problem with the input is raised as :class:`~riata.data.DataError` with a message
that names the file and the column, line or sample id, says what was expected and how
to fix it. Changes riata makes on its own (a dropped constant column, samples present
in only one input) are announced with :class:`~riata.data.DataWarning`. The pieces
live beside this module: raw cells and lines (``_tables``), column types
(``_columns``), the target (``_target``) and PLINK filesets (``_plink``).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._columns import parse_column, text_ids
from ._errors import DataError, DataWarning, examples_of
from ._plink import (
    bim_metadata,
    read_plink,
    read_plink_metadata,
    refuse_repeated,
    repeated_snp_ids,
)
from ._sharded import ShardedGenotypes, snp_shard
from ._table import Table, match_samples
from ._tables import TableFormat, read_raw_table, unnamed_index_hint
from ._target import read_target

__all__ = ["read_clinical", "read_plink", "read_table", "read_ids"]

logger = logging.getLogger(__name__)


def _check_names(names, available, argument: str, path: Path) -> list:
    names = [] if names is None else [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise DataError(f"Clinical file '{path}': {argument}= names column(s) "
                        f"{unknown} that the file does not have. Available columns: "
                        f"{list(available)}.")
    return names


def read_ids(raw, id_column: str, *, purpose: str = "") -> np.ndarray:
    """The id column of a raw table as unique, non-empty text ids.

    Parameters
    ----------
    raw : RawTable
    id_column : str
    purpose : str, default=""
        Added to the message of a missing column (``" (the model was trained with
        this id column)"``).

    Returns
    -------
    ndarray of str
    """
    path = raw.path
    if id_column not in raw.frame.columns:
        raise DataError(f"Clinical file '{path}' has no column '{id_column}' (given as "
                        f"id_column=){purpose}. Available columns: "
                        f"{list(raw.frame.columns)}.{unnamed_index_hint(raw, id_column)}")
    ids = text_ids(raw.frame[id_column], raw)
    if ids.isna().any():
        rows = np.flatnonzero(ids.isna().to_numpy())
        where = ("line(s)" if raw.lines is not None else "row(s)")
        numbers = (raw.lines[rows] if raw.lines is not None else rows + 1).tolist()
        raise DataError(f"Clinical file '{path}': the id column '{id_column}' is empty "
                        f"on {len(rows)} row(s), at {where} {examples_of(numbers)}"
                        + (" (line 1 is the header)" if raw.lines is not None else "")
                        + ". Give every sample an id.")
    ids = ids.to_numpy(dtype=str)
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        dups = unique[counts > 1]
        first = dups[0]
        rows = np.flatnonzero(ids == first)
        where = ("lines" if raw.lines is not None else "rows")
        numbers = (raw.lines[rows] if raw.lines is not None else rows + 1).tolist()
        raise DataError(f"Clinical file '{path}': {dups.size} id(s) in column "
                        f"'{id_column}' occur more than once, e.g. "
                        f"{examples_of(dups)}; '{first}' is on {where} "
                        f"{examples_of(numbers)}"
                        + (" (line 1 is the header)" if raw.lines is not None else "")
                        + ". Each sample must have one row with a unique id.")
    return ids


def read_clinical(path, *, target: str, id_column: str, categorical=None, numeric=None,
                  drop=None, separator=None, decimal: str = ".", na_values=None):
    """Read a clinical table (.csv, .tsv, optionally gzipped, or .parquet).

    Column types follow one rule, which ``categorical`` and ``numeric`` override:

    - a column whose every non-missing value parses as a number is **numeric**,
      whatever its number of distinct values: codes such as education 1-4 stay
      numbers unless listed in ``categorical`` (a log message at INFO level lists the
      integer columns with at most 10 distinct values, the likely candidates);
    - a column with text is **categorical**, unless the text looks like numbers in
      disguise, which is refused (:class:`DataError`) rather than guessed: numbers in
      another notation (``58,0`` where the decimal mark is ``.``), numbers mixed
      with a missing-value marker such as ``?`` or ``.`` (pass it in ``na_values``),
      or a column that is at least half numbers or has more than 10 distinct
      numbers besides its text (typos such as ``5O``). List such a column in
      ``categorical`` to keep it as categories.

    Cells are stripped of surrounding whitespace; empty cells, pandas' usual
    missing-value spellings (``NA``, ``NaN``, ``null``, ``#N/A``, ...) and
    ``na_values`` are missing. Every line must have as many fields as the header.
    Values beyond ``+-1.3e150`` (they would overflow standardization) and infinite
    values are refused. A column that is entirely missing or has a single distinct
    value is dropped with a :class:`DataWarning`; the dropped columns are recorded in
    ``frame.attrs["dropped_columns"]`` (column -> reason) for the report. Levels
    that often mark missing values (``?``, ``unknown`` ...) and numbers often used
    as codes (``-9``, ``999`` outside a column's range) are reported with a warning.

    Parameters
    ----------
    path : str or path-like
        The file; its extension chooses the format.
    target : str
        Outcome column. It must have no missing or infinite value, at least two
        distinct values, and one coding (numbers, or text with one spelling per
        class).
    id_column : str
        Sample id column; ids are read as text (``007`` stays ``007``) and must be
        unique and non-missing.
    categorical : list of str, default=None
        Columns to treat as categorical even if numeric. Numeric levels are stored as
        floats so that encoded names read ``SEX_1.0`` whether the file wrote ``1`` or
        ``1.0``, as in the heat maps of the original study.
    numeric : list of str, default=None
        Columns that must be numeric; a non-numeric value raises :class:`DataError`
        naming the column, the line, the sample id and the value.
    drop : list of str, default=None
        Columns to ignore.
    separator : str, default=None
        Field separator of a text table; None: ``,`` for .csv, tab for .tsv.
    decimal : {".", ","}, default="."
        Decimal mark of the numbers.
    na_values : list of str, default=None
        More cells to read as missing, e.g. ``["?", "-9"]``.

    Returns
    -------
    frame : DataFrame of shape (n_samples, n_columns)
        Indexed by sample id (index name ``id_column``); numeric columns as float64,
        categorical columns with pandas ``category`` dtype (levels sorted).
    y : ndarray of shape (n_samples,)
        int64 when every value is an integer, float64 for other numbers, object
        (str) for text labels.
    sample_ids : ndarray of str, shape (n_samples,)

    Raises
    ------
    DataError
        For a missing, empty or malformed file (a line with too few or too many
        fields, an unclosed quote, not UTF-8, a broken gzip), a missing target or id
        column, duplicate or missing ids, a value of a numeric column that is not a
        number, numbers in disguise (see above), an infinite or overflowing value, a
        missing or infinite target, a target with one class or mixed codings.

    See Also
    --------
    ClinicalEncoder : one-hot encodes and standardizes the returned frame.
    TableFormat : the separator, decimal mark and missing-value markers.
    """
    fmt = TableFormat(separator=separator, decimal=decimal, na_values=na_values or ())
    raw = read_raw_table(path, fmt)
    path = raw.path
    available = list(raw.frame.columns)
    if target not in available:
        raise DataError(f"Clinical file '{path}' has no column '{target}' (given as "
                        f"target=). Available columns: {available}.")
    if target == id_column:
        raise DataError(f"target= and id_column= both name '{target}'.")
    ids = read_ids(raw, id_column)
    drop = _check_names(drop, available, "drop", path)
    categorical = _check_names(categorical, available, "categorical", path)
    numeric = _check_names(numeric, available, "numeric", path)
    both = sorted(set(categorical) & set(numeric))
    reserved = sorted(set(categorical + numeric + drop) & {target, id_column})
    if both or reserved:
        raise DataError(f"Clinical file '{path}': column(s) {both or reserved} are "
                        + ("listed as both categorical and numeric." if both else
                           "the target or id column; they cannot also be features."))
    y = read_target(raw.frame[target], ids, target, raw, decimal=fmt.decimal)

    columns, dropped, small_integer = {}, {}, []
    for column in available:
        if column in (target, id_column) or column in drop:
            continue
        declared = ("numeric" if column in numeric else
                    "categorical" if column in categorical else None)
        kind, values = parse_column(raw.frame[column], column, ids, raw, declared,
                                    decimal=fmt.decimal)
        if kind == "dropped":
            dropped[column] = values
            continue
        columns[column] = values
        if kind == "numeric":
            distinct = np.unique(values[~np.isnan(values)])
            if distinct.size <= 10 and np.all(distinct == np.round(distinct)):
                small_integer.append(f"{column} ({distinct.size} values)")

    if dropped:
        warnings.warn(
            f"Clinical file '{path}': dropped {len(dropped)} column(s) that carry no "
            "information: " + "; ".join(f"'{c}': {r}" for c, r in dropped.items())
            + ". Fix the file or list them in drop= to silence this warning.",
            DataWarning, stacklevel=2)
    if small_integer:
        logger.info("%s: integer columns with few values kept numeric (list them in "
                    "categorical= to one-hot encode them): %s", path,
                    ", ".join(small_integer))
    frame = pd.DataFrame(columns, index=pd.Index(ids, name=id_column, dtype=object))
    frame.attrs["source"] = str(path)
    frame.attrs["dropped_columns"] = dropped
    frame.attrs["table_format"] = fmt.to_dict()
    return frame, y, ids


def read_table(clinical_path, *, target: str, id_column: str, plink_prefix=None,
               categorical=None, numeric=None, drop=None, min_samples: int = 10,
               separator=None, decimal: str = ".", na_values=None,
               positive_class=None, snp_shard_of=None) -> Table:
    """Read a clinical table and, optionally, a PLINK fileset into one :class:`Table`.

    The outcome and sample ids come from the clinical file; genotypes, when given,
    are matched on the .fam's individual ids (:func:`match_samples`) and only the
    matched samples are read from the .bed. Variant ids must be unique.

    Parameters
    ----------
    clinical_path : str or path-like
    target, id_column, categorical, numeric, drop, separator, decimal, na_values
        As in :func:`read_clinical`.
    plink_prefix : str or path-like, default=None
        As in :func:`read_plink`; ``None`` for clinical data only.
    min_samples : int, default=10
        As in :func:`match_samples`.
    positive_class : str, default=None
        The positive class of a binary target (compared as text, or as a number for
        numeric labels); stored in :attr:`Table.positive_class`. None: decided from
        the labels when the task is known (:func:`riata.data.positive_label`).
    snp_shard_of : tuple (rank, world_size), default=None
        In a torch.distributed job: read only this rank's contiguous SNP range
        (:func:`snp_shard`) and return :class:`ShardedGenotypes`; None reads every SNP.

    Returns
    -------
    Table
        ``clinical`` is ``None`` when the file has no column besides id and target.

    Raises
    ------
    DataError
        As :func:`read_clinical` and :func:`read_plink`, and for repeated variant
        ids or a ``positive_class`` that is not a label of the target.
    """
    frame, y, ids = read_clinical(clinical_path, target=target, id_column=id_column,
                                  categorical=categorical, numeric=numeric, drop=drop,
                                  separator=separator, decimal=decimal,
                                  na_values=na_values)
    dropped = dict(frame.attrs.get("dropped_columns", {}))
    if frame.shape[1] == 0 and plink_prefix is None:
        raise DataError(f"Clinical file '{clinical_path}' has no usable variable "
                        f"besides '{id_column}' and '{target}', and no genotypes were "
                        "given.")
    positive = None
    if positive_class is not None:
        positive = _label_of(y, positive_class, target, clinical_path)
    genotypes, summary = None, None
    if plink_prefix is not None:
        metadata = read_plink_metadata(plink_prefix)
        paths, bim, fam = metadata
        refuse_repeated(repeated_snp_ids(bim), paths[".bim"], plink_prefix)
        rows, geno_rows, summary = match_samples(
            ids, fam["iid"].to_numpy(dtype=str), min_samples=min_samples,
            clinical_source=f"column '{id_column}' of '{clinical_path}'",
            genotype_source=f"'{paths['.fam']}'")
        genotypes = _read_genotypes(plink_prefix, ids[rows], metadata, snp_shard_of)
        frame, y, ids = frame.iloc[rows], y[rows], ids[rows]
    return Table(clinical=frame if frame.shape[1] else None, genotypes=genotypes, y=y,
                 sample_ids=ids, target_name=target, dropped_columns=dropped,
                 sample_summary=summary, positive_class=positive)


def _label_of(y: np.ndarray, requested, target: str, path):
    """The label of ``y`` that ``requested`` (text) names."""
    labels = np.unique(y.astype(str) if y.dtype == object else y).tolist()
    for label in labels:
        if str(label) == str(requested).strip():
            return label
        try:
            if float(label) == float(str(requested)):
                return label
        except (TypeError, ValueError):
            continue
    raise DataError(f"Clinical file '{path}': the positive class {requested!r} "
                    f"(--positive-class) is not a value of the target column "
                    f"'{target}'; its values are {examples_of(labels, k=10)}.")


def _read_genotypes(prefix, sample_ids, metadata, shard_of):
    """The matched samples' genotypes: every SNP, or one rank's range of them."""
    if shard_of is None:
        return read_plink(prefix, sample_ids=sample_ids, metadata=metadata)
    _, bim, _ = metadata
    start, stop = snp_shard(len(bim), *shard_of)
    local = read_plink(prefix, sample_ids=sample_ids, snp_index=np.arange(start, stop),
                       metadata=metadata)
    return ShardedGenotypes(local, start=start, **bim_metadata(bim))

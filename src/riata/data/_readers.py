"""Readers for a user's own data: clinical CSV/TSV/Parquet tables and PLINK filesets.

Every problem with the input is raised as :class:`~riata.data.DataError` with a message
that names the file and the column, sample id or line, says what was expected and how
to fix it. Changes riata makes on its own (a dropped constant column, samples present
in only one input) are announced with :class:`~riata.data.DataWarning`.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._encoding import _level_sort_key  # one level order for reader and encoder
from ._errors import DataError, DataWarning, examples_of
from ._table import Genotypes, Table, match_samples

__all__ = ["read_clinical", "read_plink", "read_table"]

logger = logging.getLogger(__name__)

#: Cells read as missing (pandas' defaults), compared after stripping whitespace.
MISSING_TOKENS = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
    "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
})
_SEPARATORS = {".csv": ",", ".csv.gz": ",", ".tsv": "\t", ".tsv.gz": "\t"}
_PARQUET = (".parquet", ".pq")
#: A categorical column with more levels than this (and than half the rows) is
#: probably an identifier or free text; it is kept, with a warning.
_MANY_LEVELS = 50
_BED_MAGIC = b"\x6c\x1b\x01"


def _plain(value):
    """A numpy scalar as the Python value it holds, so messages show ``1.0``, not
    ``np.float64(1.0)``."""
    return value.item() if isinstance(value, np.generic) else value


def _check_file(path: Path, what: str) -> None:
    if not path.exists():
        raise DataError(f"{what} '{path}' does not exist (working directory: "
                        f"'{os.getcwd()}'). Check the path.")
    if not path.is_file():
        raise DataError(f"{what} '{path}' is not a file.")
    if path.stat().st_size == 0:
        raise DataError(f"{what} '{path}' is empty (0 bytes).")


# --------------------------------------------------------------------------- clinical
def _read_raw_table(path: Path) -> pd.DataFrame:
    """The file as raw cells: text (stripped, missing as NaN) or typed numbers."""
    name = path.name.lower()
    if name.endswith(_PARQUET):
        try:
            frame = pd.read_parquet(path)
        except Exception as err:  # pyarrow raises several unrelated types here
            raise DataError(f"Clinical file '{path}' is not a readable Parquet file "
                            f"({type(err).__name__}: {err}).") from err
        if not isinstance(frame.index, pd.RangeIndex) and frame.index.name is not None:
            frame = frame.reset_index()  # an id column saved as the pandas index
        frame.columns = [str(c).strip() for c in frame.columns]
        _check_header(frame.columns, path)
        return frame
    sep = next((s for ext, s in _SEPARATORS.items() if name.endswith(ext)), None)
    if sep is None:
        raise DataError(f"Clinical file '{path}' has an unsupported extension; riata "
                        "reads .csv, .tsv (optionally .gz) and .parquet files.")
    try:
        # Every cell as text, header included, so that types are inferred by one
        # documented rule and a bad cell can be reported with its original spelling.
        cells = pd.read_csv(path, sep=sep, header=None, dtype=str, na_filter=False,
                            keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError as err:
        raise DataError(f"Clinical file '{path}' is empty (no header line).") from err
    except pd.errors.ParserError as err:
        raise DataError(f"Clinical file '{path}' is not a well-formed table: {err}. "
                        "Every line needs as many fields as the header; quote fields "
                        "that contain the separator.") from err
    except UnicodeDecodeError as err:
        raise DataError(f"Clinical file '{path}' is not UTF-8 text ({err}); save it "
                        "as UTF-8 CSV.") from err
    header = [str(c).strip() for c in cells.iloc[0]]
    _check_header(header, path)
    frame = cells.iloc[1:].reset_index(drop=True)
    frame.columns = header
    for column in frame.columns:
        text = frame[column].astype(object).str.strip()
        frame[column] = text.where(~text.isin(MISSING_TOKENS), np.nan)
    return frame


def _check_header(columns, path: Path) -> None:
    columns = list(columns)
    empty = [i + 1 for i, c in enumerate(columns)
             if c == "" or c.startswith("Unnamed:")]
    if empty:
        raise DataError(
            f"Clinical file '{path}': column(s) {empty} have no name in the header. "
            "Name every column (a CSV written by pandas with index=True has an unnamed "
            "first column: write it with index=False)."
        )
    names = pd.Index(columns)
    dups = names[names.duplicated()].unique().tolist()
    if dups:
        raise DataError(f"Clinical file '{path}' has duplicate column names "
                        f"{dups}; rename them so that every column is unique.")


def _as_text_or_number(series: pd.Series, column: str, path: Path) -> pd.Series:
    """Numbers as float64, text as text (missing as NaN); other types refused."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return series.astype(float)
    if pd.api.types.is_numeric_dtype(dtype):
        return series.astype(float)
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(
        dtype
    ):
        raise DataError(f"Clinical file '{path}': column '{column}' holds dates or "
                        "durations; convert it to a number (e.g. age in years) or "
                        "list it in drop=.")
    values = series.astype(object)
    missing = values.isna()
    text = values.where(missing, values.astype(str).str.strip())
    return text.where(~(missing | text.isin(MISSING_TOKENS)), np.nan)


def _text_ids(series: pd.Series) -> pd.Series:
    """Sample ids as text; integral numbers are written without a trailing '.0'."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    ):
        numbers = series.astype(float)
        if np.all(np.isfinite(numbers.dropna()) & (numbers.dropna() % 1 == 0)):
            return numbers.map(lambda v: np.nan if np.isnan(v) else str(int(v)))
        return numbers.map(lambda v: np.nan if np.isnan(v) else repr(v))
    return _as_text_or_number(series, "", Path())


def _check_names(names, available, argument: str, path: Path) -> list:
    names = [] if names is None else [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise DataError(f"Clinical file '{path}': {argument}= names column(s) "
                        f"{unknown} that the file does not have. Available columns: "
                        f"{list(available)}.")
    return names


def _read_target(series: pd.Series, ids: np.ndarray, target: str, path: Path):
    numbers = pd.to_numeric(series, errors="coerce")
    missing = series.isna().to_numpy()
    if missing.any():
        raise DataError(
            f"Clinical file '{path}': the target column '{target}' is missing for "
            f"{missing.sum()} sample(s), e.g. id(s) {examples_of(ids[missing])}. "
            "Remove those rows or fill in the outcome; riata does not impute the "
            "target."
        )
    if numbers.notna().all():
        y = numbers.to_numpy(dtype=float)
        infinite = ~np.isfinite(y)
        if infinite.any():
            raise DataError(
                f"Clinical file '{path}': the target column '{target}' has an infinite "
                f"value for id(s) {examples_of(ids[infinite])}; fix those values."
            )
        # Whole numbers (class labels 0/1) become int64 where that is exact.
        whole = np.all(y == np.round(y)) and np.all(np.abs(y) < 2.0**53)
        y = y.astype(np.int64) if whole else y
    else:  # text labels such as "yes"/"no" are kept as labels
        y = series.astype(str).to_numpy(dtype=object)
    if np.unique(y.astype(str)).size < 2:
        raise DataError(
            f"Clinical file '{path}': the target column '{target}' has a single value "
            f"({_plain(y[0])!r}) in all {y.size} rows; a classifier needs at least "
            "two classes. Check that the right column is named as target."
        )
    return y


def numeric_values(values: pd.Series, column: str, ids, path: Path, *,
                   role: str) -> pd.Series:
    """``values`` (text or numbers, missing as NA) as floats, or a clear DataError.

    Raises when a cell is text that is not a number, or a number is infinite; the
    message names the file, the column, the first offending id and the value.
    ``role`` says why the column must be numeric ("is declared numeric").
    """
    numbers = pd.to_numeric(values, errors="coerce")
    text = (values.notna() & numbers.isna()).to_numpy()
    if text.any():
        first = int(np.flatnonzero(text)[0])
        raise DataError(
            f"Clinical file '{path}': column '{column}' {role} but has "
            f"{int(text.sum())} non-numeric value(s); the first is "
            f"{values.iloc[first]!r} for id {str(ids[first])!r}. Fix the value, or "
            "mark it missing (empty cell or NA)."
        )
    numbers = numbers.astype(float)
    infinite = np.isinf(numbers.to_numpy())
    if infinite.any():
        raise DataError(f"Clinical file '{path}': column '{column}' has an "
                        f"infinite value for id(s) {examples_of(ids[infinite])}; "
                        "replace it with a number or leave it missing.")
    return numbers


def _parse_column(raw: pd.Series, column: str, ids, path: Path, declared):
    """One feature column, typed by the rule of :func:`read_clinical`.

    Returns ``("numeric", float array)``, ``("categorical", Categorical)`` or
    ``("dropped", reason)``; ``declared`` is ``"numeric"``, ``"categorical"`` or None.
    """
    values = _as_text_or_number(raw, column, path)
    numbers = pd.to_numeric(values, errors="coerce")
    text = (values.notna() & numbers.isna()).to_numpy()  # cells that are not numbers
    if declared == "numeric" or not text.any():
        values = numeric_values(values, column, ids, path, role="is declared numeric")
    distinct = values.dropna().unique()
    if distinct.size == 0:
        return "dropped", "all values missing"
    if distinct.size == 1:
        return "dropped", (f"constant (every non-missing value is "
                           f"{_plain(distinct[0])!r})")
    if declared == "categorical" or text.any():
        # Numeric levels become floats, so names read SEX_1.0 however the file wrote 1.
        levels = sorted((str(v) if text.any() else float(v) for v in distinct),
                        key=_level_sort_key)
        return "categorical", pd.Categorical(values.to_numpy(dtype=object),
                                             categories=levels)
    return "numeric", values.to_numpy(dtype=float)


def read_clinical(path, *, target: str, id_column: str, categorical=None, numeric=None,
                  drop=None):
    """Read a clinical table (.csv, .tsv, optionally gzipped, or .parquet).

    Column types follow one rule, which ``categorical`` and ``numeric`` override:

    - a column whose every non-missing value parses as a number is **numeric**,
      whatever its number of distinct values: codes such as education 1-4 stay
      numbers unless listed in ``categorical`` (a log message at INFO level lists the
      integer columns with at most 10 distinct values, the likely candidates);
    - a column with any non-numeric text is **categorical**.

    Cells are stripped of surrounding whitespace; empty cells and pandas' usual
    missing-value spellings (``NA``, ``NaN``, ``null``, ``#N/A``, ...) are missing.
    A column that is entirely missing or has a single distinct value is dropped with
    a :class:`DataWarning`; the dropped columns are recorded in
    ``frame.attrs["dropped_columns"]`` (column -> reason) for the report.

    Parameters
    ----------
    path : str or path-like
        The file; its extension chooses the format.
    target : str
        Outcome column. It must have no missing or infinite value and at least two
        distinct values.
    id_column : str
        Sample id column; ids are read as text (``007`` stays ``007``) and must be
        unique and non-missing.
    categorical : list of str, default=None
        Columns to treat as categorical even if numeric. Numeric levels are stored as
        floats so that encoded names read ``SEX_1.0`` whether the file wrote ``1`` or
        ``1.0``, as in the heat maps of the original study.
    numeric : list of str, default=None
        Columns that must be numeric; a non-numeric value raises :class:`DataError`
        naming the column, the first offending sample id and value.
    drop : list of str, default=None
        Columns to ignore.

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
        For a missing, empty or malformed file, a missing target or id column, a
        non-numeric value in a ``numeric`` column, an infinite value, duplicate or
        missing ids, a missing or infinite target, or a target with one class.

    See Also
    --------
    ClinicalEncoder : one-hot encodes and standardizes the returned frame.
    """
    path = Path(path)
    _check_file(path, "Clinical file")
    raw = _read_raw_table(path)
    if len(raw) == 0:
        raise DataError(f"Clinical file '{path}' has a header but no data rows.")
    available = list(raw.columns)
    for argument, column in (("target", target), ("id_column", id_column)):
        if column not in available:
            raise DataError(f"Clinical file '{path}' has no column '{column}' "
                            f"(given as {argument}=). Available columns: {available}.")
    if target == id_column:
        raise DataError(f"target= and id_column= both name '{target}'.")

    ids = _text_ids(raw[id_column])
    if ids.isna().any():
        lines = (np.flatnonzero(ids.isna().to_numpy()) + 2).tolist()
        raise DataError(f"Clinical file '{path}': the id column '{id_column}' is empty "
                        f"on {len(lines)} row(s), at line(s) {examples_of(lines)} "
                        "(line 1 is the header). Give every sample an id.")
    ids = ids.to_numpy(dtype=str)
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        dups = unique[counts > 1]
        raise DataError(f"Clinical file '{path}': {dups.size} id(s) in column "
                        f"'{id_column}' occur more than once, e.g. "
                        f"{examples_of(dups)}. Each sample must have one row with a "
                        "unique id.")

    y = _read_target(_as_text_or_number(raw[target], target, path), ids, target, path)
    drop = _check_names(drop, available, "drop", path)
    categorical = _check_names(categorical, available, "categorical", path)
    numeric = _check_names(numeric, available, "numeric", path)
    both = sorted(set(categorical) & set(numeric))
    reserved = sorted(set(categorical + numeric + drop) & {target, id_column})
    if both or reserved:
        raise DataError(f"Clinical file '{path}': column(s) {both or reserved} are "
                        + ("listed as both categorical and numeric." if both else
                           "the target or id column; they cannot also be features."))

    columns, dropped, small_integer = {}, {}, []
    for column in available:
        if column in (target, id_column) or column in drop:
            continue
        declared = ("numeric" if column in numeric else
                    "categorical" if column in categorical else None)
        kind, values = _parse_column(raw[column], column, ids, path, declared)
        if kind == "dropped":
            dropped[column] = values
            continue
        columns[column] = values
        if kind == "categorical":
            n_levels = len(values.categories)
            if n_levels > _MANY_LEVELS and n_levels > len(ids) / 2:
                warnings.warn(
                    f"Clinical file '{path}': categorical column '{column}' has "
                    f"{n_levels} distinct values in {len(ids)} rows; it looks like an "
                    "identifier or free text. List it in drop= unless it is meant as "
                    "a variable.", DataWarning, stacklevel=2)
        else:
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
    return frame, y, ids


# ------------------------------------------------------------------------------ PLINK
def _plink_paths(prefix) -> dict:
    prefix = Path(prefix)
    if prefix.suffix.lower() in (".bed", ".bim", ".fam"):
        prefix = prefix.with_suffix("")
    paths = {ext: prefix.with_name(prefix.name + ext)
             for ext in (".bed", ".bim", ".fam")}
    absent = [p.name for p in paths.values() if not p.is_file()]
    if absent:
        raise DataError(
            f"PLINK fileset '{prefix}' is incomplete: {', '.join(absent)} not found in "
            f"'{prefix.parent}'. riata reads binary PLINK 1 filesets (.bed + .bim + "
            ".fam with the same prefix); make one with `plink --make-bed`."
        )
    return paths


def _read_plink_text(path: Path, columns: list) -> pd.DataFrame:
    _check_file(path, f"PLINK {path.suffix} file")
    try:
        table = pd.read_csv(path, sep=r"\s+", header=None, dtype=str, na_filter=False,
                            keep_default_na=False)
    except pd.errors.EmptyDataError as err:
        raise DataError(f"PLINK {path.suffix} file '{path}' is empty (no lines)."
                        ) from err
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DataError(f"PLINK {path.suffix} file '{path}' is malformed ({err}); "
                        f"every line needs {len(columns)} fields: "
                        f"{', '.join(columns)}.") from err
    if table.shape[1] != len(columns):
        raise DataError(f"PLINK {path.suffix} file '{path}' has {table.shape[1]} "
                        f"column(s); a {path.suffix} line has {len(columns)}: "
                        f"{', '.join(columns)}.")
    table.columns = columns
    return table


def _read_plink_metadata(prefix):
    """Validated paths, .bim and .fam tables of a fileset (the .bed is not read)."""
    paths = _plink_paths(prefix)
    bim = _read_plink_text(paths[".bim"], ["chromosome", "snp", "cm", "bp_position",
                                           "allele_1", "allele_2"])
    fam = _read_plink_text(paths[".fam"], ["fid", "iid", "father", "mother", "sex",
                                           "phenotype"])
    position = pd.to_numeric(bim["bp_position"], errors="coerce")
    bad = position.isna() | (position % 1 != 0) | (position.abs() >= 2.0**62)
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"PLINK .bim file '{paths['.bim']}': line {line + 1} has "
                        f"bp position {bim['bp_position'].iloc[line]!r}; the fourth "
                        "column must be an integer.")
    bim["bp_position"] = position.astype(np.int64)
    unique, counts = np.unique(fam["iid"].to_numpy(dtype=str), return_counts=True)
    if (counts > 1).any():
        raise DataError(f"PLINK .fam file '{paths['.fam']}': individual ids "
                        f"(second column) {examples_of(unique[counts > 1])} occur more "
                        "than once; riata matches samples on this id, so it must be "
                        "unique.")
    _check_bed(paths[".bed"], n_samples=len(fam), n_snps=len(bim))
    return paths, bim, fam


def _check_bed(path: Path, *, n_samples: int, n_snps: int) -> None:
    size = path.stat().st_size
    with open(path, "rb") as handle:
        magic = handle.read(3)
    if magic != _BED_MAGIC:
        hint = ("it is an old sample-major .bed; rewrite it with `plink --make-bed`"
                if magic[:2] == _BED_MAGIC[:2] else "it is not a PLINK 1 binary .bed")
        raise DataError(f"PLINK .bed file '{path}' starts with bytes {magic.hex(' ')}, "
                        f"not 6c 1b 01: {hint}.")
    per_snp = math.ceil(n_samples / 4)
    expected = 3 + n_snps * per_snp
    if size != expected:
        hint = ""
        if (size - 3) % per_snp == 0:
            hint = (f" Its size fits {(size - 3) // per_snp} SNPs for {n_samples} "
                    "samples: the .bim probably belongs to another fileset.")
        raise DataError(
            f"PLINK .bed file '{path}' has {size} bytes, but the .bim lists {n_snps} "
            f"SNPs and the .fam {n_samples} samples, which need 3 + {n_snps} x "
            f"ceil({n_samples}/4) = {expected} bytes. The file is truncated or the "
            f".bim/.fam do not belong to it.{hint}"
        )


def read_plink(prefix, *, sample_ids=None) -> Genotypes:
    """Read a binary PLINK 1 fileset (.bed/.bim/.fam) into int8 :class:`Genotypes`.

    Values count allele 1 (the .bim's fifth column, usually the minor allele), as
    PLINK 1.9 does; missing calls are ``-127``. The matrix is read in the .bed's own
    SNP-major layout (Fortran order), the fastest to read and the one that makes
    per-SNP statistics contiguous.

    Parameters
    ----------
    prefix : str or path-like
        Path without extension (a ``.bed``, ``.bim`` or ``.fam`` ending is accepted
        and removed).
    sample_ids : array-like of str, default=None
        Read only these individual ids (the .fam's second column), in this order;
        ``None`` reads every sample. Reading only the matched samples avoids a second
        copy of a large matrix.

    Returns
    -------
    Genotypes

    Raises
    ------
    DataError
        If a file is missing or empty, the .bed does not start with ``6c 1b 01``,
        its size is not ``3 + n_snps * ceil(n_samples / 4)`` for the counts of the
        .bim and .fam, a line is malformed, individual ids repeat or a requested
        sample id is not in the .fam.
    ImportError
        If the optional dependency bed-reader is not installed.

    Notes
    -----
    A .fam with a few extra or missing lines can go undetected when the byte padding
    of the last sample group hides the difference (e.g. 10 versus 11 samples both use
    3 bytes per SNP); the .bim count is always checked.
    """
    try:
        from bed_reader import open_bed
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("Reading PLINK files needs bed-reader: pip install "
                          "'riata[genomics]' (or pip install bed-reader).") from err
    paths, bim, fam = _read_plink_metadata(prefix)
    fam_ids = fam["iid"].to_numpy(dtype=str)
    index = None
    if sample_ids is not None:
        position = {sample: i for i, sample in enumerate(fam_ids)}
        wanted = np.asarray(sample_ids, dtype=str)
        unknown = [s for s in wanted if s not in position]
        if unknown:
            raise DataError(f"PLINK .fam file '{paths['.fam']}' has no individual id "
                            f"{examples_of(unknown)} ({len(unknown)} requested id(s) "
                            "not found).")
        index = np.array([position[s] for s in wanted], dtype=np.intp)
    try:
        with open_bed(paths[".bed"], iid_count=len(fam), sid_count=len(bim),
                      count_A1=True) as bed:
            values = bed.read(index=None if index is None else np.s_[index, :],
                              dtype="int8", order="F")
    except Exception as err:  # the Rust reader raises several types
        raise DataError(f"PLINK .bed file '{paths['.bed']}' could not be read: "
                        f"{err}") from err
    return Genotypes(
        values=values, snp_names=bim["snp"].to_numpy(dtype=str),
        chromosome=bim["chromosome"].to_numpy(dtype=str),
        bp_position=bim["bp_position"].to_numpy(),
        sample_ids=fam_ids if index is None else fam_ids[index],
        allele_1=bim["allele_1"].to_numpy(dtype=str),
        allele_2=bim["allele_2"].to_numpy(dtype=str),
    )


def read_table(clinical_path, *, target: str, id_column: str, plink_prefix=None,
               categorical=None, numeric=None, drop=None,
               min_samples: int = 10) -> Table:
    """Read a clinical table and, optionally, a PLINK fileset into one :class:`Table`.

    The outcome and sample ids come from the clinical file; genotypes, when given,
    are matched on the .fam's individual ids (:func:`match_samples`) and only the
    matched samples are read from the .bed.

    Parameters
    ----------
    clinical_path : str or path-like
    target, id_column, categorical, numeric, drop
        As in :func:`read_clinical`.
    plink_prefix : str or path-like, default=None
        As in :func:`read_plink`; ``None`` for clinical data only.
    min_samples : int, default=10
        As in :func:`match_samples`.

    Returns
    -------
    Table
        ``clinical`` is ``None`` when the file has no column besides id and target.
    """
    frame, y, ids = read_clinical(clinical_path, target=target, id_column=id_column,
                                  categorical=categorical, numeric=numeric, drop=drop)
    dropped = dict(frame.attrs.get("dropped_columns", {}))
    if frame.shape[1] == 0 and plink_prefix is None:
        raise DataError(f"Clinical file '{clinical_path}' has no usable variable "
                        f"besides '{id_column}' and '{target}', and no genotypes were "
                        "given.")
    genotypes, summary = None, None
    if plink_prefix is not None:
        paths, _, fam = _read_plink_metadata(plink_prefix)
        rows, geno_rows, summary = match_samples(
            ids, fam["iid"].to_numpy(dtype=str), min_samples=min_samples,
            clinical_source=f"column '{id_column}' of '{clinical_path}'",
            genotype_source=f"'{paths['.fam']}'")
        genotypes = read_plink(plink_prefix, sample_ids=ids[rows])
        frame, y, ids = frame.iloc[rows], y[rows], ids[rows]
    return Table(clinical=frame if frame.shape[1] else None, genotypes=genotypes, y=y,
                 sample_ids=ids, target_name=target, dropped_columns=dropped,
                 sample_summary=summary)

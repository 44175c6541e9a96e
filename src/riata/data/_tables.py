"""A user's table file as raw cells, with the line of every row.

Text tables (CSV / TSV, optionally gzipped) are read twice: once with Python's
:mod:`csv` module, strictly, to check that every line has as many fields as the
header (pandas silently fills a short row with empty cells) and that quotes are
balanced, noting the line where each row starts so that messages can point at it;
then with pandas, every cell as text. Parquet files are read with pandas / pyarrow
and keep their types.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import os
import re
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import DataError, examples_of
from ._memory import check_memory

__all__ = ["TableFormat", "RawTable", "read_raw_table", "check_file", "MISSING_TOKENS",
           "MARKER_LIKE"]

#: Cells read as missing (pandas' defaults), compared after stripping whitespace.
MISSING_TOKENS = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
    "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
})
#: Text that often marks a missing value but is not read as missing unless given in
#: ``na_values`` (``-`` may mean "negative", ``.`` may be a level): found among
#: numbers it stops the run; among text levels it is reported. Compared in lower case.
MARKER_LIKE = frozenset({
    "?", "??", ".", "..", "-", "--", "---", "*", "x", "nd", "n.d.", "n/d", "na.",
    "unknown", "unk", "missing", "not available", "not known", "n.a.", "n.k.",
})
_SEPARATORS = {".csv": ",", ".csv.gz": ",", ".tsv": "\t", ".tsv.gz": "\t"}
_PARQUET = (".parquet", ".pq")
#: Bytes of memory per text cell beyond its characters (a Python str and a pointer),
#: and the copies made while typing the columns: what the estimate multiplies.
_BYTES_PER_CELL = 64
_COPIES = 2


@dataclass(frozen=True)
class TableFormat:
    """How the cells of a clinical table are written.

    Parameters
    ----------
    separator : str or None, default=None
        Field separator; None chooses it from the extension (``,`` for .csv, tab
        for .tsv).
    decimal : {".", ","}, default="."
        Decimal mark of numbers. With ``","``, ``58,5`` is 58.5 and a number
        written with a point (``58.5``) is refused as ambiguous.
    na_values : tuple of str, default=()
        Cells read as missing besides the usual spellings (empty, ``NA``, ``NaN``,
        ``null``, ``#N/A`` ...), e.g. ``("?", "-9")``; compared after stripping
        whitespace.

    Examples
    --------
    >>> TableFormat(decimal=",", na_values=["?"]).to_dict()
    {'separator': None, 'decimal': ',', 'na_values': ['?']}
    """

    separator: str | None = None
    decimal: str = "."
    na_values: tuple = field(default=())

    def __post_init__(self):
        if self.decimal not in (".", ","):
            raise DataError(f"decimal must be '.' or ','; got {self.decimal!r}.")
        if self.separator is not None and (not isinstance(self.separator, str)
                                           or len(self.separator) != 1
                                           or self.separator in '"\r\n'):
            raise DataError("separator must be one character (other than a quote or "
                            f"a line break); got {self.separator!r}.")
        if self.separator is not None and self.separator == self.decimal:
            raise DataError(f"separator and decimal are both {self.decimal!r}; a "
                            "table with decimal commas is separated by ';' or tabs.")
        values = ((self.na_values,) if isinstance(self.na_values, str)
                  else tuple(self.na_values or ()))
        if not all(isinstance(v, str) for v in values):
            raise DataError(f"na_values must be text; got {self.na_values!r}.")
        object.__setattr__(self, "na_values", tuple(v.strip() for v in values))

    @property
    def missing(self) -> frozenset:
        """Every cell text read as missing."""
        return MISSING_TOKENS | frozenset(self.na_values)

    def to_dict(self) -> dict:
        """Plain JSON data, as saved with a model so new files are read alike."""
        return {"separator": self.separator, "decimal": self.decimal,
                "na_values": list(self.na_values)}

    @classmethod
    def from_dict(cls, data) -> TableFormat:
        """Inverse of :meth:`to_dict`; ``None`` gives the defaults."""
        if data is None:
            return cls()
        if not isinstance(data, dict) or set(data) - {"separator", "decimal",
                                                      "na_values"}:
            raise DataError(f"Not a table format: {data!r}.")
        return cls(**data)


@dataclass(frozen=True, eq=False)
class RawTable:
    """The cells of a table and where each row came from.

    Attributes
    ----------
    frame : DataFrame
        One column per header name. Text cells are stripped, missing ones NaN;
        Parquet columns keep their types.
    lines : ndarray of int or None
        The file line where each row starts (line 1 is the header); None for a
        Parquet file, whose rows are counted instead.
    path : pathlib.Path
    unnamed_index : list
        A few values of an unnamed pandas index of a Parquet file (it may hold the
        ids); empty otherwise.
    """

    frame: pd.DataFrame
    lines: np.ndarray | None
    path: Path
    unnamed_index: list = field(default_factory=list)

    def where(self, row: int) -> str:
        """``"line 17"`` (text) or ``"row 16"`` (Parquet) for data row ``row``."""
        if self.lines is None:
            return f"row {row + 1}"
        return f"line {int(self.lines[row])}"


def check_file(path: Path, what: str) -> None:
    """Refuse a path that is missing, not a regular file, or empty."""
    if not path.exists():
        raise DataError(f"{what} '{path}' does not exist (working directory: "
                        f"'{os.getcwd()}'). Check the path.")
    if not path.is_file():
        raise DataError(f"{what} '{path}' is not a file.")
    if path.stat().st_size == 0:
        raise DataError(f"{what} '{path}' is empty (0 bytes).")


def read_raw_table(path, fmt: TableFormat | None = None) -> RawTable:
    """Read a clinical table as raw cells, checking its shape line by line.

    Parameters
    ----------
    path : str or path-like
        .csv or .tsv (optionally .gz), or .parquet / .pq.
    fmt : TableFormat, default=None

    Returns
    -------
    RawTable

    Raises
    ------
    DataError
        For a missing, empty, compressed-but-not-gzip or truncated file, text that
        is not UTF-8, a line with more or fewer fields than the header (with its
        line number), an unclosed quote, a header with empty or repeated names, or
        a file too large for the memory left.
    """
    path = Path(path)
    fmt = TableFormat() if fmt is None else fmt
    check_file(path, "Clinical file")
    name = path.name.lower()
    if name.endswith(_PARQUET):
        return _read_parquet(path, fmt)
    sep = fmt.separator or next((s for ext, s in _SEPARATORS.items()
                                 if name.endswith(ext)), None)
    if sep is None:
        raise DataError(f"Clinical file '{path}' has an unsupported extension; riata "
                        "reads .csv and .tsv (optionally .gz) and .parquet files; "
                        "pass --separator for another text table.")
    lines, header, n_chars = _check_lines(path, sep, fmt)
    _check_text_memory(path, len(lines), len(header), n_chars)
    try:
        cells = pd.read_csv(path, sep=sep, header=None, dtype=str, na_filter=False,
                            keep_default_na=False, encoding="utf-8-sig",
                            quoting=csv.QUOTE_MINIMAL, skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError) as err:  # pragma: no cover - the
        # strict pass above refuses what pandas cannot parse
        raise DataError(f"Clinical file '{path}' is not a well-formed table: "
                        f"{err}.") from err
    if len(cells) != len(lines) + 1:  # pragma: no cover - both parsers agree
        raise DataError(f"Clinical file '{path}': the table has {len(cells) - 1} rows "
                        f"by one reading and {len(lines)} by another; check its "
                        "quoting.")
    frame = cells.iloc[1:].reset_index(drop=True)
    frame.columns = header
    missing = fmt.missing
    for column in frame.columns:
        text = frame[column].astype(object).str.strip()
        frame[column] = text.where(~text.isin(missing), np.nan)
    return RawTable(frame=frame, lines=np.asarray(lines, dtype=np.int64), path=path)


# ---------------------------------------------------------------------- text files
@contextlib.contextmanager
def _text(path: Path):
    """The file as text (UTF-8, BOM removed), decompressing a .gz."""
    if path.name.lower().endswith(".gz"):
        handle = gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    else:
        handle = open(path, encoding="utf-8-sig", newline="")
    with handle:
        yield handle


@contextlib.contextmanager
def _large_fields():
    """Lift the csv module's 128 KiB field limit while reading (a long free text)."""
    previous = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _check_lines(path: Path, sep: str, fmt: TableFormat):
    """The start line of every data row, and the header; refuse ragged lines."""
    starts = []
    header = None
    last_line = 0
    n_chars = [0]

    def counted(handle):
        for line in handle:
            n_chars[0] += len(line)
            yield line

    try:
        with _text(path) as handle, _large_fields():
            reader = csv.reader(counted(handle), delimiter=sep, strict=True)
            for row in reader:
                start, last_line = last_line + 1, reader.line_num
                if not row:  # a blank line: skipped, as pandas does
                    continue
                if header is None:
                    header = _check_header([c.strip() for c in row], path, sep)
                    continue
                if len(row) != len(header):
                    raise _ragged(path, sep, fmt, header, row, start)
                starts.append(start)
    except csv.Error as err:
        raise DataError(f"Clinical file '{path}': the row starting at line "
                        f"{last_line + 1} cannot be parsed ({err}). Close every "
                        "quote (\"), and quote fields that contain the separator or "
                        "a quote.") from err
    except UnicodeDecodeError as err:
        raise DataError(f"Clinical file '{path}' is not UTF-8 text (byte "
                        f"{err.object[err.start:err.start + 1]!r} after line "
                        f"{last_line}); save it as UTF-8 (e.g. iconv -f latin1 -t "
                        "utf-8).") from err
    except (gzip.BadGzipFile, zlib.error) as err:
        raise DataError(f"Clinical file '{path}' is named .gz but is not a valid gzip "
                        f"file ({err}); if it is not compressed, remove the .gz from "
                        "its name.") from err
    except EOFError as err:
        raise DataError(f"Clinical file '{path}' is a truncated gzip file (it ends "
                        "before the end of the compressed data: the copy or download "
                        "did not finish). Copy it again.") from err
    if header is None:
        raise DataError(f"Clinical file '{path}' is empty (no header line).")
    if not starts:
        raise DataError(f"Clinical file '{path}' has a header but no data rows.")
    return starts, header, n_chars[0]


def _ragged(path: Path, sep: str, fmt: TableFormat, header, row, line) -> DataError:
    shown = {",": "','", "\t": "a tab", ";": "';'"}.get(sep, repr(sep))
    hint = ""
    joined = sep.join(row)
    if len(row) > len(header) and sep == "," and re.search(r"\d,\d", joined):
        hint = (" Quote fields that contain a comma; if the file writes numbers with "
                "decimal commas (58,5), save it separated by ';' or tabs and pass "
                "--decimal , (and --separator ';' for ';').")
    elif len(header) == 1 and any(s in header[0] for s in (";", "\t", ",")):
        other = next(s for s in (";", "\t", ",") if s in header[0])
        hint = (f" The header looks separated by {other!r}, not {shown}: pass "
                f"--separator {other!r}.")
    elif len(row) < len(header):
        hint = (" A missing value still needs its field: write an empty field "
                "(two separators in a row) rather than leaving it out.")
    else:
        hint = " Quote fields that contain the separator."
    return DataError(
        f"Clinical file '{path}': line {line} has {len(row)} field(s) but the header "
        f"has {len(header)} (separator {shown}): {_clip(joined)!r}.{hint}")


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[:n] + "..."


def _check_header(columns, path: Path, sep: str | None = None) -> list:
    columns = [str(c) for c in columns]
    if sep is not None and len(columns) == 1:
        other = next((s for s in (";", "\t", ",", "|") if s in columns[0] and s != sep),
                     None)
        if other is not None:
            raise DataError(
                f"Clinical file '{path}' has a single column {_clip(columns[0])!r}: "
                f"its header is separated by {other!r}, not {sep!r}. Pass --separator "
                f"{other!r}" + (" (and --decimal , if numbers use decimal commas)."
                                if other == ";" else "."))
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
    return columns


def _check_text_memory(path: Path, n_rows: int, n_columns: int, n_chars: int) -> None:
    """Refuse a table whose cells, as Python text, would not fit in memory."""
    needed = _COPIES * ((n_rows + 1) * n_columns * _BYTES_PER_CELL + n_chars)
    check_memory(needed, f"clinical file '{path}' ({n_rows:,} rows x {n_columns:,} "
                         "columns as text)",
                 hint="Keep only the columns the model needs (write a smaller file) "
                      "or use a machine with more memory.")


# --------------------------------------------------------------------------- parquet
def _read_parquet(path: Path, fmt: TableFormat) -> RawTable:
    try:
        frame = pd.read_parquet(path)
    except MemoryError:
        raise
    except Exception as err:  # pyarrow raises several unrelated types here
        raise DataError(f"Clinical file '{path}' is not a readable Parquet file "
                        f"({type(err).__name__}: {err}).") from err
    unnamed = []
    index = frame.index
    default = (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
               and index.name is None)
    if not default:
        if index.name is not None or any(n is not None for n in index.names):
            # An id column saved as the pandas index (df.set_index("pid")): make it
            # a column again, whatever its type (a named RangeIndex included).
            frame = frame.reset_index()
        else:
            unnamed = index[:3].tolist()
    frame.columns = [str(c).strip() for c in frame.columns]
    _check_header(frame.columns, path)
    if len(frame) == 0:
        raise DataError(f"Clinical file '{path}' has a header but no data rows.")
    missing = fmt.missing
    for column in frame.columns:
        series = frame[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            values = series.astype(object)
            text = values.where(values.isna(), values.astype(str).str.strip())
            frame[column] = text.where(~(values.isna() | text.isin(missing)), np.nan)
    return RawTable(frame=frame, lines=None, path=path, unnamed_index=unnamed)


def unnamed_index_hint(raw: RawTable, id_column: str) -> str:
    """A hint for a missing id column when a Parquet file has an unnamed index."""
    if not raw.unnamed_index:
        return ""
    return (f" Its rows carry an unnamed pandas index ({examples_of(raw.unnamed_index)}"
            "): if those are the ids, save the file with the index named, e.g. "
            f"df.rename_axis('{id_column}').to_parquet(...), or with "
            "df.reset_index().")


def lines_of(raw: RawTable, rows) -> list:
    """File lines (or Parquet row numbers) of some data rows, for a message."""
    rows = np.asarray(rows, dtype=np.intp)
    if raw.lines is None:
        return (rows + 1).tolist()
    return raw.lines[rows].tolist()

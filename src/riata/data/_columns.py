"""Typing the columns of a clinical table, refusing what would change their meaning.

A column is numeric when every non-missing cell is a number (with the table's
decimal mark), categorical when it holds text. Between the two lie the inputs that
silently went wrong before: numbers written in another notation (``58,0`` with a
decimal point expected), numbers with a missing-value marker (``?``), numbers with
a few typos, values too large to standardize. Each is refused with the file, the
column, the line and the sample id, and how to say what was meant.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd

from ._encoding import _level_sort_key  # one level order for reader and encoder
from ._errors import DataError, DataWarning, examples_of
from ._tables import MARKER_LIKE, RawTable

__all__ = ["LARGEST_VALUE", "parse_numbers", "numeric_values", "parse_column",
           "as_text_or_number", "text_ids"]

#: Largest magnitude accepted in a numeric column or a numeric target. The squares
#: of deviations from the mean must stay finite in float64 (max 1.8e308) when summed
#: over up to 1e8 rows: sqrt(1.8e308) / 1e4 = 1.3e150. No clinical measurement comes
#: near; such values are unit errors or sentinels.
LARGEST_VALUE = math.sqrt(np.finfo(np.float64).max) / 1e4
#: A text column whose cells are numbers for at least this share, or whose numbers
#: take more than _MANY_NUMBERS distinct values, is a numeric column with bad cells
#: (typos, unannounced markers): reading it as categories would make every number a
#: level of its own, so it is refused unless declared categorical.
_NUMERIC_SHARE = 0.5
_MANY_NUMBERS = 10
#: Values often used to code "missing" in numeric columns; reported when they lie
#: outside the range of the column's other values.
_SENTINELS = (-9.0, -99.0, -999.0, -9999.0, 99.0, 999.0, 9999.0, 99999.0, 999999.0)
#: A categorical column with more levels than this (and than half the rows) is
#: probably an identifier or free text; it is kept, with a warning.
_MANY_LEVELS = 50

_INFINITY = ("inf", "infinity")
_NUMBER_COMMA = re.compile(r"^[+-]?(\d+,?\d*|,\d+)([eE][+-]?\d+)?$")
#: Numbers in another notation than the table's: decimal commas (58,5), thousands
#: separators (1,234.5 / 1.234,5 / 1 234 / 1'234).
_FOREIGN = {
    ".": re.compile(r"^[+-]?(\d*,\d+|\d{1,3}(,\d{3})+(\.\d+)?|\d{1,3}([ '\u00a0\u202f]"
                    r"\d{3})+([.,]\d+)?|\d{1,3}(\.\d{3})+,\d+)$"),
    ",": re.compile(r"^[+-]?(\d*\.\d+([eE][+-]?\d+)?|\d{1,3}(\.\d{3})+(,\d+)?|"
                    r"\d{1,3}([ '\u00a0\u202f]\d{3})+(,\d+)?|\d{1,3}(,\d{3})+\.\d+)$"),
}


def _plain(value):
    """A numpy scalar as the Python value it holds (``1.0``, not ``np.float64(1.0)``)."""
    return value.item() if isinstance(value, np.generic) else value


def as_text_or_number(series: pd.Series, column: str, raw: RawTable) -> pd.Series:
    """Numbers as float64, text as text (missing as NaN); other types refused."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return series.astype(float)
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(
        dtype
    ):
        raise DataError(f"Clinical file '{raw.path}': column '{column}' holds dates or "
                        "durations; convert it to a number (e.g. age in years) or "
                        "list it in drop=.")
    values = series.astype(object)
    missing = values.isna()
    return values.where(missing, values.astype(str).str.strip())


def text_ids(series: pd.Series, raw: RawTable) -> pd.Series:
    """Sample ids as text; integral numbers are written without a trailing '.0'."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    ):
        numbers = series.astype(float)
        if np.all(np.isfinite(numbers.dropna()) & (numbers.dropna() % 1 == 0)):
            return numbers.map(lambda v: np.nan if np.isnan(v) else str(int(v)))
        return numbers.map(lambda v: np.nan if np.isnan(v) else repr(v))
    return as_text_or_number(series, "", raw)


def parse_numbers(values: pd.Series, decimal: str = ".") -> pd.Series:
    """The cells that are numbers in the table's notation, as floats (else NaN).

    With ``decimal=","`` a cell is a number when it reads ``[+-]digits[,digits]``
    (and an optional exponent); a point is then no decimal mark, so ``58.5`` is not
    a number (it is reported as another notation by the column checks).
    """
    if values.dtype != object:
        return values.astype(float)
    if decimal == ",":
        values = values.map(_comma_to_point)
    return pd.to_numeric(values, errors="coerce").astype(float)


def _comma_to_point(cell):
    if not isinstance(cell, str) or cell.lower().lstrip("+-") in _INFINITY:
        return cell
    return cell.replace(",", ".") if _NUMBER_COMMA.match(cell) else "not a number"


def _foreign(values: pd.Series, decimal: str) -> np.ndarray:
    """Cells that are numbers in another notation than ``decimal`` implies."""
    pattern = _FOREIGN[decimal]
    return values.map(lambda v: isinstance(v, str) and bool(pattern.match(v))).to_numpy(
        dtype=bool)


def _where(raw: RawTable, ids, row: int) -> str:
    return f"{raw.where(row)} (id {str(ids[row])!r})"


def numeric_values(values: pd.Series, column: str, ids, raw: RawTable, *, role: str,
                   decimal: str = ".") -> pd.Series:
    """``values`` (text or numbers, missing as NA) as floats, or a clear DataError.

    Raises when a cell is text that is not a number, a number is infinite or larger
    in magnitude than :data:`LARGEST_VALUE`; the message names the file, the
    column, the line and sample id of the first offending cell, and its value.
    ``role`` says why the column must be numeric ("is declared numeric").
    """
    numbers = parse_numbers(values, decimal)
    text = (values.notna() & numbers.isna()).to_numpy()
    if text.any():
        first = int(np.flatnonzero(text)[0])
        hint = _notation_hint(values.iloc[first], decimal)
        raise DataError(
            f"Clinical file '{raw.path}': column '{column}' {role} but has "
            f"{int(text.sum())} non-numeric value(s); the first is "
            f"{values.iloc[first]!r} at {_where(raw, ids, first)}. "
            + (hint or "Fix the value, or mark it missing (an empty cell, NA, or a "
               "marker given with --na-values).")
        )
    check_magnitudes(numbers.to_numpy(), column, ids, raw)
    return numbers


def check_magnitudes(numbers: np.ndarray, column: str, ids, raw: RawTable, *,
                     what: str = "column") -> None:
    """Refuse infinite values and values beyond :data:`LARGEST_VALUE`."""
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(numbers)
        huge = np.abs(numbers) > LARGEST_VALUE
    if infinite.any():
        first = int(np.flatnonzero(infinite)[0])
        raise DataError(f"Clinical file '{raw.path}': {what} '{column}' has an "
                        f"infinite value at {_where(raw, ids, first)} "
                        f"({int(infinite.sum())} in all); replace it with a number or "
                        "leave it missing.")
    if huge.any():
        first = int(np.flatnonzero(huge)[0])
        raise DataError(
            f"Clinical file '{raw.path}': {what} '{column}' has the value "
            f"{_plain(numbers[first])!r} at {_where(raw, ids, first)} "
            f"({int(huge.sum())} value(s) beyond +-{LARGEST_VALUE:.1e} in all), too "
            "large to standardize without overflow. Check its units, or leave it "
            "missing if it is a placeholder.")


def _notation_hint(cell, decimal: str) -> str:
    if not isinstance(cell, str) or not _FOREIGN[decimal].match(cell):
        return ""
    if decimal == ".":
        return (f"{cell!r} is a number written with a comma: pass --decimal , if the "
                "file uses decimal commas, or remove thousands separators.")
    return (f"{cell!r} is a number written with a point, but the file is read with "
            "decimal commas (--decimal ,): write it with a comma, or read the file "
            "with --decimal . if it uses decimal points.")


def _counts(cells) -> str:
    counts = pd.Series(list(cells), dtype=object).value_counts()
    shown = [f"{v!r} ({n}x)" for v, n in counts.head(5).items()]
    return ", ".join(shown) + (", ..." if len(counts) > 5 else "")


def _check_text_column(values: pd.Series, numbers: pd.Series, column: str, ids,
                       raw: RawTable, decimal: str) -> None:
    """Refuse a text column that holds numbers in disguise (see the module notes)."""
    observed = values.notna().to_numpy()
    is_number = numbers.notna().to_numpy()
    text = observed & ~is_number
    foreign = _foreign(values, decimal) & text
    path = raw.path
    fix = (f"To keep the column as categories, pass --categorical {column}; to drop "
           f"it, --drop {column}.")
    if foreign.any():
        first = int(np.flatnonzero(foreign)[0])
        raise DataError(
            f"Clinical file '{path}': column '{column}' holds numbers in another "
            f"notation ({int(foreign.sum())} of {int(observed.sum())} values), e.g. "
            f"{values.iloc[first]!r} at {_where(raw, ids, first)}. "
            f"{_notation_hint(values.iloc[first], decimal)} {fix}")
    if not is_number.any():
        return
    cells = values[text].astype(str)
    markers = cells.str.lower().isin(MARKER_LIKE).to_numpy()
    first = int(np.flatnonzero(text)[0])
    if markers.all():
        raise DataError(
            f"Clinical file '{path}': column '{column}' holds numbers and the "
            f"marker(s) {_counts(cells)}, e.g. at {_where(raw, ids, first)}. If they "
            "mark missing values, pass --na-values "
            + " ".join(repr(m) for m in sorted(set(cells))) + f" (then --missing "
            f"decides: impute, indicator or error). {fix}")
    distinct = np.unique(numbers.to_numpy()[is_number]).size
    if is_number.sum() >= _NUMERIC_SHARE * observed.sum() or distinct > _MANY_NUMBERS:
        raise DataError(
            f"Clinical file '{path}': column '{column}' looks numeric "
            f"({int(is_number.sum())} of {int(observed.sum())} values are numbers, "
            f"{distinct} distinct) but has the non-numeric value(s) {_counts(cells)}; "
            f"the first is {values.iloc[first]!r} at {_where(raw, ids, first)}. Fix "
            "the values or leave the cells empty (missing), or pass --na-values for a "
            f"missing-value marker. {fix}")


def _warn_markers(categories, column: str, raw: RawTable, counts) -> None:
    markers = [c for c in categories if isinstance(c, str) and c.lower() in MARKER_LIKE]
    if markers:
        shown = ", ".join(f"{m!r} ({int(counts.get(m, 0))}x)" for m in markers)
        warnings.warn(
            f"Clinical file '{raw.path}': categorical column '{column}' has the "
            f"level(s) {shown}, which often mark a missing value; they are kept as "
            "categories. If they mean missing, pass --na-values "
            + " ".join(repr(m) for m in markers) + ".", DataWarning, stacklevel=4)


def _warn_sentinels(numbers: np.ndarray, column: str, raw: RawTable) -> None:
    observed = numbers[~np.isnan(numbers)]
    for value in _SENTINELS:
        hits = observed == value
        if hits.sum() < 2:
            continue
        others = observed[~hits]
        if np.unique(others).size >= 5 and (value < others.min() or value > others.max()):
            warnings.warn(
                f"Clinical file '{raw.path}': numeric column '{column}' has the value "
                f"{value:g} {int(hits.sum())} times, outside the range of its other "
                f"values ({others.min():g} to {others.max():g}); it is used as a "
                f"number. If it marks a missing value, pass --na-values {value:g}.",
                DataWarning, stacklevel=4)


def parse_column(raw_values: pd.Series, column: str, ids, raw: RawTable, declared,
                 decimal: str = "."):
    """One feature column, typed by the rule of :func:`riata.data.read_clinical`.

    Returns ``("numeric", float array)``, ``("categorical", Categorical)`` or
    ``("dropped", reason)``; ``declared`` is ``"numeric"``, ``"categorical"`` or None.
    """
    values = as_text_or_number(raw_values, column, raw)
    numbers = parse_numbers(values, decimal)
    text = (values.notna() & numbers.isna()).to_numpy()  # cells that are not numbers
    if declared == "numeric" or not text.any():
        numbers = numeric_values(values, column, ids, raw, decimal=decimal,
                                 role="is declared numeric")
        values = numbers
    elif declared != "categorical":
        _check_text_column(values, numbers, column, ids, raw, decimal)
    distinct = values.dropna().unique()
    if distinct.size == 0:
        return "dropped", "all values missing"
    if distinct.size == 1:
        return "dropped", (f"constant (every non-missing value is "
                           f"{_plain(distinct[0])!r})")
    if declared == "categorical" or text.any():
        # Numeric levels become floats, so names read SEX_1.0 however the file wrote 1.
        if text.any():
            levels = sorted((str(v) for v in distinct), key=_level_sort_key)
            cells = values.to_numpy(dtype=object)
        else:
            levels = sorted((float(v) for v in distinct), key=_level_sort_key)
            cells = values.to_numpy(dtype=object)
        categorical = pd.Categorical(cells, categories=levels)
        _warn_markers(levels, column, raw, values.value_counts())
        if len(levels) > _MANY_LEVELS and len(levels) > len(ids) / 2:
            warnings.warn(
                f"Clinical file '{raw.path}': categorical column '{column}' has "
                f"{len(levels)} distinct values in {len(ids)} rows; it looks like an "
                "identifier or free text. List it in drop= unless it is meant as "
                "a variable.", DataWarning, stacklevel=3)
        return "categorical", categorical
    numbers = values.to_numpy(dtype=float)
    _warn_sentinels(numbers, column, raw)
    return "numeric", numbers


def describe_rows(raw: RawTable, rows) -> str:
    """``"line(s) 3, 7, ..."`` for a message."""
    rows = list(rows)
    if raw.lines is None:
        return f"row(s) {examples_of([r + 1 for r in rows])}"
    return f"line(s) {examples_of(raw.lines[rows].tolist())}"

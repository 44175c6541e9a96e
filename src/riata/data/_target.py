"""The outcome column: read, validated, and the positive class of a binary target.

Labels must be one coding: numbers, or text in one spelling per class. A target that
mixes ``0``/``1`` with ``yes``/``no``, spells a class two ways (``Yes``/``yes``) or
uses two words for one meaning (``y``/``yes``) would train a model with classes that
do not exist; it is refused with the labels and their counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._columns import check_magnitudes, describe_rows, parse_numbers
from ._errors import DataError, examples_of
from ._tables import MARKER_LIKE, RawTable

__all__ = ["read_target", "positive_label", "POSITIVE_WORDS", "NEGATIVE_WORDS"]

#: Labels (lower case) that name the positive or the negative class of a binary
#: outcome: a pair of one of each decides the positive class.
POSITIVE_WORDS = frozenset({
    "1", "yes", "y", "true", "t", "case", "cases", "positive", "pos", "+",
    "affected", "present", "disease", "diseased", "event", "events", "dead", "died",
    "deceased", "death", "abnormal", "sick", "ill", "responder", "success",
})
NEGATIVE_WORDS = frozenset({
    "0", "no", "n", "false", "f", "control", "controls", "negative", "neg", "-",
    "unaffected", "absent", "healthy", "noevent", "no event", "alive", "censored",
    "normal", "well", "non-responder", "nonresponder", "failure", "none",
})


def _meaning(label: str) -> str | None:
    low = label.strip().lower()
    if low in POSITIVE_WORDS:
        return "positive"
    if low in NEGATIVE_WORDS:
        return "negative"
    return None


def _label_counts(values) -> str:
    """``"'yes': 67 rows, 'no': 53 rows"``."""
    counts = pd.Series(values, dtype=object).value_counts()
    return ", ".join(f"{v!r}: {n} rows" for v, n in counts.items())


def read_target(series: pd.Series, ids: np.ndarray, target: str, raw: RawTable, *,
                decimal: str = "."):
    """The target column as labels or numbers, or a DataError that says why not.

    Parameters
    ----------
    series : Series
        Cells of the column (text or numbers; missing as NaN).
    ids : ndarray of str
    target : str
    raw : RawTable
        For file, line and row numbers in messages.
    decimal : {".", ","}

    Returns
    -------
    ndarray
        int64 when every value is a whole number, float64 for other numbers, object
        (str) for text labels.
    """
    path = raw.path
    missing = series.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        raise DataError(
            f"Clinical file '{path}': the target column '{target}' is missing for "
            f"{missing.sum()} sample(s), e.g. id(s) {examples_of(ids[missing])} at "
            f"{describe_rows(raw, rows)}. Remove those rows or fill in the outcome; "
            "riata does not impute the target.")
    numbers = parse_numbers(series, decimal)
    is_number = numbers.notna().to_numpy()
    if is_number.all():
        y = numbers.to_numpy(dtype=float)
        check_magnitudes(y, target, ids, raw, what="the target column")
        # Whole numbers (class labels 0/1) become int64 where that is exact.
        whole = np.all(y == np.round(y)) and np.all(np.abs(y) < 2.0**53)
        y = y.astype(np.int64) if whole else y
    elif is_number.any():
        text = series[~is_number].astype(str)
        first = int(np.flatnonzero(~is_number)[0])
        if text.str.lower().isin(MARKER_LIKE).all():
            hint = (" If they mark a missing outcome, remove those rows (riata does "
                    "not impute the target).")
        else:
            hint = (" Recode the column so that every class is written one way "
                    "(e.g. 0/1 or no/yes).")
        raise DataError(
            f"Clinical file '{path}': the target column '{target}' mixes numbers "
            f"({_label_counts(_shown_numbers(numbers[is_number]))}) with text "
            f"({_label_counts(text)}; the first at {raw.where(first)}, id "
            f"{str(ids[first])!r}): a classifier would take every spelling for a "
            f"class of its own.{hint}")
    else:  # text labels such as "yes"/"no" are kept as labels
        y = series.astype(str).to_numpy(dtype=object)
        _check_spellings(y, target, path)
    if np.unique(y.astype(str)).size < 2:
        raise DataError(
            f"Clinical file '{path}': the target column '{target}' has a single value "
            f"({_shown(y[0])!r}) in all {y.size} rows; a classifier needs at least "
            "two classes. Check that the right column is named as target."
        )
    return y


def _shown(value):
    return value.item() if isinstance(value, np.generic) else value


def _shown_numbers(numbers: pd.Series) -> list:
    return [int(v) if float(v).is_integer() else float(v) for v in numbers]


def _check_spellings(y: np.ndarray, target: str, path) -> None:
    """Refuse text labels that spell one class two ways."""
    labels = sorted(set(y.tolist()))
    by_spelling: dict = {}
    for label in labels:
        by_spelling.setdefault(" ".join(label.lower().split()), []).append(label)
    variants = [group for group in by_spelling.values() if len(group) > 1]
    if variants:
        raise DataError(
            f"Clinical file '{path}': the target column '{target}' spells a class in "
            f"more than one way: {'; '.join(' / '.join(map(repr, g)) for g in variants)} "
            f"(labels and counts: {_label_counts(y)}). Each spelling would be a class "
            "of its own; write every class one way.")
    for meaning in ("positive", "negative"):
        same = [label for label in labels if _meaning(label) == meaning]
        if len(same) > 1:
            raise DataError(
                f"Clinical file '{path}': the target column '{target}' has the labels "
                f"{' and '.join(map(repr, same))}, which mean the same ({meaning}) "
                f"(labels and counts: {_label_counts(y)}). Each would be a class of "
                "its own; write every class one way.")


def positive_label(labels, requested=None, *, target: str = "target",
                   source: str = "the data"):
    """The positive class of a binary target, and how it was chosen.

    AUROC, average precision and the Brier score of a binary classifier are computed
    for this class.

    Parameters
    ----------
    labels : array-like of length 2
        The two classes (numbers or text).
    requested : str, int, float or None, default=None
        The user's choice (``--positive-class``), compared as text and, for numeric
        labels, as a number.
    target, source : str
        For messages.

    Returns
    -------
    label
        One of ``labels``, with its type.
    reason : str
        ``"requested"``, ``"the larger number"``, ``"'case' names the positive
        class"`` or ``"the second in sorted order"`` (text without a known meaning).

    Raises
    ------
    DataError
        If ``requested`` is not one of the labels.

    Examples
    --------
    >>> positive_label(["case", "control"])
    ('case', "'case' names the positive class")
    >>> positive_label([0, 1])
    (1, 'the larger number')
    >>> positive_label(["A", "B"], "A")
    ('A', 'requested')
    """
    labels = list(np.asarray(labels).tolist())
    if len(labels) != 2:
        raise DataError(f"{source}: a positive class applies to a binary target; "
                        f"'{target}' has {len(labels)} classes.")
    if requested is not None:
        for label in labels:
            if str(label) == str(requested).strip() or _same_number(label, requested):
                return label, "requested"
        raise DataError(f"{source}: --positive-class {requested!r} is not a class of "
                        f"the target '{target}'; its classes are "
                        f"{examples_of(labels)}.")
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in labels):
        return max(labels), "the larger number"
    meanings = [_meaning(str(v)) for v in labels]
    if sorted(m or "" for m in meanings) == ["negative", "positive"]:
        label = labels[meanings.index("positive")]
        return label, f"{label!r} names the positive class"
    ordered = sorted(labels, key=str)
    return ordered[1], "the second in sorted order"


def _same_number(label, requested) -> bool:
    try:
        return float(label) == float(str(requested))
    except (TypeError, ValueError):
        return False

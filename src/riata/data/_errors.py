"""riata's own error and warning types for bad input data."""

from __future__ import annotations

__all__ = ["DataError", "DataWarning", "examples_of"]


class DataError(ValueError):
    """A user's data file or table cannot be used as it is.

    The message names the file, and the column, row (sample id) or sample where it
    applies; it says what was expected and how to fix the input. ``DataError`` is a
    :class:`ValueError`, so code that already catches ``ValueError`` keeps working,
    while callers such as the command line can catch exactly the errors that are the
    user's to fix and show the message without a traceback.

    Examples
    --------
    >>> from riata.data import DataError
    >>> try:
    ...     raise DataError("clinical.csv: column 'age' has a non-numeric value.")
    ... except ValueError as err:
    ...     print(err)
    clinical.csv: column 'age' has a non-numeric value.
    """


class DataWarning(UserWarning):
    """The data was usable but riata changed or ignored part of it.

    Raised through :func:`warnings.warn` when, for example, a constant column is
    dropped or samples present in only one input are left out; the message says what
    was changed and how to silence it by fixing the input.
    """


def examples_of(values, k: int = 5) -> str:
    """Up to ``k`` values quoted for a message, with ``...`` when there are more.

    >>> examples_of(["a", "b", "c"], k=2)
    "'a', 'b', ..."
    """
    values = list(values)
    shown = ", ".join(repr(str(v)) for v in values[:k])
    return shown + (", ..." if len(values) > k else "")

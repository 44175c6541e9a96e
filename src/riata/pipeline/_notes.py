"""The warnings of a run: recorded for ``config.json`` and passed on as they arise."""

from __future__ import annotations

import warnings

from ..data import DataWarning

__all__ = ["Notes"]


class Notes(list):
    """The warnings of a run, in order.

    Each message goes to ``on_warning(message)``, or, when that is None, out through
    :func:`warnings.warn` as a :class:`~riata.data.DataWarning`.
    """

    def __init__(self, on_warning=None):
        super().__init__()
        self.on_warning = on_warning

    def add(self, message: str) -> None:
        self.append(message)
        if self.on_warning is None:
            warnings.warn(message, DataWarning, stacklevel=3)
        else:
            self.on_warning(message)

    def collect(self, caught) -> None:
        """Add the DataWarnings among ``caught``; pass any other warning on."""
        for item in caught:
            if issubclass(item.category, DataWarning):
                self.add(str(item.message))
            else:
                warnings.warn_explicit(item.message, item.category, item.filename,
                                       item.lineno)

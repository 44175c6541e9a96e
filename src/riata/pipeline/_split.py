"""The train / validation / test split, stratified for classification and seeded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from ..data import DataError

__all__ = ["Split", "split_samples"]


@dataclass(frozen=True, eq=False)
class Split:
    """Row indices of the three splits of a table, each sorted.

    Attributes
    ----------
    train, valid, test : ndarray of int
    """

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray

    def items(self):
        """``(name, rows)`` of the three splits."""
        return (("train", self.train), ("valid", self.valid), ("test", self.test))

    def sizes(self) -> dict:
        return {name: int(rows.size) for name, rows in self.items()}


def split_samples(y, *, stratify: bool, test_size: float = 0.2, valid_size: float = 0.2,
                  seed: int = 0, source: str = "the data") -> Split:
    """Split the samples into train, validation and test rows.

    The test rows are drawn first (``random_state=seed``), then the validation rows
    from the rest (``random_state=seed + 1``), both stratified by ``y`` when
    ``stratify``; every preprocessing statistic is then learned on the training rows
    only. ``test_size`` and ``valid_size`` are shares of all samples.

    Raises
    ------
    DataError
        If the samples cannot be split so (too few, or a class too rare), naming
        ``source``.
    """
    y = np.asarray(y)
    n = y.shape[0]
    labels = y if stratify else None
    idx = np.arange(n)
    try:
        rest, test = train_test_split(idx, test_size=test_size, stratify=labels,
                                      random_state=seed)
        train, valid = train_test_split(
            rest, test_size=valid_size / (1 - test_size),
            stratify=None if labels is None else labels[rest], random_state=seed + 1)
    except ValueError as err:
        raise DataError(f"{source}: {n} samples cannot be split into train / "
                        f"validation / test with test_size {test_size} and valid_size "
                        f"{valid_size}: {err}") from err
    if min(train.size, valid.size, test.size) < 2:
        raise DataError(f"{source}: {n} samples leave only {train.size} / {valid.size} / "
                        f"{test.size} for train / validation / test; riata needs more "
                        "samples.")
    return Split(np.sort(train), np.sort(valid), np.sort(test))

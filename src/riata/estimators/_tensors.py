"""Tensors from the arrays an estimator is given, without copying genotypes."""

from __future__ import annotations

import warnings

import numpy as np
import torch

__all__ = ["DTYPES", "as_tensor"]

#: The estimators' ``dtype`` parameter -> torch dtype.
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def as_tensor(array, dtype) -> torch.Tensor:
    """A tensor sharing memory with ``array`` where the dtype allows (no copy of X).

    Read-only arrays (pandas 3 hands them out) make torch warn that writing would be
    undefined; riata never writes into its inputs, so the warning is silenced rather
    than paid for with a copy of a possibly multi-GB genotype matrix.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.as_tensor(np.asarray(array), dtype=dtype)

"""What both conformance suites (``test_contract.py``, ``test_prox.py``) share."""

from __future__ import annotations

import torch

from .registry import Reference

DTYPES = [torch.float32, torch.float64]


def has_zeros(ref: Reference) -> bool:
    """Whether the penalty can produce exact zeros (it has an L1 or a group term)."""
    return bool((ref.l1 > 0).any()) or (ref.grouped and bool((ref.group_coef > 0).any()))

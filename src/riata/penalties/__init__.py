"""Penalties on network weights, each one class with a small tested contract.

See :class:`riata.penalties.Penalty` for the contract and the weight layout.
"""

from ._base import Penalty
from ._elementwise import L1, L2, ElasticNet
from ._factory import PENALTY_NAMES, make_penalty
from ._group import GroupLasso, SparseGroupLasso, resolve_groups
from ._ops import group_soft_threshold, group_soft_threshold_metric, soft_threshold

__all__ = [
    "Penalty",
    "L1",
    "L2",
    "ElasticNet",
    "GroupLasso",
    "SparseGroupLasso",
    "make_penalty",
    "PENALTY_NAMES",
    "resolve_groups",
    "soft_threshold",
    "group_soft_threshold",
    "group_soft_threshold_metric",
]

#: Every public penalty class; the conformance tests run on each entry.
PENALTIES = (L1, L2, ElasticNet, GroupLasso, SparseGroupLasso)

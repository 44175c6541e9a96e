"""Penalties on network weights, each one class with a small tested contract.

See :class:`riata.penalties.Penalty` for the contract and the weight layout.
"""

from ._base import Penalty
from ._elementwise import L1, L2, ElasticNet
from ._factory import PENALTY_NAMES, make_penalty
from ._group import GroupLasso, SparseGroupLasso, resolve_groups
from ._hierarchical import HierarchicalLasso
from ._ops import group_soft_threshold, group_soft_threshold_metric, soft_threshold

__all__ = [
    "Penalty",
    "L1",
    "L2",
    "ElasticNet",
    "GroupLasso",
    "SparseGroupLasso",
    "HierarchicalLasso",
    "make_penalty",
    "PENALTY_NAMES",
    "PENALTIES",
    "CONSTRAINED_PENALTIES",
    "resolve_groups",
    "soft_threshold",
    "group_soft_threshold",
    "group_soft_threshold_metric",
]

#: The convex penalties; the conformance tests (tests/penalties) run on each entry.
PENALTIES = (L1, L2, ElasticNet, GroupLasso, SparseGroupLasso)
#: Penalties with a nonconvex constraint. They keep the contract but not the convex
#: suite's properties (at ``alpha = 0`` the prox projects onto the constraint; no
#: per-coordinate steps), so they have their own tests (tests/penalties/
#: test_hierarchical.py).
CONSTRAINED_PENALTIES = (HierarchicalLasso,)

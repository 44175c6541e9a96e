"""Optimizers that apply a penalty per parameter group, in one of three modes.

See :mod:`riata.optim._apply` for the three modes (``proximal``, ``autograd``,
``shrink``) and how they differ.
"""

from ._adam import ProxAdam, adam_update, fused_adam_update
from ._apply import PENALTY_MODES, apply_prox, apply_shrink, penalty_gradient
from ._base import ProximalOptimizer
from ._groups import penalized_param_groups
from ._sgd import ProxSGD, sgd_update

__all__ = [
    "PENALTY_MODES",
    "ProximalOptimizer",
    "ProxSGD",
    "ProxAdam",
    "penalized_param_groups",
    "sgd_update",
    "adam_update",
    "fused_adam_update",
    "penalty_gradient",
    "apply_prox",
    "apply_shrink",
]

#: Every public optimizer; the conformance tests run on each entry.
OPTIMIZERS = (ProxSGD, ProxAdam)

"""A penalty from its name, as the command line and the experiments spell it."""

from __future__ import annotations

from ._base import Penalty
from ._elementwise import L1, L2, ElasticNet
from ._group import GroupLasso, SparseGroupLasso
from ._hierarchical import HierarchicalLasso

__all__ = ["PENALTY_NAMES", "make_penalty"]

#: The names :func:`make_penalty` accepts, in the order the command line lists them.
PENALTY_NAMES = ("none", "l1", "l2", "elastic-net", "group-lasso", "sparse-group-lasso",
                 "hierarchical")


def make_penalty(name: str | None, alpha: float = 1.0, *, l1_ratio: float = 0.5,
                 groups=None) -> Penalty | None:
    """The penalty called ``name``, or None for no penalty.

    One table maps the names used by ``riata fit --penalty`` and the case study to
    the penalty classes, so that a name means the same penalty everywhere.

    ========================  =============================================
    name                      penalty
    ========================  =============================================
    ``"none"`` (or None)      None
    ``"l1"``                  ``L1(alpha)``
    ``"l2"``                  ``L2(alpha)``
    ``"elastic-net"``         ``ElasticNet(alpha, l1_ratio=l1_ratio)``
    ``"group-lasso"``         ``GroupLasso(alpha, groups=groups)``
    ``"sparse-group-lasso"``  ``SparseGroupLasso(alpha, l1_ratio=l1_ratio,
                              groups=groups)``
    ``"hierarchical"``        ``HierarchicalLasso(alpha)`` (LassoNet's; needs a
                              network with a skip path; one input per term)
    ========================  =============================================

    Parameters
    ----------
    name : {"none", "l1", "l2", "elastic-net", "group-lasso", \
"sparse-group-lasso", "hierarchical"} or None
        The penalty; ``"none"`` and None both mean no penalty.
    alpha : float, default=1.0
        Penalty strength (the classes' own default). A path search such as
        :func:`riata.estimators.fit_alpha_path` replaces it.
    l1_ratio : float in [0, 1], default=0.5
        L1 share of ``"elastic-net"`` and ``"sparse-group-lasso"``; ignored by the
        others.
    groups : sequence of shape (n_features,), default=None
        Group label of each input column, for ``"group-lasso"`` and
        ``"sparse-group-lasso"`` (None: one group per column); ignored by the others.

    Returns
    -------
    Penalty or None
        A new penalty object, or None for ``"none"``.

    Raises
    ------
    ValueError
        If ``name`` is not one of :data:`PENALTY_NAMES`, or a parameter is invalid
        for the penalty (the penalty's own validation).

    See Also
    --------
    L1, L2, ElasticNet, GroupLasso, SparseGroupLasso, HierarchicalLasso

    Examples
    --------
    >>> from riata.penalties import make_penalty
    >>> make_penalty("group-lasso", 0.1, groups=["age", "sex", "sex"])
    GroupLasso(alpha=0.1, groups=['age', 'sex', 'sex'])
    >>> make_penalty("elastic-net", l1_ratio=0.3)
    ElasticNet(l1_ratio=0.3)
    >>> make_penalty("none") is None
    True
    """
    if name is None or name == "none":
        return None
    if name == "l1":
        return L1(alpha)
    if name == "l2":
        return L2(alpha)
    if name == "elastic-net":
        return ElasticNet(alpha, l1_ratio=l1_ratio)
    if name == "group-lasso":
        return GroupLasso(alpha, groups=groups)
    if name == "sparse-group-lasso":
        return SparseGroupLasso(alpha, l1_ratio=l1_ratio, groups=groups)
    if name == "hierarchical":
        return HierarchicalLasso(alpha)
    raise ValueError(f"Unknown penalty name {name!r}; choose one of "
                     f"{list(PENALTY_NAMES)}.")

"""Attach penalties to a model's parameters by name pattern, from outside the model."""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

from torch import nn

from ..penalties import Penalty

__all__ = ["penalized_param_groups"]


def penalized_param_groups(
    module: nn.Module, penalties: Mapping[str, Penalty | None], **group_options
) -> list[dict]:
    """Split a module's parameters into optimizer groups by glob patterns on names.

    Parameters
    ----------
    module : nn.Module
    penalties : mapping of str to Penalty or None
        ``{"input_layer.weight": GroupLasso(alpha=0.01)}``: each parameter whose name
        matches a pattern (``fnmatch`` syntax) gets that penalty; the first matching
        pattern wins. Unmatched parameters form one unpenalized group.
    **group_options
        Extra keys for every group (``penalty_mode="shrink"``, ``lr=...``).

    Returns
    -------
    list of dict
        Parameter groups for :class:`ProxSGD` / :class:`ProxAdam`.

    Raises
    ------
    ValueError
        If a pattern matches a bias (biases are never penalized) or matches nothing.
    """
    named = list(module.named_parameters())
    assigned: dict[str, list] = {pattern: [] for pattern in penalties}
    free = []
    for name, param in named:
        pattern = next((p for p in penalties if fnmatchcase(name, p)), None)
        if pattern is None:
            free.append(param)
            continue
        if name.split(".")[-1].startswith("bias") and penalties[pattern] is not None:
            raise ValueError(
                f"Pattern {pattern!r} matches the bias {name!r}; riata never penalizes "
                "biases. Use a pattern such as '*.weight'."
            )
        assigned[pattern].append(param)
    groups = []
    for pattern, params in assigned.items():
        if not params:
            names = ", ".join(n for n, _ in named)
            raise ValueError(
                f"Penalty pattern {pattern!r} matches no parameter of "
                f"{type(module).__name__}; its parameters are: {names}."
            )
        groups.append({"params": params, "penalty": penalties[pattern], **group_options})
    if free:
        groups.append({"params": free, "penalty": None, **group_options})
    return groups

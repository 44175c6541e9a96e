"""ProximalOptimizer: a torch optimizer whose parameter groups may carry a penalty."""

from __future__ import annotations

import math

import torch

from ..penalties import Penalty
from ._apply import PENALTY_MODES, apply_prox, apply_shrink, penalty_gradient

__all__ = ["ProximalOptimizer"]


class ProximalOptimizer(torch.optim.Optimizer):
    """Base class: a smooth update, then the penalty applied in the group's mode.

    Subclasses implement ``_smooth_update(p, grad, group, state)``, which updates ``p``
    in place and returns the exact step it applied (a float, or a tensor of
    per-coordinate steps); the base class applies each parameter group's ``penalty``
    in its ``penalty_mode`` (see :mod:`riata.optim._apply`). Any training loop that
    calls ``optimizer.step()`` thus gets the penalty, with exact zeros in the default
    ``"proximal"`` mode.

    Per parameter group, besides the subclass's hyperparameters:

    - ``penalty`` (:class:`riata.penalties.Penalty` or None): applied to each tensor of
      the group separately (a group penalty's groups are columns of that tensor);
    - ``penalty_mode`` (``"proximal"``, ``"autograd"`` or ``"shrink"``);
    - ``shrink_clip`` (bool): in ``"shrink"`` mode, set weights that would cross zero to
      zero.
    """

    def __init__(self, params, defaults: dict):
        defaults = {"penalty": None, "penalty_mode": "proximal", "shrink_clip": False,
                    **defaults}
        super().__init__(params, defaults)
        for group in self.param_groups:
            self._check_group(group)

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        self._check_group(self.param_groups[-1])

    @staticmethod
    def _check_group(group: dict) -> None:
        mode = group["penalty_mode"]
        if mode not in PENALTY_MODES:
            raise ValueError(
                f"penalty_mode must be one of {list(PENALTY_MODES)}; got {mode!r}."
            )
        penalty = group["penalty"]
        if penalty is not None and not isinstance(penalty, Penalty):
            raise TypeError(
                "penalty must be a riata.penalties.Penalty (e.g. GroupLasso(alpha=0.01)) "
                f"or None; got {type(penalty).__name__}."
            )
        lr = group.get("lr")
        if lr is not None and (not isinstance(lr, (int, float)) or not lr >= 0
                               or not math.isfinite(lr)):
            raise ValueError(f"lr must be a finite number >= 0; got {lr!r}.")

    def state_dict(self) -> dict:
        """torch's state dict, with each penalty replaced by its description.

        A penalty is configuration, not state: storing its ``repr`` keeps checkpoints
        loadable with ``torch.load(weights_only=True)`` (torch's default), which
        refuses arbitrary Python objects.
        """
        state = super().state_dict()
        for group in state["param_groups"]:
            if group.get("penalty") is not None:
                group["penalty"] = repr(group["penalty"])
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Load moments and hyperparameters; keep this optimizer's penalty objects.

        Raises
        ------
        ValueError
            If a saved group's penalty description differs from this optimizer's.
        """
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError(
                f"The state dict has {len(saved)} parameter groups; this optimizer has "
                f"{len(self.param_groups)}."
            )
        penalties = [group["penalty"] for group in self.param_groups]
        for group, penalty in zip(saved, penalties):
            described = group.get("penalty")
            if described is not None and not isinstance(described, str):
                described = repr(described)
            if described != (None if penalty is None else repr(penalty)):
                raise ValueError(
                    f"The saved optimizer used penalty {described}; this one has "
                    f"{penalty!r}. Build the optimizer with the same penalties first."
                )
        super().load_state_dict(state_dict)
        for group, penalty in zip(self.param_groups, penalties):
            group["penalty"] = penalty

    def _smooth_update(self, p, grad, group, state):  # pragma: no cover - abstract
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure=None):
        """Take one optimization step (smooth update, then penalty).

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            penalty, mode = group["penalty"], group["penalty_mode"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients.")
                if penalty is not None and mode == "autograd":
                    grad = grad + penalty_gradient(penalty, p)
                step = self._smooth_update(p, grad, group, self.state[p])
                if penalty is None or mode == "autograd":
                    continue
                if mode == "proximal":
                    moved = apply_prox(penalty, p, step)
                else:
                    moved = apply_shrink(penalty, p, group["lr"], group["shrink_clip"])
                self._after_penalty(p, moved, group, self.state[p])
                p.copy_(moved)
        return loss

    def _after_penalty(self, p, moved, group, state) -> None:
        """Hook: ``p`` (after the smooth update) is about to become ``moved``."""

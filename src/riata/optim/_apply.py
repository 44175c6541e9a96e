"""The three ways to apply a penalty after (or inside) a smooth optimizer update.

Each rule is a small pure function of the parameter, the optimizer's step and the
penalty, so it can be tested alone and shared by every optimizer:

``autograd``
    The penalty is part of the objective that is differentiated: its (sub)gradient,
    taken by torch's autograd (``sign(0) = 0``), is added to the data gradient *before*
    the smooth update, exactly as if ``penalty.value(w)`` had been added to the loss.
    Under Adam the penalty gradient then also enters the moment estimates.
``shrink``
    Decoupled: after the smooth update every penalized weight moves toward zero by
    ``lr`` times the penalty's subgradient (for L1, by the constant ``lr * alpha``),
    independently of any preconditioner (AdamW's rule for weight decay). Without
    clipping a weight oscillates around zero; with ``shrink_clip=True`` a weight whose
    sign would flip is set to zero instead (truncated gradient, Langford et al. 2009).
``proximal``
    ``w <- prox_{D * penalty}(w)`` with ``D`` the exact step the smooth update applied:
    the scalar ``lr`` for SGD, the per-coordinate ``lr / (sqrt(v_hat) + eps)`` for Adam.
    Gives exact zeros that persist and can be certified by the KKT conditions.
"""

from __future__ import annotations

import torch

from ..penalties import Penalty

__all__ = ["PENALTY_MODES", "penalty_gradient", "apply_shrink", "apply_prox"]

#: The accepted values of ``penalty_mode``.
PENALTY_MODES = ("proximal", "autograd", "shrink")


def penalty_gradient(penalty: Penalty, w: torch.Tensor) -> torch.Tensor:
    """Autograd's (sub)gradient of ``penalty.value`` at ``w``; ``w`` is not modified."""
    with torch.enable_grad():
        leaf = w.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(penalty.value(leaf), leaf)
    return grad


def apply_shrink(
    penalty: Penalty, w: torch.Tensor, lr: float, clip: bool
) -> torch.Tensor:
    """Return ``w - lr * subgradient(w)``, zeroing sign flips when ``clip``."""
    moved = w - lr * penalty_gradient(penalty, w)
    if clip:
        moved = torch.where(torch.sign(moved) * torch.sign(w) < 0, 0.0, moved)
    return moved


def apply_prox(
    penalty: Penalty, w: torch.Tensor, step: torch.Tensor | float
) -> torch.Tensor:
    """Return ``penalty.prox(w, step)``; ``step`` is what the smooth update applied."""
    return penalty.prox(w, step)

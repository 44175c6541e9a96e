"""Adam, plus a penalty per parameter group applied with Adam's own step sizes."""

from __future__ import annotations

import math

import torch
from torch.optim.adam import adam as torch_adam

from ._base import ProximalOptimizer

__all__ = ["ProxAdam", "adam_update", "fused_adam_update"]


def _start_moments(p: torch.Tensor, state: dict) -> None:
    """An empty state gets step 0 and zero first and second moments shaped like ``p``."""
    if not state:
        state["step"] = 0
        state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)


def adam_update(
    p: torch.Tensor,
    grad: torch.Tensor,
    state: dict,
    *,
    lr: float,
    betas: tuple[float, float],
    eps: float,
) -> torch.Tensor:
    """Functional kernel of :class:`ProxAdam`'s smooth update (in place on ``p``).

    Updates the moments in ``state`` and ``p`` exactly as ``torch.optim.Adam`` with
    ``weight_decay=0, amsgrad=False``, and returns the per-coordinate step it applied,
    ``lr / (sqrt(v_hat) + eps)`` (the update is that step times ``m_hat``), except that
    a coordinate whose gradient has been exactly zero at every step so far
    (``v_hat == 0``) gets step 0: it did not move, and Adam's metric has no scale for
    it (``lr / eps`` would be ~1e5 * lr; see :class:`ProxAdam`).
    """
    beta1, beta2 = betas
    _start_moments(p, state)
    state["step"] += 1
    t = state["step"]
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad.conj(), value=1 - beta2)
    bias_correction1 = 1 - beta1**t
    bias_correction2 = 1 - beta2**t
    denom = (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(eps)
    p.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)
    step = lr / denom
    # No gradient history, no metric: a penalty's prox must not act with lr / eps there.
    return step.masked_fill_(exp_avg_sq == 0, 0.0)


def fused_adam_update(
    p: torch.Tensor,
    grad: torch.Tensor,
    state: dict,
    *,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    with_step: bool = True,
) -> torch.Tensor | None:
    """:func:`adam_update` through torch's fused Adam kernel (one pass over ``p``).

    The smooth update is ``torch.optim.Adam(fused=True)``'s, bit for bit (the
    functional ``torch.optim.adam.adam`` with ``fused=True``); it agrees with
    :func:`adam_update` to rounding (the kernel orders the same operations in one
    loop). The per-coordinate step ``lr / (sqrt(v_hat) + eps)`` (0 where ``v == 0``)
    costs two more passes and is computed only ``with_step`` (a penalty's prox needs
    it; without a penalty, None is returned). 13 ms against 96 ms for
    :func:`adam_update` on a 10-million-weight encoder on one CPU thread without the
    step sizes (docs/benchmarks.md, 4a).
    """
    beta1, beta2 = betas
    _start_moments(p, state)
    # The kernel increments its step tensor itself; riata's state keeps a plain int.
    step_tensor = torch.tensor(float(state["step"]))
    torch_adam([p], [grad], [state["exp_avg"]], [state["exp_avg_sq"]], [], [step_tensor],
               fused=True, amsgrad=False, beta1=beta1, beta2=beta2, lr=lr,
               weight_decay=0.0, eps=eps, maximize=False)
    state["step"] += 1
    if not with_step:
        return None
    exp_avg_sq = state["exp_avg_sq"]
    bias_correction2 = 1 - beta2 ** state["step"]
    step = lr / (exp_avg_sq.sqrt() / math.sqrt(bias_correction2)).add_(eps)
    return step.masked_fill_(exp_avg_sq == 0, 0.0)


class ProxAdam(ProximalOptimizer):
    r"""Adam whose parameter groups may carry a penalty.

    .. code-block:: text

        for t = 1, 2, ...:
            g     <- grad f(w)                      (+ grad penalty(w) if mode = autograd)
            m     <- beta1 m + (1 - beta1) g ;  v <- beta2 v + (1 - beta2) g^2
            D     <- lr / (sqrt(v / (1 - beta2^t)) + eps)          (per coordinate)
            w     <- w - D * m / (1 - beta1^t)
            w     <- argmin_u ||u - w||^2_{D^-1} / 2 + penalty(u)  if mode = proximal
            w     <- w - lr * subgrad penalty(w)                   if mode = shrink

    In ``"proximal"`` mode the penalty's prox is taken in the metric of Adam's own
    per-coordinate steps ``D`` (the "ProxGen" scheme of Yun et al. 2021). For the
    elementwise penalties this is coordinatewise soft-thresholding with threshold
    ``D_i * alpha``; for group penalties it has no closed form and riata solves the
    one-dimensional equation for each group's norm exactly (see
    :func:`riata.penalties.group_soft_threshold_metric`), so zeros are exact and a zero
    group satisfies ``||w_g / D_g|| <= threshold_g`` at the point of the prox. In
    ``"shrink"`` mode the penalty is decoupled from the preconditioner, as weight decay
    is in AdamW, but applied *after* the Adam step (AdamW decays before it; with L2 the
    two differ by ``lr^2 * alpha`` times the Adam direction). Under Adam a clipped
    shrink does not keep zeros at zero: Adam's next step moves a zero weight by about
    ``lr`` while the shrink pulls back only ``lr * alpha``; use ``"proximal"`` for
    zeros that persist. With ``penalty=None`` it is ``torch.optim.Adam``.

    A coordinate whose gradient has been exactly zero at every step so far
    (``v = 0``) is left as it is by the prox: Adam's step there would be
    ``lr / eps`` (``5e5`` at ``lr = 5e-3``), which makes the prox of any penalty wipe
    it on the first step, however large it is. This happens whenever part of a
    network receives no gradient yet (a weight behind a zero layer, the kernel
    coefficients of samples not yet in a batch); such a coordinate is penalized from
    its first nonzero gradient on. (In ``"autograd"`` mode the penalty's own gradient
    enters ``v``, so the question does not arise.)

    Parameters
    ----------
    params : iterable of tensors or dicts
    lr : float, default=1e-3
    betas : tuple of float, default=(0.9, 0.999)
    eps : float, default=1e-8
    penalty : Penalty or None, default=None
    penalty_mode : {"proximal", "autograd", "shrink"}, default="proximal"
    shrink_clip : bool, default=False
    fused : bool, default=False
        Take the smooth update with torch's fused Adam kernel
        (:func:`fused_adam_update`): one pass over each weight instead of about ten,
        equal to the default to rounding. False keeps riata's earlier results bit for
        bit, as ``torch.optim.Adam`` keeps ``fused`` off by default on the CPU.

    References
    ----------
    Kingma, D. P. and Ba, J. (2015). Adam: a method for stochastic optimization. ICLR.
    Yun, J., Lozano, A. C. and Yang, E. (2021). Adaptive proximal gradient methods for
    structured neural networks. NeurIPS.

    Examples
    --------
    >>> import torch
    >>> from riata.optim import ProxAdam
    >>> from riata.penalties import GroupLasso
    >>> layer = torch.nn.Linear(4, 3)
    >>> opt = ProxAdam([{"params": [layer.weight], "penalty": GroupLasso(alpha=1e3)}])
    >>> layer(torch.randn(8, 4)).pow(2).mean().backward()
    >>> opt.step()
    >>> layer.weight.detach().abs().sum().item()
    0.0
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 *, penalty=None, penalty_mode: str = "proximal", shrink_clip: bool = False,
                 fused: bool = False):
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas must be in [0, 1); got {betas!r}.")
        if not eps > 0:
            raise ValueError(f"eps must be > 0; got {eps!r}.")
        super().__init__(params, {
            "lr": lr, "betas": tuple(betas), "eps": eps, "penalty": penalty,
            "penalty_mode": penalty_mode, "shrink_clip": shrink_clip, "fused": bool(fused),
        })

    def _smooth_update(self, p, grad, group, state):
        if not group.get("fused", False):  # states saved before ``fused`` existed
            return adam_update(p, grad, state, lr=group["lr"], betas=group["betas"],
                               eps=group["eps"])
        with_step = group["penalty"] is not None and group["penalty_mode"] == "proximal"
        return fused_adam_update(p, grad, state, lr=group["lr"], betas=group["betas"],
                                 eps=group["eps"], with_step=with_step)

"""Stochastic gradient descent with momentum, plus a penalty per parameter group."""

from __future__ import annotations

import torch

from ._base import ProximalOptimizer

__all__ = ["ProxSGD", "sgd_update"]


def sgd_update(
    p: torch.Tensor,
    grad: torch.Tensor,
    buf: torch.Tensor | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    nesterov: bool,
) -> tuple[float, torch.Tensor | None]:
    """Functional kernel of :class:`ProxSGD`'s smooth update (in place on ``p``).

    Returns the step applied (``lr``) and the new momentum buffer. Identical to
    ``torch.optim.SGD`` with ``weight_decay=0``.
    """
    direction = grad
    if momentum != 0:
        if buf is None:
            buf = grad.detach().clone()
        else:
            buf.mul_(momentum).add_(grad, alpha=1 - dampening)
        direction = grad.add(buf, alpha=momentum) if nesterov else buf
    p.add_(direction, alpha=-lr)
    return lr, buf


class ProxSGD(ProximalOptimizer):
    r"""SGD with (Nesterov) momentum whose parameter groups may carry a penalty.

    .. code-block:: text

        for t = 1, 2, ...:
            g    <- grad f(w)                       (+ grad penalty(w) if mode = autograd)
            b    <- momentum * b + (1 - dampening) * g          (b = g at t = 1)
            d    <- g + momentum * b if nesterov else b
            w    <- w - lr * d
            w'   <- prox_{lr * penalty}(w)                       if mode = proximal
            w'   <- w - lr * subgrad penalty(w)                  if mode = shrink
            b    <- b + (w - w') / lr ;  w <- w'       (proximal and shrink modes)

    With ``penalty=None`` it is ``torch.optim.SGD`` (no weight decay: use ``L2`` with
    ``penalty_mode="autograd"`` for torch's coupled weight decay). With ``momentum=0``
    and ``penalty_mode="proximal"`` it is the proximal gradient method (ISTA). With
    momentum, the penalty's displacement is folded into the momentum buffer, so that
    the buffer stays the full velocity ``(w_t - w_{t+1}) / lr`` (the inertial proximal
    method iPiano): without it, heavy-ball momentum amplifies the data gradient
    ``1 / (1 - momentum)`` times at a fixed point and the penalty acts as if ``alpha``
    were ``(1 - momentum) * alpha``.

    References
    ----------
    Ochs, P., Chen, Y., Brox, T. and Pock, T. (2014). iPiano: inertial proximal
    algorithm for nonconvex optimization. SIAM J. Imaging Sci. 7(2), 1388-1419.

    Parameters
    ----------
    params : iterable of tensors or dicts
        Parameter groups; a dict may set ``penalty``, ``penalty_mode``, ``shrink_clip``
        and any hyperparameter below.
    lr : float, default=1e-2
    momentum : float, default=0
    dampening : float, default=0
    nesterov : bool, default=False
    penalty : Penalty or None, default=None
        Default penalty for groups that do not set one.
    penalty_mode : {"proximal", "autograd", "shrink"}, default="proximal"
    shrink_clip : bool, default=False

    Examples
    --------
    >>> import torch
    >>> from riata.optim import ProxSGD
    >>> from riata.penalties import L1
    >>> layer = torch.nn.Linear(3, 1)
    >>> opt = ProxSGD([{"params": [layer.weight], "penalty": L1(alpha=100.0)},
    ...                {"params": [layer.bias]}], lr=0.1)
    >>> layer(torch.randn(8, 3)).pow(2).mean().backward()
    >>> opt.step()
    >>> layer.weight.detach().count_nonzero().item()
    0
    """

    def __init__(self, params, lr: float = 1e-2, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False, *, penalty=None,
                 penalty_mode: str = "proximal", shrink_clip: bool = False):
        if not 0.0 <= momentum < 1.0 or not 0.0 <= dampening <= 1.0:
            raise ValueError(
                f"momentum must be in [0, 1) and dampening in [0, 1]; got momentum="
                f"{momentum!r}, dampening={dampening!r}."
            )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0.")
        super().__init__(params, {
            "lr": lr, "momentum": momentum, "dampening": dampening, "nesterov": nesterov,
            "penalty": penalty, "penalty_mode": penalty_mode, "shrink_clip": shrink_clip,
        })

    def _after_penalty(self, p, moved, group, state) -> None:
        # Heavy-ball momentum sums gradients, so at a fixed point the buffer is
        # g / (1 - momentum): a penalty step of lr alone would then balance a data
        # gradient amplified 1/(1 - momentum) times, i.e. solve f + (1 - momentum) P.
        # Folding the penalty's displacement into the buffer makes the buffer the
        # full velocity (w_t - w_{t+1}) / lr, the inertial proximal scheme (iPiano,
        # Ochs et al. 2014) whose fixed points are stationary for f + P.
        buf = state.get("momentum_buffer")
        if buf is not None and group["lr"] > 0:
            buf.add_(p - moved, alpha=1.0 / group["lr"])

    def _smooth_update(self, p, grad, group, state):
        step, buf = sgd_update(
            p, grad, state.get("momentum_buffer"), lr=group["lr"],
            momentum=group["momentum"], dampening=group["dampening"],
            nesterov=group["nesterov"],
        )
        if buf is not None:
            state["momentum_buffer"] = buf
        return step

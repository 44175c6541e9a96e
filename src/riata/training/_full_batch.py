"""Full-batch accelerated proximal gradient: fits that end at a certifiable point."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Sequence

import torch
from sklearn.exceptions import ConvergenceWarning
from torch import nn

from ._loop import TrainResult
from ._resume import pack_state, unpack_state

__all__ = ["train_full_batch"]

logger = logging.getLogger("riata")


def _prox_step(groups, point, grads, step: float):
    """``prox_{step * penalty}(point - step * grad)`` for every parameter."""
    out = []
    for (group, values), grad in zip(zip(groups, point), grads):
        penalty = group.get("penalty")
        moved = [v - step * g for v, g in zip(values, grad)]
        if penalty is not None:
            moved = [penalty.prox(m, step) for m in moved]
        out.append(moved)
    return out


def _assign(params, values) -> None:
    with torch.no_grad():
        for ps, vs in zip(params, values):
            for p, v in zip(ps, vs):
                p.copy_(v)


def train_full_batch(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    X: torch.Tensor,
    y: torch.Tensor,
    groups: Sequence[dict],
    *,
    max_iter: int = 2000,
    tol: float = 1e-7,
    n_iter_no_change: int = 5,
    step: float = 1.0,
    forward: Callable | None = None,
    sample_weight: torch.Tensor | None = None,
    checkpoint=None,
    checkpoint_every: int = 50,
) -> TrainResult:
    r"""Minimize ``loss_fn(model(X), y) + sum penalties`` by accelerated proximal gradient.

    FISTA (Beck & Teboulle 2009) with a backtracking line search on the smooth part and
    function-value restart (O'Donoghue & Candes 2015), which keeps it monotone on the
    nonconvex objective of a network:

    .. code-block:: text

        x+ = prox_{t P}(v - t grad f(v))  with t halved until
             f(x+) <= f(v) + <grad f(v), x+ - v> + ||x+ - v||^2 / (2 t)
        if F(x+) > F(x): restart (v <- x, momentum reset), else
             v <- x+ + (theta - 1) / theta+ (x+ - x)

    The step grows by 1.25 after each accepted iteration, so it follows the local
    curvature. Every step is the exact prox of each group's penalty, so zeros are
    exact, and at a stationary point the zero groups satisfy their KKT conditions.
    Training stops when the objective has decreased by less than ``tol`` (relative) for
    ``n_iter_no_change`` iterations in a row, or after ``max_iter`` iterations.

    Parameters
    ----------
    model : nn.Module
        Trained in place (dropout must be off: the objective must be deterministic).
    loss_fn : callable
        ``loss_fn(outputs, targets)``: the mean data loss.
    X, y : Tensor
        All training rows.
    groups : sequence of dict
        Parameter groups as :func:`riata.optim.penalized_param_groups` makes them:
        ``{"params": [...], "penalty": Penalty or None}``; every trainable parameter
        must be in one.
    max_iter : int, default=2000
    tol : float, default=1e-7
    n_iter_no_change : int, default=5
    step : float, default=1.0
        First trial step.
    forward : callable, optional
        ``forward(model, X, slice(None))`` instead of ``model(X)``.
    sample_weight : Tensor of shape (n_samples,), optional
        ``loss_fn(outputs, y, sample_weight)`` is then the weighted mean loss.
    checkpoint : riata.io.PathCheckpoint, optional
        Save the iterate, the momentum point, theta, the step, the history and the
        stopping counter every ``checkpoint_every`` iterations (and at the end),
        keeping only the latest; if the checkpoint holds one, go on after it. The
        result is then bit for bit that of an uninterrupted run (the contract of
        :func:`riata.training.train_module`'s checkpoints).
    checkpoint_every : int, default=50
        Iterations between two saves.

    Returns
    -------
    TrainResult
        One history record per iteration (``epoch``, ``train_loss``, ``objective``,
        ``step``); ``best_epoch`` is the last iteration.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` iterations pass before the stopping rule is met.

    References
    ----------
    Beck, A. and Teboulle, M. (2009). A fast iterative shrinkage-thresholding algorithm
    for linear inverse problems. SIAM J. Imaging Sciences 2(1): 183-202.
    O'Donoghue, B. and Candes, E. (2015). Adaptive restart for accelerated gradient
    schemes. Foundations of Computational Mathematics 15: 715-732.
    """
    params = [list(g["params"]) for g in groups]

    def evaluate(with_grad: bool):
        with torch.set_grad_enabled(with_grad):
            out = model(X) if forward is None else forward(model, X, slice(None))
            loss = (loss_fn(out, y) if sample_weight is None
                    else loss_fn(out, y, sample_weight))
        if not with_grad:
            return float(loss), None
        flat = [p for ps in params for p in ps]
        grads = torch.autograd.grad(loss, flat)
        it = iter(grads)
        return float(loss.detach()), [[next(it) for _ in ps] for ps in params]

    def penalty_of(values) -> float:
        total = 0.0
        for group, vs in zip(groups, values):
            if group.get("penalty") is not None:
                total += sum(float(group["penalty"].value(v)) for v in vs)
        return total

    model.train()
    result = TrainResult()
    # Start inside every penalty's domain: the prox with step 0 is the identity for a
    # penalty defined everywhere and the projection onto the constraint of one that is
    # not (HierarchicalLasso); from an infeasible start no feasible step could lower F.
    _assign(params, [[p.detach() if g.get("penalty") is None else
                      g["penalty"].prox(p.detach(), 0.0) for p in ps]
                     for g, ps in zip(groups, params)])
    x = [[p.detach().clone() for p in ps] for ps in params]
    v = [[t.clone() for t in ts] for ts in x]
    theta, t = 1.0, float(step)
    f_x, _ = evaluate(False)
    F_x = f_x + penalty_of(x)
    stale, first = 0, 1
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1; got {checkpoint_every}.")
    settings = {"n_samples": int(X.shape[0]), "tol": tol,
                "n_iter_no_change": n_iter_no_change,
                "shapes": [[tuple(p.shape) for p in ps] for ps in params]}
    found = None if checkpoint is None else checkpoint.latest_step()
    if found is not None:
        saved = unpack_state(found[1], settings)
        x, v, theta, t = saved["x"], saved["v"], saved["theta"], saved["t"]
        f_x, F_x, stale, result = saved["f_x"], saved["F_x"], saved["stale"], saved["result"]
        first = saved["iteration"] + 1
        logger.info("resumed full-batch training after iteration %d", saved["iteration"])
    iterations = range(first, max_iter + 1) if stale < n_iter_no_change else range(0)
    for it in iterations:
        _assign(params, v)
        f_v, g_v = evaluate(True)
        if not math.isfinite(f_v):
            raise FloatingPointError(f"The training loss became {f_v} at iteration {it}.")
        while True:
            x_new = _prox_step(groups, v, g_v, t)
            _assign(params, x_new)
            f_new, _ = evaluate(False)
            inner = sum(float((g * (a - b)).sum()) for gs, xs, vs in zip(g_v, x_new, v)
                        for g, a, b in zip(gs, xs, vs))
            dist = sum(float(((a - b) ** 2).sum()) for xs, vs in zip(x_new, v)
                       for a, b in zip(xs, vs))
            if f_new <= f_v + inner + dist / (2 * t) + 1e-12 * abs(f_v) or t < 1e-12:
                break
            t *= 0.5
        F_new = f_new + penalty_of(x_new)
        if F_new > F_x:
            # Restart: drop the momentum and take a plain proximal step from x.
            theta, v = 1.0, [[a.clone() for a in ts] for ts in x]
            stale += 1
        else:
            theta_new = (1 + math.sqrt(1 + 4 * theta * theta)) / 2
            beta = (theta - 1) / theta_new
            v = [[a + beta * (a - b) for a, b in zip(xs, olds)]
                 for xs, olds in zip(x_new, x)]
            decrease = F_x - F_new
            stale = stale + 1 if decrease <= tol * max(1.0, abs(F_x)) else 0
            x, F_x, f_x, theta = x_new, F_new, f_new, theta_new
        result.history.append({"epoch": it, "train_loss": f_x, "objective": F_x,
                               "step": t})
        t *= 1.25
        if checkpoint is not None and (it % checkpoint_every == 0 or it == max_iter
                                       or stale >= n_iter_no_change):
            checkpoint.save_step(it - 1, pack_state(it, {
                "iteration": it, "x": x, "v": v, "theta": theta, "t": t, "f_x": f_x,
                "F_x": F_x, "stale": stale, "result": result, "settings": settings}),
                keep_previous=False)
        if stale >= n_iter_no_change:
            break
    _assign(params, x)
    model.eval()
    if stale < n_iter_no_change:
        warnings.warn(f"full-batch proximal gradient stopped at max_iter={max_iter} "
                      f"before the objective settled (relative decrease below {tol} for "
                      f"{n_iter_no_change} iterations); raise max_epochs for certified "
                      "zeros.", ConvergenceWarning, stacklevel=3)
    result.best_epoch = len(result.history)
    result.stopped_early = len(result.history) < max_iter
    logger.debug("full batch: %d iterations, objective %.6g", len(result.history), F_x)
    return result

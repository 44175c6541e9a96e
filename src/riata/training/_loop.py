"""The epoch loop: mini-batches, validation scoring, and keeping the best epoch."""

from __future__ import annotations

import copy
import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from torch import nn

from ._resume import pack_state, unpack_state

__all__ = ["TrainResult", "train_module"]

logger = logging.getLogger("riata")


@dataclass
class TrainResult:
    """What :func:`train_module` did.

    Attributes
    ----------
    history : list of dict
        One record per epoch: ``epoch`` (1-based), ``train_loss`` (mean mini-batch data
        loss), ``objective`` (train_loss + penalty at the epoch's end), and, with
        validation data, ``valid_loss`` and ``valid_score``.
    best_epoch : int
        The epoch whose weights the model holds on return.
    best_score : float
        Its validation score (higher is better), or NaN without validation data.
    stopped_early : bool
    """

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = math.nan
    stopped_early: bool = False


def _batches(n: int, batch_size: int, generator: torch.Generator):
    if batch_size >= n:
        # Full batch: the order is irrelevant, and a slice avoids copying X each epoch.
        yield slice(None)
        return
    order = torch.randperm(n, generator=generator)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def train_module(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    X: torch.Tensor,
    y: torch.Tensor,
    *,
    validation: tuple[torch.Tensor, torch.Tensor] | None = None,
    score_fn: Callable[[np.ndarray, np.ndarray], float] | None = None,
    penalty_value: Callable[[], float] | None = None,
    max_epochs: int = 200,
    batch_size: int = 200,
    n_iter_no_change: int = 10,
    tol: float = 1e-4,
    generator: torch.Generator | None = None,
    verbose: bool = False,
    description: str = "training",
    forward: Callable[[nn.Module, torch.Tensor, object], torch.Tensor] | None = None,
    sample_weight: torch.Tensor | None = None,
    checkpoint=None,
    checkpoint_every: int = 1,
) -> TrainResult:
    """Train ``model`` in place and restore the weights of the best epoch.

    With ``validation`` data the best epoch is the one with the highest
    ``score_fn(outputs, y_valid)`` (``-valid_loss`` when ``score_fn`` is None);
    training stops once ``n_iter_no_change`` epochs in a row fail to beat the best by
    more than ``tol`` (ties on the score are broken by the validation loss), and the
    best epoch's weights are restored. Without validation
    data training stops when the training objective has not improved by ``tol`` for
    ``n_iter_no_change`` epochs, and the last epoch is kept.

    Parameters
    ----------
    model : nn.Module
    optimizer : torch.optim.Optimizer
        Any optimizer; riata's apply their penalty inside ``step()``.
    loss_fn : callable
        ``loss_fn(outputs, targets)`` returning the mean data loss of a batch, or
        ``loss_fn(outputs, targets, weights)`` its weighted mean when
        ``sample_weight`` is given.
    X, y : Tensor
        Training inputs (n_samples, n_features) and targets.
    validation : (Tensor, Tensor) or (Tensor, Tensor, Tensor), optional
        Validation inputs, targets and (with ``sample_weight``) weights.
    score_fn : callable, optional
        ``score_fn(outputs, y_valid) -> float`` on numpy arrays, higher is better.
    penalty_value : callable, optional
        Returns the current penalty, to report the objective.
    max_epochs, batch_size, n_iter_no_change : int
    tol : float
    generator : torch.Generator, optional
        Source of the mini-batch order.
    verbose : bool
        Show a progress bar (tqdm) with the latest losses.
    description : str
        Label of the progress bar.
    forward : callable, optional
        ``forward(model, X_batch, index)`` for the training batches, where ``index``
        (a LongTensor, or ``slice(None)`` for a full batch) says which rows of ``X``
        the batch holds; default ``model(X_batch)``. A kernel encoder uses it to know
        its batch's kernel columns.
    sample_weight : Tensor of shape (n_samples,), optional
        Each row's weight: the objective is the weighted mean of the losses.
    checkpoint : riata.io.PathCheckpoint, optional
        Save the whole training state every ``checkpoint_every`` epochs (the model,
        the optimizer's moments, the batch-order generator and torch's global random
        state, the history and the best epoch's weights), keeping only the latest;
        if the checkpoint already holds one, training resumes after that epoch.
        A run killed and started again with the same arguments ends with the same
        weights, bit for bit, as one that was never stopped. Under torchrun a state
        the ranks share is saved once (and resumes with any number of processes);
        states that differ by rank (an SNP-sharded encoder) are saved per rank and
        resume with as many processes as saved them. Any object with
        ``latest_step()`` and ``save_step(index, item, keep_previous=False)`` works
        (the contract of :class:`riata.io.PathCheckpoint`).
    checkpoint_every : int, default=1
        Epochs between two saves.

    Returns
    -------
    TrainResult

    Warns
    -----
    ConvergenceWarning
        When training ran ``max_epochs`` epochs without meeting its stopping rule.
    """
    n = X.shape[0]
    weights = sample_weight
    total_weight = float(n if weights is None else weights.sum())

    def batch_loss(xb, idx, targets, w=None):
        out = model(xb) if forward is None else forward(model, xb, idx)
        return loss_fn(out, targets) if w is None else loss_fn(out, targets, w)

    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1; got {checkpoint_every}.")
    result = TrainResult()
    best_state = None
    best = best_tiebreak = -math.inf
    stale = 0
    first = 1
    # What a resumed run must share with the saved one (max_epochs may grow).
    settings = {"n_samples": n, "batch_size": batch_size, "n_iter_no_change": n_iter_no_change,
                "tol": tol, "seeded_generator": generator is not None,
                "validation": validation is not None, "weighted": weights is not None}
    found = None if checkpoint is None else checkpoint.latest_step()
    if found is not None:
        first, result, best_state, best, best_tiebreak, stale = _restore(
            found[1], model, optimizer, generator, settings)
    epochs = range(first, max_epochs + 1) if stale < n_iter_no_change else range(0)
    bar = None
    if verbose:
        from tqdm.auto import tqdm

        bar = tqdm(epochs, desc=description, leave=False)
        epochs = bar
    for epoch in epochs:
        model.train()
        total = 0.0
        for idx in _batches(n, batch_size, generator):
            optimizer.zero_grad(set_to_none=True)
            xb = X[idx]
            w = None if weights is None else weights[idx]
            loss = batch_loss(xb, idx, y[idx], w)
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"The training loss became {loss.item()} at epoch {epoch}; lower the "
                    "learning rate (learning_rate_init) or standardize the inputs."
                )
            loss.backward()
            optimizer.step()
            share = (float(w.sum()) if w is not None else
                     n if isinstance(idx, slice) else idx.numel())
            total += loss.item() * share
        record = {"epoch": epoch, "train_loss": total / total_weight}
        record["objective"] = record["train_loss"] + (penalty_value() if penalty_value else 0.0)
        if validation is not None:
            model.eval()
            with torch.no_grad():
                out = model(validation[0])
                record["valid_loss"] = float(loss_fn(out, *validation[1:]))
            if score_fn is None:
                record["valid_score"] = -record["valid_loss"]
            else:
                record["valid_score"] = float(
                    score_fn(out.detach().cpu().numpy(), validation[1].cpu().numpy())
                )
            current = record["valid_score"]
        else:
            current = -record["objective"]
        result.history.append(record)
        # Rank scores (AUROC, AP) saturate on small validation sets: ties on the score
        # are broken by the validation loss, so training goes on while the loss falls.
        tiebreak = -record.get("valid_loss", record["objective"])
        if current > best + tol or (current >= best and tiebreak > best_tiebreak + tol):
            stale = 0
        else:
            stale += 1
        if current > best or (current == best and tiebreak > best_tiebreak):
            best, best_tiebreak = current, tiebreak
            if validation is not None:
                result.best_epoch = epoch
                result.best_score = current
                best_state = copy.deepcopy(model.state_dict())
        if bar is not None:
            bar.set_postfix({k: f"{v:.4g}" for k, v in record.items() if k != "epoch"})
        if stale >= n_iter_no_change:
            result.stopped_early = epoch < max_epochs
        if checkpoint is not None and (epoch % checkpoint_every == 0 or epoch == max_epochs
                                       or stale >= n_iter_no_change):
            checkpoint.save_step(epoch - 1, _saved(epoch, model, optimizer, generator,
                                                   result, best_state, best,
                                                   best_tiebreak, stale, settings),
                                 keep_previous=False)
        if stale >= n_iter_no_change:
            break
    if bar is not None:
        bar.close()
    if stale < n_iter_no_change:
        warnings.warn(
            f"{description}: stopped at max_epochs={max_epochs} while the "
            f"{'validation score' if validation is not None else 'training objective'} "
            "was still improving; raise max_epochs (or the learning rate) for a "
            "converged fit.", ConvergenceWarning, stacklevel=3)
    if validation is None:
        result.best_epoch = result.history[-1]["epoch"]
    elif best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    logger.debug("%s: %d epochs, best epoch %d", description, len(result.history),
                 result.best_epoch)
    return result


def _saved(epoch, model, optimizer, generator, result, best_state, best, best_tiebreak,
           stale, settings) -> dict:
    """The loop's whole state after ``epoch``, as one checkpoint item."""
    return pack_state(epoch, {
        "epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "generator": None if generator is None else generator.get_state(),
        "torch_rng": torch.get_rng_state(), "result": result, "best_state": best_state,
        "best": best, "best_tiebreak": best_tiebreak, "stale": stale,
        "settings": settings})


def _restore(item, model, optimizer, generator, settings):
    """Load what :func:`_saved` saved into the model, optimizer and generators."""
    state = unpack_state(item, settings)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if state["generator"] is not None and generator is not None:
        generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    logger.info("resumed training after epoch %d", state["epoch"])
    return (state["epoch"] + 1, state["result"], state["best_state"], state["best"],
            state["best_tiebreak"], state["stale"])

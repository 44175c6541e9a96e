"""Curves along the alpha path and along training epochs."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from numbers import Integral, Real

import numpy as np
from matplotlib.axes import Axes

from ._common import (
    as_alphas,
    as_float_array,
    as_label_list,
    as_positive_scalar,
    as_sequence,
    check_ax,
    new_axes,
    set_alpha_axis,
)

__all__ = ["plot_regularization_path", "plot_validation_curve", "plot_training_history"]

_DEFAULT_TOP_K = 5


def _chosen_alpha_line(ax: Axes, chosen_alpha) -> float:
    chosen = as_positive_scalar(chosen_alpha, "chosen_alpha")
    ax.axvline(
        chosen,
        color="0.2",
        linestyle="--",
        linewidth=1.0,
        label=f"chosen alpha = {chosen:.3g}",
    )
    return chosen


def _entry_order(group_norms: np.ndarray) -> list[int]:
    """Groups that are ever nonzero, in the order they enter as alpha decreases.

    ``group_norms`` rows are sorted by decreasing alpha. Ties (groups entering at the
    same alpha) go to the larger norm at the smallest alpha.
    """
    nonzero = group_norms > 0
    ever = np.flatnonzero(nonzero.any(axis=0))
    first = nonzero.argmax(axis=0)
    final = group_norms[-1]
    return sorted(ever.tolist(), key=lambda g: (first[g], -final[g], g))


def plot_regularization_path(
    alphas,
    group_norms,
    labels=None,
    *,
    ax: Axes | None = None,
    highlight=None,
    chosen_alpha: float | None = None,
) -> Axes:
    """Draw each group's weight norm along the regularization path.

    One curve per group (an input variable or one-hot block): ``||W_g||_2`` against
    ``alpha`` on a log axis. Alpha **decreases from left to right**, from the
    sparsest model at ``alpha_max`` to the densest: the order in which glmnet and
    riata compute the path with warm starts, and the direction of glmnet's default
    plot (L1 norm growing to the right) and scikit-learn's lasso-path examples.
    (glmnet's ``plot(xvar="lambda")`` draws log lambda increasing instead.)

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        Penalty strengths, finite and > 0, in any order (they are sorted).
    group_norms : array-like or DataFrame of shape (n_alphas, n_groups)
        Norm of each group's weights at each alpha; exactly 0 where the group is out
        of the model. If a DataFrame and ``labels`` is None, its columns are the
        labels.
    labels : sequence of str of length n_groups, default=None
        Group names; if None, ``"group 0"``, ``"group 1"``, ...
    ax : matplotlib Axes, default=None
        Axes to draw on; if None, a new figure is created.
    highlight : int or sequence of str, default=None
        Curves drawn in colour and named in the legend; the others are thin grey.
        An int ``k`` highlights the first ``k`` groups to enter the model as alpha
        decreases (ties: larger norm at the smallest alpha); a sequence names the
        groups. None highlights the first 5 to enter; 0 highlights none.
    chosen_alpha : float, default=None
        If given, a dashed vertical line marks it (e.g. the alpha chosen on the
        validation set).

    Returns
    -------
    ax : matplotlib Axes
        The Axes; its x axis is log-scaled and inverted.

    Raises
    ------
    ValueError
        If the shapes disagree, an alpha is not finite and > 0, a norm is negative or
        NaN, or ``highlight`` names an unknown group.

    See Also
    --------
    plot_validation_curve : the validation score along the same alphas.

    Examples
    --------
    >>> import numpy as np
    >>> from riata.plotting import plot_regularization_path
    >>> alphas = np.geomspace(1.0, 0.01, 5)
    >>> norms = np.array([[0, 0], [0.1, 0], [0.3, 0], [0.5, 0.2], [0.6, 0.4]])
    >>> ax = plot_regularization_path(alphas, norms, ["age", "SYSBP"], chosen_alpha=0.1)
    >>> ax.get_xscale(), bool(ax.xaxis_inverted())
    ('log', True)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['age', 'SYSBP', 'chosen alpha = 0.1']
    """
    check_ax(ax)
    alphas = as_alphas(alphas)
    if labels is None and hasattr(group_norms, "columns"):
        labels = list(group_norms.columns)
    norms = as_float_array(group_norms, "group_norms", ndim=2)
    if norms.shape[0] != alphas.shape[0]:
        raise ValueError(
            f"group_norms has {norms.shape[0]} rows but alphas has {alphas.shape[0]} "
            "values; pass one row of group norms per alpha, shape (n_alphas, n_groups)."
        )
    if np.any(np.isnan(norms)) or np.any(norms < 0):
        raise ValueError("group_norms must be >= 0 and not NaN (they are norms).")
    n_groups = norms.shape[1]
    if labels is None:
        labels = [f"group {g}" for g in range(n_groups)]
    labels = as_label_list(
        labels, n_groups, "labels", f"group_norms has {n_groups} columns (one per group)"
    )

    order = np.argsort(-alphas, kind="stable")
    alphas, norms = alphas[order], norms[order]

    if highlight is None:
        chosen = _entry_order(norms)[:_DEFAULT_TOP_K]
    elif isinstance(highlight, Integral) and not isinstance(highlight, bool):
        if highlight < 0:
            raise ValueError(f"highlight must be >= 0 when an int, got {highlight}.")
        chosen = _entry_order(norms)[: int(highlight)]
    else:
        names = as_sequence(highlight, "highlight")
        unknown = [name for name in names if str(name) not in labels]
        if unknown:
            raise ValueError(f"highlight names groups not in labels: {unknown!r}.")
        chosen = [labels.index(str(name)) for name in names]

    if ax is None:
        ax = new_axes((6.4, 4.2))
    highlighted = set(chosen)
    for g in range(n_groups):
        if g not in highlighted:
            ax.plot(alphas, norms[:, g], color="0.7", linewidth=0.8, zorder=1)
    for rank, g in enumerate(chosen):
        ax.plot(
            alphas, norms[:, g], color=f"C{rank % 10}", linewidth=1.8, label=labels[g],
            zorder=2,
        )
    if chosen_alpha is not None:
        _chosen_alpha_line(ax, chosen_alpha)
    set_alpha_axis(ax)
    ax.set_ylabel("group norm $\\|W_g\\|_2$")
    if chosen or chosen_alpha is not None:
        ax.legend(loc="upper left", fontsize="small")
    return ax


def _mean_and_spread(scores: np.ndarray,
                     band: str = "sd") -> tuple[np.ndarray, np.ndarray | None]:
    """Mean and standard deviation (ddof=1) over runs, ignoring NaN runs; with
    ``band="se"`` the standard error of the mean, SD / sqrt(runs)."""
    if scores.ndim == 1:
        return scores, None
    counts = np.sum(~np.isnan(scores), axis=1)
    with warnings.catch_warnings():
        # An all-NaN row (a failed alpha) stays NaN; numpy's warning adds nothing.
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(scores, axis=1)
        spread = np.nanstd(scores, axis=1, ddof=1)
    spread[counts < 2] = np.nan
    if band == "se":
        spread = spread / np.sqrt(np.maximum(counts, 1))
    return mean, spread


def _as_scores(values, name: str, n_alphas: int) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric array-like: {exc}") from None
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{name} must have shape (n_alphas,) or (n_alphas, n_runs), got {arr.shape}."
        )
    if arr.shape[0] != n_alphas:
        raise ValueError(
            f"{name} has {arr.shape[0]} rows but alphas has {n_alphas} values."
        )
    if np.any(np.isinf(arr)):
        raise ValueError(f"{name} contains inf; use NaN for a missing score.")
    return arr


def plot_validation_curve(
    alphas,
    scores,
    *,
    ax: Axes | None = None,
    metric_name: str = "AUROC",
    chosen_alpha: float | None = None,
    train_scores=None,
    band: str = "sd",
    label: str = "validation",
) -> Axes:
    """Draw a validation score against alpha, to show how alpha was chosen.

    Same x axis as :func:`plot_regularization_path`: log scale, alpha decreasing
    from left to right. With several runs (seeds or folds) per alpha, the mean is
    drawn with a band of plus or minus one standard deviation (``band="sd"``) or one
    standard error of the mean (``band="se"``: the band of glmnet's ``plot.cv.glmnet``
    and of its one-standard-error rule).

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        Penalty strengths, finite and > 0, in any order (they are sorted).
    scores : array-like of shape (n_alphas,) or (n_alphas, n_runs)
        Validation score at each alpha (best epoch), one column per run if 2-d. NaN
        marks a missing score and leaves a gap.
    ax : matplotlib Axes, default=None
        Axes to draw on; if None, a new figure is created.
    metric_name : str, default="AUROC"
        Name of the score, used as y label.
    chosen_alpha : float, default=None
        If given, a dashed vertical line marks it; when it is one of ``alphas`` its
        validation score is marked with a point.
    train_scores : array-like of shape (n_alphas,) or (n_alphas, n_runs), default=None
        Training scores, drawn in grey for comparison (over-fitting shows as a gap).
    band : {"sd", "se"}, default="sd"
        The band around the mean of several runs.
    label : str, default="validation"
        Legend label of the score's curve (e.g. ``"cross-validation"``).

    Returns
    -------
    ax : matplotlib Axes
        The Axes; the score's curve is the line labelled ``label``.

    Raises
    ------
    ValueError
        If shapes disagree, an alpha is not finite and > 0, a score is inf, or
        ``band`` is not "sd" or "se".

    Examples
    --------
    >>> import numpy as np
    >>> from riata.plotting import plot_validation_curve
    >>> alphas = np.geomspace(1.0, 0.001, 4)
    >>> ax = plot_validation_curve(alphas, [0.5, 0.7, 0.8, 0.75], chosen_alpha=0.01)
    >>> ax.get_ylabel()
    'AUROC'
    """
    check_ax(ax)
    if band not in ("sd", "se"):
        raise ValueError(f"band must be 'sd' or 'se'; got {band!r}.")
    alphas = as_alphas(alphas)
    valid = _as_scores(scores, "scores", alphas.shape[0])
    train = None if train_scores is None else _as_scores(
        train_scores, "train_scores", alphas.shape[0]
    )
    order = np.argsort(-alphas, kind="stable")
    alphas = alphas[order]

    if ax is None:
        ax = new_axes((6.4, 4.2))
    valid_mean = None
    for name, values, color in (("training", train, "0.55"), (label, valid, "C0")):
        if values is None:
            continue
        mean, spread = _mean_and_spread(values[order], band)
        ax.plot(alphas, mean, marker="o", markersize=3, color=color, label=name)
        if spread is not None:
            ax.fill_between(alphas, mean - spread, mean + spread, color=color, alpha=0.2)
        valid_mean = mean

    if chosen_alpha is not None:
        chosen = _chosen_alpha_line(ax, chosen_alpha)
        hit = np.flatnonzero(np.isclose(alphas, chosen, rtol=1e-9, atol=0.0))
        if hit.size:
            ax.plot(
                [alphas[hit[0]]], [valid_mean[hit[0]]], marker="*", markersize=12,
                color="C3", linestyle="none", zorder=3,
            )
    set_alpha_axis(ax)
    ax.set_ylabel(str(metric_name))
    ax.legend(loc="best", fontsize="small")
    return ax


def _history_column(history: Sequence[Mapping], key: str) -> np.ndarray:
    values = []
    for i, record in enumerate(history):
        value = record.get(key)
        if value is None:
            values.append(math.nan)
        elif isinstance(value, Real) and not isinstance(value, bool):
            values.append(float(value))
        else:
            try:  # numpy / torch scalars
                values.append(float(value))
            except (TypeError, ValueError):
                raise ValueError(
                    f"history[{i}][{key!r}] is {value!r}, not a number."
                ) from None
    return np.asarray(values)


def plot_training_history(
    history,
    *,
    metrics: Sequence[str] = ("train_loss", "valid_loss", "valid_score"),
    best_epoch: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw losses and scores per epoch, with the kept (best) epoch marked.

    Metrics whose name contains ``"loss"`` are drawn on ``ax`` (left y axis); the
    others (scores such as AUROC, on a different scale) on a twin Axes with a right
    y axis, created only when both kinds are present. One legend lists all curves.

    Parameters
    ----------
    history : sequence of mappings
        One record per epoch, e.g. ``{"epoch": 3, "train_loss": 0.61, "valid_loss":
        0.64, "valid_score": 0.71}``. If every record has an ``"epoch"`` key it is
        the x value; otherwise epochs are numbered 1, 2, ... A metric missing from a
        record (or None) leaves a gap.
    metrics : sequence of str, default=("train_loss", "valid_loss", "valid_score")
        Keys to draw. A key absent from every record raises; it is not silently
        skipped.
    best_epoch : int, default=None
        If given, must be one of the epochs; marked with a dotted vertical line.
    ax : matplotlib Axes, default=None
        Axes to draw on; if None, a new figure is created.

    Returns
    -------
    ax : matplotlib Axes
        The left (loss) Axes. A score twin Axes, if any, is in ``ax.figure.axes``.

    Raises
    ------
    ValueError
        If ``history`` is empty or not a sequence of mappings, a metric is absent
        from every record or not numeric, or ``best_epoch`` is not an epoch.

    Examples
    --------
    >>> from riata.plotting import plot_training_history
    >>> history = [
    ...     {"epoch": e, "train_loss": 1 / e, "valid_loss": 1 / e + e / 50,
    ...      "valid_score": 0.5 + e / 20}
    ...     for e in range(1, 6)
    ... ]
    >>> ax = plot_training_history(history, best_epoch=4)
    >>> len(ax.figure.axes)
    2
    """
    check_ax(ax)
    history = as_sequence(history, "history")
    if len(history) == 0:
        raise ValueError("history is empty; pass one record (mapping) per epoch.")
    for i, record in enumerate(history):
        if not isinstance(record, Mapping):
            raise ValueError(
                f"history[{i}] is a {type(record).__name__}, not a mapping of "
                "metric name to value."
            )
    metrics = [str(m) for m in as_sequence(metrics, "metrics")]
    if not metrics:
        raise ValueError("metrics is empty; name at least one key to draw.")
    available = sorted({key for record in history for key in record})
    missing = [m for m in metrics if not any(m in record for record in history)]
    if missing:
        raise ValueError(
            f"metrics {missing!r} are in no history record; available keys: "
            f"{available!r}."
        )

    if all("epoch" in record for record in history):
        epochs = _history_column(history, "epoch")
    else:
        epochs = np.arange(1, len(history) + 1, dtype=float)

    if ax is None:
        ax = new_axes((6.4, 4.2))
    losses = [m for m in metrics if "loss" in m]
    scores = [m for m in metrics if "loss" not in m]
    score_ax = ax.twinx() if losses and scores else ax

    handles = []
    for index, metric in enumerate(metrics):
        target = ax if metric in losses else score_ax
        values = _history_column(history, metric)
        # Markers keep isolated points (a score computed every k epochs) visible.
        (line,) = target.plot(
            epochs, values, color=f"C{index % 10}", marker="o", markersize=2.5,
            label=metric,
        )
        handles.append(line)

    if best_epoch is not None:
        if isinstance(best_epoch, bool) or not isinstance(best_epoch, Real):
            raise ValueError(f"best_epoch must be a number, got {best_epoch!r}.")
        if not np.any(epochs == float(best_epoch)):
            raise ValueError(
                f"best_epoch={best_epoch!r} is not one of the epochs in history "
                f"({epochs.min():g} to {epochs.max():g})."
            )
        handles.append(
            ax.axvline(
                best_epoch, color="0.2", linestyle=":", linewidth=1.2,
                label=f"best epoch = {best_epoch}",
            )
        )

    ax.set_xlabel("epoch")
    if losses:
        ax.set_ylabel("loss")
    if scores:
        score_ax.set_ylabel(scores[0] if len(scores) == 1 else "score")
    score_ax.legend(handles=handles, loc="best", fontsize="small")
    return ax

"""Helpers shared by the plotting functions: figure creation, input checks, alpha axes.

Figures are built as :class:`matplotlib.figure.Figure` objects with an Agg canvas
attached, never through :mod:`matplotlib.pyplot`: nothing touches pyplot's global
figure registry or the session's backend, so the functions are safe in scripts, the
CLI, worker processes and threads, and a loop that draws thousands of figures leaks
none of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__: list[str] = []


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A fresh constrained-layout figure on its own Agg canvas (no pyplot state)."""
    fig = Figure(figsize=figsize, layout="constrained")
    # Attaching the canvas makes ``fig.canvas.draw()`` and ``buffer_rgba()`` work on
    # any machine, whatever backend the session selected.
    FigureCanvasAgg(fig)
    return fig


def new_axes(figsize: tuple[float, float]) -> Axes:
    """One Axes on a fresh figure (see :func:`new_figure`)."""
    return new_figure(figsize).add_subplot()


def check_ax(ax, name: str = "ax") -> None:
    """Raise a clear error when ``ax`` is neither None nor a matplotlib Axes."""
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(
            f"{name} must be a matplotlib Axes or None, got {type(ax).__name__}."
        )


def clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def as_label_list(labels, n: int, name: str, context: str) -> list[str]:
    """Validate a sequence of ``n`` labels and return them as strings.

    ``context`` completes the error message, e.g. ``"weights has 5 rows"``.
    """
    if labels is None or isinstance(labels, (str, bytes)):
        raise ValueError(
            f"{name} must be a sequence of labels, one each ({context}); "
            f"got {labels!r}."
        )
    try:
        out = [str(label) for label in labels]
    except TypeError:
        raise ValueError(
            f"{name} must be a sequence of labels, got {type(labels).__name__}."
        ) from None
    if len(out) != n:
        raise ValueError(
            f"{name} has {len(out)} labels, but {context}; pass exactly one label each."
        )
    return out


def as_float_array(values, name: str, ndim: int) -> np.ndarray:
    """Convert to a float64 array of the given number of dimensions, or raise."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric array-like: {exc}") from None
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-dimensional, got an array of shape {arr.shape}."
        )
    return arr


def as_alphas(alphas, name: str = "alphas") -> np.ndarray:
    """A non-empty 1-d array of finite, strictly positive penalty strengths."""
    arr = as_float_array(alphas, name, ndim=1)
    if arr.size == 0:
        raise ValueError(f"{name} is empty; pass at least one alpha.")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        bad = arr[~(np.isfinite(arr) & (arr > 0))]
        raise ValueError(
            f"{name} must be finite and > 0 to be drawn on a log axis; got "
            f"{bad.size} other values, e.g. {float(bad[0])!r}."
        )
    return arr


def as_positive_scalar(value, name: str) -> float:
    """A finite, strictly positive real number, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a positive real number, got {value!r}.")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value!r}.")
    return value


def set_alpha_axis(ax: Axes) -> None:
    """Log-scale x axis with alpha *decreasing* from left to right.

    The path runs from the sparsest model (alpha_max, left) to the densest (right),
    the order in which glmnet and riata compute it with warm starts, and the
    direction of glmnet's default ``plot`` (L1 norm growing to the right) and of
    scikit-learn's lasso-path examples. (glmnet's ``plot(xvar="lambda")`` draws
    log lambda increasing instead.)
    """
    ax.set_xscale("log")
    # Inverting the axis, rather than fixing reversed limits, keeps autoscaling on.
    ax.xaxis.set_inverted(True)
    ax.set_xlabel("alpha (log scale, decreasing \u2192)")


def as_sequence(value, name: str) -> Sequence:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a sequence, got {type(value).__name__}.")
    return value

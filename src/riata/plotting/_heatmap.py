"""Heat maps of a first-layer weight matrix in which exact zeros stand out."""

from __future__ import annotations

import math
import string
from collections.abc import Mapping

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ._common import (
    as_float_array,
    as_label_list,
    as_positive_scalar,
    check_ax,
    clamp,
    new_axes,
    new_figure,
)

__all__ = ["plot_weight_heatmap", "plot_heatmap_panels"]

# Above this many rows only every k-th row is labelled, so that labels never overlap
# into an unreadable block (a 500k-SNP encoder has far more rows than pixels).
_MAX_ROW_LABELS = 120
# Above this many hidden units the x axis gets a few integer ticks instead of all.
_MAX_COLUMN_TICKS = 32
_ZERO_LABEL = "exactly zero"


# -- validation ---------------------------------------------------------------------
def _check_weights(weights, row_labels, name: str = "weights"):
    """Return ``weights`` as a finite float64 (n_inputs, n_hidden) array and the labels."""
    w = as_float_array(weights, name, ndim=2)
    if w.size == 0:
        raise ValueError(f"{name} is empty (shape {w.shape}); nothing to draw.")
    if not np.all(np.isfinite(w)):
        # NaN would be drawn in the "bad" colour reserved for exact zeros.
        raise ValueError(
            f"{name} contains {int(np.sum(~np.isfinite(w)))} non-finite values; a "
            "heat map of NaN or inf weights would be ambiguous."
        )
    n_inputs, n_hidden = w.shape
    context = f"{name} has {n_inputs} rows (one per input variable)"
    if (
        row_labels is not None
        and not isinstance(row_labels, (str, bytes))
        and hasattr(row_labels, "__len__")
        and len(row_labels) == n_hidden != n_inputs
    ):
        context += (
            f"; {name} has {n_hidden} columns, as many as there are labels, so it looks "
            "transposed: torch's nn.Linear.weight is (out_features, in_features), "
            "pass weight.T"
        )
    labels = as_label_list(row_labels, n_inputs, "row_labels", context)
    return w, labels


def _zero_aware_cmap(cmap, zero_color) -> tuple[Colormap, tuple]:
    """The colormap with its "bad" (masked) colour set to ``zero_color``."""
    try:
        base = matplotlib.colormaps.get_cmap(cmap)
    except (TypeError, ValueError, KeyError):
        raise ValueError(
            f"cmap must be a matplotlib colormap or a registered colormap name, got "
            f"{cmap!r}."
        ) from None
    try:
        zero_rgba = to_rgba(zero_color)
    except (TypeError, ValueError):
        raise ValueError(f"zero_color {zero_color!r} is not a matplotlib color.") from None
    return base.with_extremes(bad=zero_rgba), zero_rgba


def _resolve_vmax(vmax, matrices) -> float:
    if vmax is not None:
        return as_positive_scalar(vmax, "vmax")
    largest = max(float(np.max(np.abs(w))) for w in matrices)
    # An all-zero matrix still needs a non-degenerate colour range.
    return largest if largest > 0 else 1.0


def _row_label_fontsize(n_rows: int) -> float:
    if n_rows <= 30:
        return 9.0
    if n_rows <= 60:
        return 7.0
    return 6.0


def _zero_patch(zero_rgba) -> Patch:
    return Patch(facecolor=zero_rgba, edgecolor="0.5", linewidth=0.5, label=_ZERO_LABEL)


# -- drawing ------------------------------------------------------------------------
def _draw_heatmap(
    ax: Axes,
    w: np.ndarray,
    labels: list[str],
    *,
    cmap: Colormap,
    vmax: float,
    show_row_labels: bool = True,
) -> AxesImage:
    n_inputs, n_hidden = w.shape
    # Exact zeros are masked, so the colormap's "bad" colour draws them: a weight of
    # 1e-12 still maps to the (near-white) centre of the diverging map.
    image = np.ma.masked_where(w == 0.0, w)
    # "nearest" keeps every cell a solid block: no blending of a zero cell into its
    # neighbours when the image is resampled to the screen.
    im = ax.imshow(
        image,
        cmap=cmap,
        vmin=-vmax,
        vmax=vmax,
        aspect="auto",
        interpolation="nearest",
    )

    step = max(1, math.ceil(n_inputs / _MAX_ROW_LABELS))
    rows = np.arange(0, n_inputs, step)
    if show_row_labels:
        ax.set_yticks(
            rows, labels=[labels[i] for i in rows], fontsize=_row_label_fontsize(n_inputs)
        )
        ax.set_ylabel("input variable")
    else:
        ax.set_yticks(rows)
        ax.tick_params(axis="y", labelleft=False)

    # Columns are read like a matrix, indices on top, which also leaves the space
    # below the map free for the "exactly zero" legend.
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    if n_hidden <= _MAX_COLUMN_TICKS:
        ax.set_xticks(np.arange(n_hidden))
        ax.tick_params(axis="x", labelsize=8 if n_hidden > 12 else 9)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("hidden unit")
    return im


def plot_weight_heatmap(
    weights,
    row_labels,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    zero_color="black",
    cmap="RdBu_r",
    vmax: float | None = None,
    colorbar: bool = True,
    zero_legend: bool = True,
) -> Axes:
    """Draw a first-layer weight matrix as a heat map, exact zeros in their own colour.

    Each row is one input variable and each column one hidden unit. Nonzero weights
    use a diverging colormap on a symmetric scale ``[-vmax, vmax]``, so small weights
    are near white; weights exactly equal to ``0.0`` are masked and drawn in
    ``zero_color`` (black), which no nonzero weight can take. A variable removed by a
    group lasso is therefore a solid black row.

    Parameters
    ----------
    weights : array-like of shape (n_inputs, n_hidden)
        The weight matrix in the ``x @ W`` picture: **one row per input variable**,
        one column per hidden unit. This is the *transpose* of torch's
        ``nn.Linear.weight``, which is stored as ``(out_features, in_features)``;
        pass ``layer.weight.detach().cpu().numpy().T``. Must be finite.
    row_labels : sequence of str of length n_inputs
        Name of each input variable, in row order, e.g. ``genetic_0 ... genetic_19``
        then one-hot clinical names such as ``SEX_1.0``.
    ax : matplotlib Axes, default=None
        Axes to draw on. If None, a new figure (on an Agg canvas, outside pyplot)
        sized to the matrix is created.
    title : str, default=None
        Axes title.
    zero_color : matplotlib color, default="black"
        Colour of the cells that are exactly zero.
    cmap : str or matplotlib Colormap, default="RdBu_r"
        Colormap of the nonzero weights; a diverging map centred on white keeps small
        weights visibly different from ``zero_color``.
    vmax : float, default=None
        Half-width of the symmetric colour range. If None, ``max |weights|`` (or 1.0
        when every weight is zero). Weights beyond it are clipped to the end colours.
    colorbar : bool, default=True
        Whether to add a colour bar labelled ``"weight"`` beside the Axes.
    zero_legend : bool, default=True
        Whether to add a legend swatch ``"exactly zero"`` below the map.

    Returns
    -------
    ax : matplotlib Axes
        The Axes holding the heat map; ``ax.images[0].get_array()`` is the masked
        array drawn, with the exact zeros masked.

    Raises
    ------
    ValueError
        If ``weights`` is not 2-d, empty or non-finite, if ``row_labels`` does not
        have one label per row, or if ``cmap``, ``zero_color`` or ``vmax`` is invalid.

    See Also
    --------
    plot_heatmap_panels : several heat maps (e.g. one per regularizer) in one figure.

    Notes
    -----
    Exactness matters: a weight of ``1e-12`` is drawn white, not black. Models trained
    with the proximal update have exact zeros; with a penalty in the loss (autograd)
    weights only hover near zero and the map shows no black. Above 120 rows only every
    k-th row is labelled.

    Examples
    --------
    >>> import numpy as np
    >>> from riata.plotting import plot_weight_heatmap
    >>> w = np.array([[0.5, -0.2], [0.0, 0.0], [1e-6, 0.0]])
    >>> ax = plot_weight_heatmap(w, ["age", "SEX_1.0", "DIAB_1.0"], title="L1")
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['age', 'SEX_1.0', 'DIAB_1.0']
    >>> ax.images[0].get_array().mask.tolist()
    [[False, False], [True, True], [False, True]]
    """
    check_ax(ax)
    w, labels = _check_weights(weights, row_labels)
    cm, zero_rgba = _zero_aware_cmap(cmap, zero_color)
    vmax = _resolve_vmax(vmax, [w])

    if ax is None:
        n_inputs, n_hidden = w.shape
        width = clamp(0.3 * n_hidden + 0.07 * max(map(len, labels)) + 2.2, 3.5, 14.0)
        height = clamp(0.16 * n_inputs + 1.6, 2.8, 18.0)
        ax = new_axes((width, height))

    im = _draw_heatmap(ax, w, labels, cmap=cm, vmax=vmax)
    if title is not None:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="weight", pad=0.02)
    if zero_legend:
        ax.legend(
            handles=[_zero_patch(zero_rgba)],
            loc="upper right",
            bbox_to_anchor=(1.0, -0.01),
            frameon=False,
            fontsize="small",
            handlelength=1.0,
            handleheight=1.0,
            borderaxespad=0.0,
        )
    return ax


def _panel_letter(index: int) -> str:
    """A, B, ..., Z, AA, AB, ... for the 0-based panel index."""
    letters = string.ascii_uppercase
    out = ""
    index += 1
    while index > 0:
        index, rem = divmod(index - 1, 26)
        out = letters[rem] + out
    return out


def plot_heatmap_panels(
    panels: Mapping,
    row_labels,
    *,
    ncols: int = 3,
    suptitle: str | None = None,
    shared_scale: bool = False,
    zero_color="black",
    cmap="RdBu_r",
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Draw several weight matrices side by side, one lettered heat map per panel.

    Laid out like the case study's figure: panels A-F for no penalty, L1, L2, elastic
    net and group lasso with two seeds, each a :func:`plot_weight_heatmap` of the
    first-layer weights with exact zeros in ``zero_color``.

    Parameters
    ----------
    panels : mapping of str to array-like of shape (n_inputs, n_hidden)
        Ordered mapping ``panel title -> weight matrix``; panels are lettered A, B,
        C, ... in iteration order. Every matrix has one row per input variable (the
        transpose of ``nn.Linear.weight``) and the same ``n_inputs`` rows;
        ``n_hidden`` may differ between panels.
    row_labels : sequence of str of length n_inputs
        Names of the input variables, shared by all panels.
    ncols : int, default=3
        Number of panel columns; the number of rows follows.
    suptitle : str, default=None
        Title of the whole figure.
    shared_scale : bool, default=False
        If True, all panels share one symmetric colour range (the largest ``|w|``
        over all panels) and one colour bar, so magnitudes compare across panels. If
        False, each panel is scaled to its own ``max |w|`` with its own colour bar,
        which keeps the pattern of a heavily shrunk model (L2) visible.
    zero_color : matplotlib color, default="black"
        Colour of the cells that are exactly zero.
    cmap : str or matplotlib Colormap, default="RdBu_r"
        Diverging colormap of the nonzero weights.
    figsize : (float, float), default=None
        Figure size in inches; if None, sized from the matrices and the grid.

    Returns
    -------
    fig : matplotlib Figure
        The figure (on an Agg canvas, outside pyplot). Its heat-map Axes carry the
        panel title as centre title and the letter as left title
        (``ax.get_title(loc="left")``); colour bars are further Axes.

    Raises
    ------
    ValueError
        If ``panels`` is empty or not a mapping, a matrix is not 2-d or has a number
        of rows other than ``len(row_labels)`` (the message names the panel), or
        ``ncols`` is not a positive integer.

    See Also
    --------
    plot_weight_heatmap : one heat map on a given Axes.

    Notes
    -----
    All panels share their row labels, so only the left-most column of panels shows
    them; the other panels keep the row ticks, aligned, without text.

    Examples
    --------
    >>> import numpy as np
    >>> from riata.plotting import plot_heatmap_panels
    >>> rng = np.random.default_rng(0)
    >>> panels = {"none": rng.normal(size=(4, 3)), "group lasso": np.zeros((4, 3))}
    >>> fig = plot_heatmap_panels(panels, ["a", "b", "c", "d"], ncols=2)
    >>> [ax.get_title(loc="left") for ax in fig.axes if ax.images]
    ['A', 'B']
    """
    if not isinstance(panels, Mapping) or len(panels) == 0:
        raise ValueError(
            "panels must be a non-empty mapping of panel title -> weight matrix, got "
            f"{panels!r:.80}."
        )
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}.")

    checked = []
    labels: list[str] = []
    for title, weights in panels.items():
        w, labels = _check_weights(weights, row_labels, name=f"panels[{title!r}]")
        checked.append((str(title), w))
    cm, zero_rgba = _zero_aware_cmap(cmap, zero_color)
    shared_vmax = _resolve_vmax(None, [w for _, w in checked]) if shared_scale else None

    n_panels = len(checked)
    ncols = min(int(ncols), n_panels)
    nrows = math.ceil(n_panels / ncols)
    if figsize is None:
        n_inputs = checked[0][1].shape[0]
        n_hidden = max(w.shape[1] for _, w in checked)
        panel_width = clamp(0.25 * n_hidden + (0.3 if shared_scale else 1.0), 2.2, 6.0)
        label_room = 0.07 * max(map(len, labels)) + 0.6
        width = label_room + ncols * panel_width + (0.8 if shared_scale else 0.0)
        height = nrows * clamp(0.16 * n_inputs + 1.1, 2.4, 14.0) + 0.5
        figsize = (width, height + (0.4 if suptitle else 0.0))
    fig = new_figure(figsize)
    grid = fig.subplots(nrows, ncols, squeeze=False)

    used, image = [], None
    for index, (title, w) in enumerate(checked):
        row, col = divmod(index, ncols)
        ax = grid[row][col]
        vmax = shared_vmax if shared_scale else _resolve_vmax(None, [w])
        image = _draw_heatmap(ax, w, labels, cmap=cm, vmax=vmax, show_row_labels=col == 0)
        ax.set_title(title)
        ax.set_title(_panel_letter(index), loc="left", fontweight="bold")
        if not shared_scale:
            fig.colorbar(image, ax=ax, label="weight", pad=0.02)
        used.append(ax)
    for ax in grid.flat[n_panels:]:
        ax.remove()

    if shared_scale:
        fig.colorbar(image, ax=used, label="weight", shrink=0.8, pad=0.02)
    fig.legend(
        handles=[_zero_patch(zero_rgba)],
        loc="outside lower right",
        frameon=False,
        fontsize="small",
        handlelength=1.0,
        handleheight=1.0,
    )
    if suptitle is not None:
        fig.suptitle(suptitle)
    return fig

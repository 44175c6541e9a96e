"""How often each variable is selected across seeds or resamples."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from ._common import check_ax, clamp, new_axes

__all__ = ["plot_selection_stability"]

_TRUE_COLOR = "C1"
_OTHER_COLOR = "C0"


def _selection_matrix(selection) -> np.ndarray:
    if not isinstance(selection, pd.DataFrame):
        raise ValueError(
            "selection must be a pandas DataFrame (rows = variables, columns = runs), "
            f"got {type(selection).__name__}."
        )
    if selection.shape[0] == 0 or selection.shape[1] == 0:
        raise ValueError(
            f"selection is empty (shape {selection.shape}); it needs at least one "
            "variable (row) and one run (column)."
        )
    if selection.index.has_duplicates:
        dupes = selection.index[selection.index.duplicated()].unique().tolist()
        raise ValueError(f"selection has duplicate variable names: {dupes!r}.")
    if selection.isna().to_numpy().any():
        raise ValueError("selection contains missing values; use False for not selected.")
    values = selection.to_numpy()
    if values.dtype == bool:
        return values
    try:
        numeric = values.astype(float)
    except (TypeError, ValueError):
        numeric = None
    if numeric is None or not np.all((numeric == 0) | (numeric == 1)):
        raise ValueError(
            "selection must hold booleans (or 0/1): True where the run selected the "
            "variable."
        )
    return numeric.astype(bool)


def plot_selection_stability(
    selection,
    *,
    ax: Axes | None = None,
    truth=None,
    sort: bool = True,
) -> Axes:
    """Draw how often each variable is selected across runs, as horizontal bars.

    The bar of a variable is its selection frequency: the fraction of runs (seeds,
    resamples) in which its first-layer weights were not all exactly zero. Each bar
    is annotated ``k/n``. Two seeds that find different solutions show up as bars
    strictly between 0 and 1.

    Parameters
    ----------
    selection : pandas DataFrame of shape (n_variables, n_runs)
        Boolean (or 0/1) table, one row per variable (the index holds the names) and
        one column per run; True where the run selected the variable.
    ax : matplotlib Axes, default=None
        Axes to draw on; if None, a new figure sized to the variables is created.
    truth : set of str, default=None
        Names of the variables that truly carry signal (known for simulated data).
        Their bars are drawn in another colour, with a legend.
    sort : bool, default=True
        If True, the most frequently selected variables are on top (ties keep the
        table's order); if False, rows keep the table's order, top to bottom.

    Returns
    -------
    ax : matplotlib Axes
        The Axes; the bars are ``ax.containers[0]``, in the order of the y tick
        labels.

    Raises
    ------
    ValueError
        If ``selection`` is not a non-empty DataFrame of booleans with unique row
        names, or ``truth`` names a variable that is not a row of ``selection``.

    Examples
    --------
    >>> import pandas as pd
    >>> from riata.plotting import plot_selection_stability
    >>> selection = pd.DataFrame(
    ...     {"seed 0": [True, True, False], "seed 1": [True, False, False]},
    ...     index=["SYSBP", "AGE", "genetic_3"],
    ... )
    >>> ax = plot_selection_stability(selection, truth={"SYSBP"})
    >>> [float(bar.get_width()) for bar in ax.containers[0]]
    [1.0, 0.5, 0.0]
    """
    check_ax(ax)
    values = _selection_matrix(selection)
    names = [str(name) for name in selection.index]
    n_runs = values.shape[1]
    counts = values.sum(axis=1)
    frequency = counts / n_runs

    true_names: set[str] = set()
    if truth is not None:
        if isinstance(truth, (str, bytes)):
            raise ValueError(f"truth must be a set of variable names, got {truth!r}.")
        true_names = {str(name) for name in truth}
        unknown = sorted(true_names.difference(names))
        if unknown:
            raise ValueError(
                f"truth names variables that are not rows of selection: {unknown!r}."
            )

    order = np.argsort(-frequency, kind="stable") if sort else np.arange(len(names))
    if ax is None:
        height = clamp(0.22 * len(names) + 1.2, 2.5, 18.0)
        ax = new_axes((6.0, height))

    positions = np.arange(len(order))
    colors = [
        _TRUE_COLOR if names[i] in true_names else _OTHER_COLOR for i in order
    ]
    bars = ax.barh(positions, frequency[order], color=colors, height=0.7)
    ax.bar_label(
        bars, labels=[f"{counts[i]}/{n_runs}" for i in order], padding=2, fontsize="x-small"
    )
    ax.set_yticks(positions, labels=[names[i] for i in order])
    if len(order) > 30:
        ax.tick_params(axis="y", labelsize=7)
    # First row on top, as in a table.
    ax.invert_yaxis()
    # Room on the right for the k/n annotation of a bar at 1.0.
    ax.set_xlim(0.0, 1.12)
    ax.set_xticks(np.linspace(0.0, 1.0, 5))
    ax.set_xlabel(f"selection frequency (fraction of {n_runs} runs)")
    if truth is not None:
        ax.legend(
            handles=[
                Patch(color=_TRUE_COLOR, label="true variable"),
                Patch(color=_OTHER_COLOR, label="other variable"),
            ],
            # Sorted, the shortest bars are at the bottom: the lower right is free.
            loc="lower right" if sort else "best",
            fontsize="small",
        )
    return ax

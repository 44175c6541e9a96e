"""Writing figures to disk atomically."""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.figure import Figure

from .._files import atomic_write
from ._common import as_positive_scalar

__all__ = ["save_figure"]


def save_figure(fig: Figure, path, dpi: float = 150) -> Path:
    """Write a figure to ``path`` atomically, in the format its extension names.

    The figure is rendered into a hidden temporary file in the destination's
    directory, flushed to disk, then moved over ``path`` with :func:`os.replace`, an
    atomic rename on POSIX and Windows. Readers see either the old file or the whole
    new one; a run interrupted or failing mid-render leaves no half-written file and
    no temporary file behind.

    Parameters
    ----------
    fig : matplotlib Figure
        The figure to save (for an Axes returned by a plotting function, pass
        ``ax.figure``).
    path : str or path-like
        Destination. Its extension chooses the format: ``.png`` (raster, the usual
        choice), or any other format matplotlib writes (``.pdf``, ``.svg``, ...).
        Missing parent directories are created.
    dpi : float, default=150
        Resolution in dots per inch (raster formats).

    Returns
    -------
    path : pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If ``fig`` is not a matplotlib Figure.
    ValueError
        If ``path`` has no extension or one matplotlib cannot write, or ``dpi`` is not
        a positive number.

    Notes
    -----
    The temporary file is created with mode ``0o666`` filtered by the umask, so the
    saved file gets the same permissions as a plain ``savefig`` would give it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from riata.plotting import plot_weight_heatmap, save_figure
    >>> ax = plot_weight_heatmap(np.eye(3), ["a", "b", "c"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = save_figure(ax.figure, pathlib.Path(tmp) / "weights.png")
    ...     out.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    if isinstance(fig, Axes):
        raise TypeError("fig must be a matplotlib Figure; for an Axes pass ax.figure.")
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}.")
    dpi = as_positive_scalar(dpi, "dpi")
    path = Path(os.fspath(path))
    fmt = path.suffix[1:].lower()
    supported = FigureCanvasBase.get_supported_filetypes()
    if not fmt:
        raise ValueError(
            f"path {str(path)!r} has no extension; the extension chooses the format "
            "(e.g. '.png')."
        )
    if fmt not in supported:
        raise ValueError(
            f"path {str(path)!r}: matplotlib cannot write {fmt!r} files; use one of "
            f"{sorted(supported)}."
        )

    return atomic_write(path, lambda handle: fig.savefig(handle, format=fmt, dpi=dpi))

"""Where along the genome a model's selected SNPs lie: a Manhattan-style plot."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from ._common import as_float_array, check_ax, new_axes

__all__ = ["plot_snp_weights"]


def _chromosome_order(chromosome: np.ndarray) -> list[str]:
    """Chromosomes in genome order: numbers first (1, 2, ..., 22), then X, Y, MT ..."""
    names = list(dict.fromkeys(str(c) for c in chromosome))
    return sorted(names, key=lambda c: (0, int(c), "") if c.isdigit() else (1, 0, c))


def plot_snp_weights(chromosome, position, norms, *, causal=None, ax: Axes | None = None,
                     title: str | None = None) -> Axes:
    """Draw each SNP's weight norm at its genomic position, chromosome by chromosome.

    A Manhattan-style plot whose height is a model's weight on the SNP (the norm of its
    first-layer weights, 0 for a SNP the model does not use) instead of a -log10 p
    value. Chromosomes are laid side by side in genome order, each on the span of
    its positions, in alternating colours; zero-weight SNPs are drawn faintly on the
    axis, so the plot shows where the selected SNPs lie among all of them.

    Parameters
    ----------
    chromosome : array-like of str, shape (n_snps,)
    position : array-like of int, shape (n_snps,)
        Base-pair positions.
    norms : array-like of float, shape (n_snps,)
        Weight norm of each SNP (>= 0).
    causal : array-like of bool, shape (n_snps,), default=None
        SNPs to mark (e.g. the simulated causal SNPs): a red triangle on the axis.
    ax : matplotlib Axes, default=None
    title : str, default=None

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ValueError
        If the lengths differ or a norm is negative or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from riata.plotting import plot_snp_weights
    >>> ax = plot_snp_weights(["1", "1", "2"], [100, 5000, 300], [0.0, 0.4, 0.1],
    ...                       causal=[False, True, False])
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['1', '2']
    """
    check_ax(ax)
    chromosome = np.asarray(chromosome).astype(str)
    position = as_float_array(position, "position", 1)
    norms = as_float_array(norms, "norms", 1)
    if not chromosome.shape == position.shape == norms.shape:
        raise ValueError(f"chromosome, position and norms must have the same length; "
                         f"got {chromosome.size}, {position.size} and {norms.size}.")
    if np.any(norms < 0) or not np.all(np.isfinite(norms)):
        raise ValueError("norms must be finite and >= 0.")
    marks = (np.zeros(norms.size, dtype=bool) if causal is None
             else np.asarray(causal, dtype=bool))
    if marks.shape != norms.shape:
        raise ValueError(f"causal must have one entry per SNP ({norms.size}); got "
                         f"{marks.size}.")
    if ax is None:
        ax = new_axes((10, 3.2))
    x = np.zeros(norms.size)
    ticks, labels, offset = [], [], 0.0
    for k, name in enumerate(_chromosome_order(chromosome)):
        here = chromosome == name
        lo, hi = position[here].min(), position[here].max()
        span = max(hi - lo, 1.0)
        x[here] = offset + (position[here] - lo) / span
        ticks.append(offset + 0.5)
        labels.append(name)
        colour = "#4c78a8" if k % 2 == 0 else "#9ecae9"
        zero = here & (norms == 0)
        ax.scatter(x[zero], norms[zero], s=2, color="#dddddd", linewidths=0)
        ax.scatter(x[here & (norms > 0)], norms[here & (norms > 0)], s=14, color=colour)
        offset += 1.1
    if marks.any():
        ax.scatter(x[marks], np.zeros(marks.sum()), marker="^", s=40, color="#d62728",
                   label="causal SNP", zorder=3)
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xticks(ticks, labels)
    ax.set_xlabel("chromosome")
    ax.set_ylabel("weight norm")
    ax.set_ylim(bottom=-0.05 * max(float(norms.max()), 1e-12))
    if title:
        ax.set_title(title)
    return ax

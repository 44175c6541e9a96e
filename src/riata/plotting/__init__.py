"""Plots of sparse networks: weight heat maps, alpha paths, training, stability.

Every function takes plain numpy / pandas inputs (never a riata estimator) and an
optional ``ax``; with ``ax=None`` it draws on a new :class:`matplotlib.figure.Figure`
with an Agg canvas, created without :mod:`matplotlib.pyplot`, so nothing depends on
the session's backend or leaks into pyplot's figure registry. The functions return
the Axes (the Figure for multi-panel plots); in a notebook, display ``ax.figure``,
or pass an Axes from ``plt.subplots()`` to draw into a pyplot-managed figure. Save
with :func:`save_figure`, which writes atomically.

Weight matrices are in the ``x @ W`` picture: one row per input variable, one column
per hidden unit, the transpose of torch's ``nn.Linear.weight``.
"""

from ._curves import plot_test_curves
from ._heatmap import plot_heatmap_panels, plot_weight_heatmap
from ._io import save_figure
from ._manhattan import plot_snp_weights
from ._paths import plot_regularization_path, plot_training_history, plot_validation_curve
from ._stability import plot_selection_stability

__all__ = [
    "plot_weight_heatmap",
    "plot_heatmap_panels",
    "plot_regularization_path",
    "plot_validation_curve",
    "plot_training_history",
    "plot_selection_stability",
    "plot_snp_weights",
    "plot_test_curves",
    "save_figure",
]

"""How well several models' test scores rank and are calibrated: ROC, PR, reliability.

Thin wrappers around scikit-learn's displays (``RocCurveDisplay``,
``PrecisionRecallDisplay``, ``CalibrationDisplay``), drawn on riata's own Agg figures
so that nothing touches pyplot.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from ._common import new_figure

__all__ = ["plot_test_curves"]


def plot_test_curves(positive, scores: Mapping, *, n_bins: int = 10,
                     title: str | None = None) -> Figure:
    """ROC, precision-recall and calibration curves of several models, side by side.

    Parameters
    ----------
    positive : array-like of bool, shape (n_samples,)
        Whether each (test) sample is of the positive class.
    scores : mapping of str to array-like of shape (n_samples,)
        Each model's predicted probability of the positive class; the keys label the
        curves.
    n_bins : int, default=10
        Bins of the calibration (reliability) curve, of equal width.
    title : str, default=None

    Returns
    -------
    matplotlib Figure
        Three Axes: ROC (with the chance diagonal), precision-recall (with the
        prevalence as the chance level), calibration (with the diagonal of perfect
        calibration).

    Raises
    ------
    ValueError
        If ``positive`` does not hold both classes, or a score's length differs.

    Examples
    --------
    >>> import numpy as np
    >>> from riata.plotting import plot_test_curves
    >>> y = np.array([0, 0, 1, 1, 0, 1])
    >>> fig = plot_test_curves(y == 1, {"model": [0.1, 0.3, 0.8, 0.6, 0.2, 0.9]})
    >>> len(fig.axes)
    3
    """
    from sklearn.calibration import CalibrationDisplay
    from sklearn.metrics import PrecisionRecallDisplay, RocCurveDisplay

    positive = np.asarray(positive, dtype=bool)
    if positive.all() or not positive.any():
        raise ValueError("positive must hold both classes to draw ROC and PR curves.")
    fig = new_figure((15, 4.8))
    roc, pr, calibration = fig.subplots(1, 3)
    for name, score in scores.items():
        score = np.asarray(score, dtype=float)
        if score.shape != positive.shape:
            raise ValueError(f"scores[{name!r}] has {score.size} values for "
                             f"{positive.size} samples.")
        RocCurveDisplay.from_predictions(positive, score, name=name, ax=roc)
        PrecisionRecallDisplay.from_predictions(positive, score, name=name, ax=pr)
        CalibrationDisplay.from_predictions(positive, score, n_bins=n_bins, name=name,
                                            ax=calibration)
    roc.plot([0, 1], [0, 1], color="0.7", linestyle=":", linewidth=1)
    pr.axhline(positive.mean(), color="0.7", linestyle=":", linewidth=1,
               label=f"prevalence {positive.mean():.2f}")
    roc.set_title("ROC")
    pr.set_title("precision-recall")
    calibration.set_title("calibration")
    for ax in (roc, pr, calibration):
        ax.legend(fontsize=7, loc="best")
    if title:
        fig.suptitle(title)
    return fig

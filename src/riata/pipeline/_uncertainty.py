"""How sure the test scores are: bootstrap intervals, thresholds, calibration.

One test split's AUROC has a standard error of about 0.03 at the case study's size;
a table of point estimates invites over-reading. Every binary model's test AUROC and AP
get a 95 % percentile-bootstrap interval (Efron & Tibshirani 1993; the test rows
resampled within each class, so every resample has both), and its difference to a
reference model (the clinical logistic regression) a paired interval from the same
resamples. The classification threshold is chosen on the validation rows by Youden's J
(Youden 1950: the point of the ROC curve farthest above the diagonal), not fixed at
0.5, and the accuracy, sensitivity and specificity at it are shown beside the
prevalence and the accuracy of always predicting the majority class.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    roc_auc_score,
    roc_curve,
)

__all__ = ["bootstrap_intervals", "youden_threshold", "threshold_scores",
           "N_BOOTSTRAP"]

#: Bootstrap resamples of the test rows.
N_BOOTSTRAP = 1000


def _resamples(positive: np.ndarray, n_boot: int, seed: int):
    """Row indices of stratified bootstrap resamples (each keeps both classes)."""
    rng = np.random.default_rng(seed)
    cases, controls = np.flatnonzero(positive), np.flatnonzero(~positive)
    for _ in range(n_boot):
        yield np.concatenate([rng.choice(cases, cases.size),
                              rng.choice(controls, controls.size)])


def bootstrap_intervals(positive, scores: dict, *, reference: str | None = None,
                        n_boot: int = N_BOOTSTRAP, level: float = 0.95,
                        seed: int = 0) -> dict:
    """95 % percentile-bootstrap intervals of each model's test AUROC and AP.

    Parameters
    ----------
    positive : array-like of bool, shape (n_test,)
        Whether each test row is of the positive class.
    scores : dict of str to array-like of shape (n_test,)
        Each model's score (probability of the positive class) for the test rows.
    reference : str, optional
        A key of ``scores``: every other model also gets the interval of its paired
        difference to it (the same resamples for both).
    n_boot : int, default=1000
    level : float, default=0.95
    seed : int, default=0

    Returns
    -------
    dict of str to dict
        Per model: ``auroc_low``, ``auroc_high``, ``ap_low``, ``ap_high`` and, with a
        reference, ``auroc_diff`` (the point difference), ``auroc_diff_low``,
        ``auroc_diff_high``.
    """
    positive = np.asarray(positive, dtype=bool)
    keys = list(scores)
    values = {k: np.asarray(scores[k], dtype=float) for k in keys}
    boots = {k: ([], []) for k in keys}
    for rows in _resamples(positive, n_boot, seed):
        for key in keys:
            boots[key][0].append(roc_auc_score(positive[rows], values[key][rows]))
            boots[key][1].append(average_precision_score(positive[rows],
                                                         values[key][rows]))
    tail = (1 - level) / 2 * 100
    out = {}
    for key in keys:
        auroc, ap = (np.asarray(b) for b in boots[key])
        entry = {"auroc_low": float(np.percentile(auroc, tail)),
                 "auroc_high": float(np.percentile(auroc, 100 - tail)),
                 "ap_low": float(np.percentile(ap, tail)),
                 "ap_high": float(np.percentile(ap, 100 - tail))}
        if reference is not None and key != reference and reference in boots:
            diff = auroc - np.asarray(boots[reference][0])
            entry.update(
                auroc_diff=float(roc_auc_score(positive, values[key])
                                 - roc_auc_score(positive, values[reference])),
                auroc_diff_low=float(np.percentile(diff, tail)),
                auroc_diff_high=float(np.percentile(diff, 100 - tail)))
        out[key] = entry
    return out


def youden_threshold(positive, score) -> float:
    """The threshold that maximizes Youden's J = sensitivity + specificity - 1.

    On validation data, so that the test rows stay untouched. Predictions at or above
    the threshold are positive. Where the validation rows hold one class, or no
    threshold separates them better than chance (J <= 0, e.g. a constant model), the
    conventional 0.5 is returned: a calibrated constant then predicts the majority class.
    """
    positive = np.asarray(positive, dtype=bool)
    if positive.all() or not positive.any():
        return 0.5
    fpr, tpr, thresholds = roc_curve(positive, np.asarray(score, dtype=float))
    best = int(np.argmax(tpr - fpr))
    if tpr[best] - fpr[best] <= 0:
        return 0.5
    return float(min(thresholds[best], 1.0))


def threshold_scores(positive, score, threshold: float) -> dict:
    """Accuracy, sensitivity and specificity at ``threshold``, the Brier score, and the
    prevalence and majority-class accuracy beside them."""
    positive = np.asarray(positive, dtype=bool)
    score = np.asarray(score, dtype=float)
    predicted = score >= threshold
    n_pos, n_neg = positive.sum(), (~positive).sum()
    prevalence = float(positive.mean())
    return {
        "threshold": float(threshold),
        "accuracy_at_threshold": float(np.mean(predicted == positive)),
        "sensitivity": float((predicted & positive).sum() / n_pos) if n_pos else math.nan,
        "specificity": (float((~predicted & ~positive).sum() / n_neg) if n_neg
                        else math.nan),
        "brier": float(brier_score_loss(positive, score)),
        "prevalence": prevalence,
        "majority_rate": max(prevalence, 1 - prevalence),
    }

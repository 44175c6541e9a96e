"""Scoring a fitted model against the simulated cohort's ground truth."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, average_precision_score, roc_auc_score

__all__ = ["test_metrics", "clinical_selection", "selection_scores"]


def test_metrics(y_true, proba) -> dict:
    """Accuracy (threshold 0.5), AUROC and average precision of positive-class scores."""
    y_true = np.asarray(y_true)
    proba = np.asarray(proba)
    return {
        "accuracy": float(accuracy_score(y_true, proba >= 0.5)),
        "auroc": float(roc_auc_score(y_true, proba)),
        "ap": float(average_precision_score(y_true, proba)),
    }


def clinical_selection(feature_names, norms, column_to_variable: dict) -> dict:
    """Norm per original clinical variable (a one-hot set counts once).

    Parameters
    ----------
    feature_names : sequence of str
        First-layer input names (``genetic_k`` rows are skipped).
    norms : array-like
        Norm of each first-layer input's weights.
    column_to_variable : dict
        First-layer input name -> original variable (e.g. ``SEX_1.0`` -> ``SEX``).

    Returns
    -------
    dict of str to float
        Group norm per original variable.
    """
    out: dict[str, float] = {}
    for name, norm in zip(feature_names, norms):
        variable = column_to_variable.get(name)
        if variable is None:
            continue
        out[variable] = float(np.hypot(out.get(variable, 0.0), norm))
    return out


def selection_scores(selected: set, truth: set, decoys: dict) -> dict:
    """Precision, recall and F1 of a selected set against the truth, and decoys kept.

    ``decoys`` maps an irrelevant variable to its true partner; a decoy counts as
    "kept instead" when it is selected and its partner is not.
    """
    tp = len(selected & truth)
    precision = tp / len(selected) if selected else float("nan")
    recall = tp / len(truth) if truth else float("nan")
    f1 = (2 * precision * recall / (precision + recall)
          if selected and truth and (precision + recall) > 0 else float("nan"))
    kept = sorted(d for d in decoys if d in selected)
    instead = sorted(d for d in kept if decoys[d] not in selected)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "decoys_kept": len(kept),
        "decoys_kept_names": ";".join(kept),
        "decoys_instead_of_truth": ";".join(instead),
    }

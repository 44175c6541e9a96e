"""Scoring fitted models: test metrics, and selection against a known truth."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)
from sklearn.preprocessing import label_binarize

__all__ = ["KnownTruth", "prediction_scores", "clinical_selection", "selection_scores",
           "snp_scores", "result_row"]


@dataclass(frozen=True, eq=False)
class KnownTruth:
    """What generated a simulated cohort, as the scoring needs it (names, not indices).

    Attributes
    ----------
    clinical_variables : tuple of str
        Variables that enter the outcome (a one-hot set counts once).
    decoys : dict of str to str
        Irrelevant variable correlated with a true one -> that true partner.
    causal_snps : tuple of str
        Names of the causal SNPs.
    proxies : tuple of frozenset of str
        For each causal SNP, the SNPs that count as finding it: itself and its LD
        proxies (within 100 kb, r^2 >= 0.3; :func:`riata.data.ld_proxies`).
    risk : ndarray of shape (n_samples,)
        The true probability of the outcome (the oracle's score).
    description : dict
        Plain facts for ``truth.json`` (genetics, outcome, effect ...).
    """

    clinical_variables: tuple
    decoys: dict
    causal_snps: tuple = ()
    proxies: tuple = ()
    risk: np.ndarray | None = None
    description: dict = field(default_factory=dict)

    @classmethod
    def from_cohort(cls, cohort) -> KnownTruth:
        """The truth of a :class:`riata.data.FraminghamLikeCohort`."""
        truth = cohort.truth
        names = cohort.snp_info["name"].astype(str).to_numpy()
        causal = tuple(names[truth.causal_snps].tolist())
        proxies = tuple(frozenset(names[p].tolist()) for p in truth.ld_proxies)
        return cls(clinical_variables=tuple(truth.clinical_variables),
                   decoys=dict(truth.decoys), causal_snps=causal, proxies=proxies,
                   risk=np.asarray(cohort.risk, dtype=float),
                   description={"genetics": truth.genetics, "outcome": truth.outcome,
                                "genetic_effect": float(truth.genetic_effect),
                                "n_causal_snps": len(causal),
                                "prevalence": float(np.mean(cohort.y))})


def prediction_scores(task: str, y_true, prediction: dict, *, positive=None) -> dict:
    """Test scores of one model's predictions.

    Classification: ``accuracy`` (the most probable class), ``auroc`` and ``ap``
    (average precision) of the positive class for two classes, macro averages over
    classes otherwise (NaN when a class is absent from ``y_true``), ``brier`` (two
    classes). Regression: ``r2`` and ``mse``. ``positive`` is the positive class of a
    binary target (default: the second of ``prediction["classes"]``).
    """
    y_true = np.asarray(y_true)
    values = np.asarray(prediction["proba"] if "proba" in prediction
                        else prediction["prediction"], dtype=float)
    if not np.isfinite(values).all():
        raise FloatingPointError("The model predicts NaN or infinite values: its "
                                 "training diverged. Lower the learning rate "
                                 "(learning_rate_init) or standardize the inputs.")
    if task == "regression":
        pred = prediction["prediction"]
        return {"r2": float(r2_score(y_true, pred)),
                "mse": float(mean_squared_error(y_true, pred))}
    proba, classes = prediction["proba"], np.asarray(prediction["classes"])
    out = {"accuracy": float(accuracy_score(y_true, classes[np.argmax(proba, axis=1)]))}
    if not np.isin(classes, y_true).all():
        out.update(auroc=math.nan, ap=math.nan)
        return out
    if classes.size == 2:
        k = 1 if positive is None else int(np.flatnonzero(classes == positive)[0])
        is_positive = y_true == classes[k]
        out.update(auroc=float(roc_auc_score(is_positive, proba[:, k])),
                   ap=float(average_precision_score(is_positive, proba[:, k])),
                   brier=float(brier_score_loss(is_positive, proba[:, k])))
        return out
    onehot = label_binarize(y_true, classes=classes)
    out.update(auroc=float(roc_auc_score(onehot, proba, average="macro")),
               ap=float(average_precision_score(onehot, proba, average="macro")))
    return out


def clinical_selection(groups, norms, clinical_variables) -> dict:
    """Norm per original clinical variable (a one-hot set counts once).

    ``groups`` gives the variable of each input (genetic units and SNPs have other
    names and are skipped: only names in ``clinical_variables`` count).
    """
    wanted = set(clinical_variables)
    out: dict[str, float] = {}
    for group, norm in zip(groups, norms):
        if group in wanted:
            out[group] = float(np.hypot(out.get(group, 0.0), norm))
    return out


def selection_scores(selected: set, truth: set, decoys: dict) -> dict:
    """Precision, recall and F1 of a selected set against the truth, and decoys kept.

    ``decoys`` maps an irrelevant variable to its true partner; a decoy counts as
    "kept instead" when it is selected and its partner is not.
    """
    tp = len(selected & truth)
    precision = tp / len(selected) if selected else math.nan
    recall = tp / len(truth) if truth else math.nan
    f1 = (2 * precision * recall / (precision + recall)
          if selected and truth and (precision + recall) > 0 else math.nan)
    kept = sorted(d for d in decoys if d in selected)
    instead = sorted(d for d in kept if decoys[d] not in selected)
    return {"precision": precision, "recall": recall, "f1": f1,
            "decoys_kept": len(kept), "decoys_kept_names": ";".join(kept),
            "decoys_instead_of_truth": ";".join(instead)}


def snp_scores(selected, truth: KnownTruth) -> dict:
    """LD-aware recovery of the causal SNPs (SIMULATOR.md's scoring).

    ``causal_snps_found``: causal SNPs with themselves or an LD proxy selected;
    ``false_snps``: selected SNPs that are no causal SNP's proxy.
    """
    selected = {str(s) for s in selected}
    found = sum(1 for proxy in truth.proxies if proxy & selected)
    covered = set().union(*truth.proxies) if truth.proxies else set()
    return {"causal_snps_found": found, "false_snps": len(selected - covered)}


def _kkt_max(estimator) -> float:
    ratios = getattr(estimator, "kkt_violation_", None)
    if ratios is None:
        return math.nan
    finite = np.asarray(ratios, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite.max()) if finite.size else math.nan


def result_row(fitted, inputs, scores: dict, truth: KnownTruth | None,
               oracle: dict | None) -> dict:
    """One row of results.csv (the same columns for every model and workflow)."""
    spec, est = fitted.spec, fitted.estimator
    norms = fitted.norms
    groups = list(fitted.input_groups)
    variables = list(dict.fromkeys(inputs.clinical_groups))
    by_var = clinical_selection(groups, norms, variables)
    kept_vars = {v for v, n in by_var.items() if n > 0}
    genetic = [n for g, n in zip(groups, norms) if g == "genetics"]
    reads_clinical = fitted.clinical and inputs.n_clinical > 0
    row = {
        "model": spec.key, "label": spec.label, "kind": spec.kind,
        "inputs": spec.inputs, "penalty": spec.penalty,
        "seed": spec.seed if spec.is_network else math.nan, "alpha": fitted.alpha,
        "best_epoch": getattr(est, "best_epoch_", math.nan),
        **{f"test_{k}": v for k, v in scores.items()},
        "n_inputs": len(norms),
        "n_clinical_kept": len(kept_vars) if reads_clinical else math.nan,
        "n_genetic_kept": int(np.sum(np.asarray(genetic) > 0)) if genetic else math.nan,
        "snps_kept": (len(fitted.selected_snps) if len(fitted.snp_columns) or
                      fitted.spec.kind in ("lasso", "snp_network") and inputs.n_snps
                      else math.nan),
    }
    if truth is not None:
        snp_names = [fitted.input_names[len(norms) - len(fitted.snp_columns) + i]
                     for i in fitted.selected_snps]
        has_snps = not math.isnan(row["snps_kept"])
        row.update(snp_scores(snp_names, truth) if has_snps
                   else {"causal_snps_found": math.nan, "false_snps": math.nan})
        sel = (selection_scores(kept_vars, set(truth.clinical_variables), truth.decoys)
               if reads_clinical else {})
        for key in ("precision", "recall", "f1", "decoys_kept"):
            row[key] = sel.get(key, math.nan)
        for key in ("decoys_kept_names", "decoys_instead_of_truth"):
            row[key] = sel.get(key, "")
    row["kkt_max"] = _kkt_max(est)
    if oracle:
        row.update({f"oracle_{k}": v for k, v in oracle.items()})
    row["fit_seconds"] = round(fitted.seconds, 2)
    return row

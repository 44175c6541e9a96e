"""Stability selection: how often a model keeps each variable on half-samples.

Meinshausen & Buhlmann (2010): refit the selection procedure at its chosen
regularization on random halves of the training rows, and record how often each
variable is selected. A variable kept in at least ``threshold`` of the halves is
"stable"; under their exchangeability assumption the expected number of falsely
stable variables is at most ``q^2 / ((2 threshold - 1) p)``, with ``q`` the mean number
of variables selected per half and ``p`` the number of candidates.
"""

from __future__ import annotations

import dataclasses
import logging
import math

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..estimators import fit_genotype_path
from ..training import convergence_warnings_recorded, replay_convergence_warnings

__all__ = ["StabilitySelection", "stability_selection", "STABLE_THRESHOLD"]

logger = logging.getLogger("riata")

#: Selection frequency above which a variable counts as stable.
STABLE_THRESHOLD = 0.6


@dataclasses.dataclass(frozen=True, eq=False)
class StabilitySelection:
    """The result of :func:`stability_selection` for one model.

    Attributes
    ----------
    selection : pandas.DataFrame
        One row per variable (clinical variables, and SNPs kept at least once), one
        boolean column per half-sample.
    frequency : pandas.Series
        Share of the half-samples that kept each variable.
    q : float
        Mean number of variables selected per half-sample.
    n_candidates : int
        Variables the model could select (clinical variables plus SNPs).
    threshold : float
    error_bound : float
        ``q^2 / ((2 threshold - 1) n_candidates)``: the bound on the expected number of
        stable variables that carry no signal (Meinshausen & Buhlmann 2010, Theorem 1).
    """

    selection: pd.DataFrame
    frequency: pd.Series
    q: float
    n_candidates: int
    threshold: float = STABLE_THRESHOLD

    @property
    def error_bound(self) -> float:
        return self.q ** 2 / ((2 * self.threshold - 1) * max(self.n_candidates, 1))

    def table(self, model: str) -> pd.DataFrame:
        """``stability_selection.csv``: model, variable, frequency, stable."""
        return pd.DataFrame({"model": model, "variable": self.frequency.index,
                             "frequency": self.frequency.to_numpy(),
                             "stable": self.frequency.to_numpy() >= self.threshold})


def _selected(fitted_groups, norms, snp_names=()) -> set:
    kept = {str(g) for g, n in zip(fitted_groups, norms) if n > 0}
    return kept | {str(s) for s in snp_names}


def _half(rows: np.ndarray, y: np.ndarray, rng, stratify: bool) -> np.ndarray:
    """A random half of ``rows`` (of each class, for a classifier)."""
    if not stratify:
        return np.sort(rng.choice(rows, rows.size // 2, replace=False))
    parts = [rng.choice(rows[y == c], (y == c).sum() // 2, replace=False)
             for c in np.unique(y)]
    return np.sort(np.concatenate(parts))


def _refit(fitted, inputs, half: np.ndarray):
    """The model of ``fitted`` refitted at its alpha on the training rows ``half``."""
    est = clone(fitted.estimator)
    valid = (inputs.design("valid"), inputs.target("valid"))
    clinical = inputs.design("train")[np.searchsorted(inputs.split.train, half)]
    y = inputs.y[half]
    if not len(fitted.snp_columns) and fitted.spec.kind not in ("lasso", "snp_network"):
        est.fit(clinical, y, validation_data=valid)
        return _selected(fitted.input_groups, est.feature_importances_)
    clinical_path = fitted.paths.get("clinical_path")
    plain_alpha = None if clinical_path is None else clinical_path.best_alpha
    groups = [f"clinical:{g}" for g in inputs.clinical_groups]
    penalty = est.penalty
    if "groups" in penalty.get_params():
        est.set_params(penalty=clone(penalty).set_params(groups=groups))
    if "penalty_factor" in penalty.get_params():
        est.set_params(penalty__penalty_factor=None)
    path = fit_genotype_path(
        est, clinical, y, validation_data=valid, valid_rows=inputs.split.valid,
        genotypes=inputs.genotypes, train_rows=half, mean=inputs.genotype_mean,
        scale=inputs.genotype_scale, plain_groups=groups, plain_alpha=plain_alpha,
        alphas=[fitted.alpha])
    best = path.best_estimator
    n_plain = inputs.n_clinical
    norms = best.feature_importances_
    snps = inputs.snp_names[path.best_columns[norms[n_plain:] > 0]]
    return _selected(inputs.clinical_groups, norms[:n_plain], snps)


def stability_selection(fitted, inputs, *, n_subsamples: int = 20,
                        threshold: float = STABLE_THRESHOLD,
                        seed: int = 0, checkpoint=None) -> StabilitySelection | None:
    """Refit ``fitted`` at its chosen alpha on ``n_subsamples`` halves of the training
    rows and record what each keeps.

    Networks on clinical columns, SNP networks and lasso models are refitted (SNP
    models on working sets, at their SNP alpha with their clinical alpha kept); a
    kernel network is not (its kernel columns are the training rows themselves), and
    None is returned for it, as for a model without a penalty. With ``checkpoint``
    (a :class:`riata.io.PathCheckpoint`) each half-sample's selection is saved, and the
    ones saved by an interrupted call with the same arguments are not refitted.

    Returns
    -------
    StabilitySelection or None
    """
    if fitted.kernel or getattr(fitted.estimator, "penalty", None) is None or \
            math.isnan(fitted.alpha):
        return None
    rng = np.random.default_rng(seed)
    train = inputs.split.train
    stratify = inputs.task == "classification"
    saved = [] if checkpoint is None else checkpoint.saved_steps()
    runs = []
    for b in range(n_subsamples):
        half = _half(train, inputs.y[train], rng, stratify)  # drawn even when saved
        if b < len(saved):
            runs.append(set(saved[b]["kept"]))
            replay_convergence_warnings(saved[b].get("warnings"))
            continue
        with convergence_warnings_recorded() as stops:
            runs.append(_refit(fitted, inputs, half))
        if checkpoint is not None:
            checkpoint.save_step(b, {"kept": sorted(runs[-1]), "warnings": stops})
        logger.info("  stability %d/%d: %d variable(s) kept", b + 1, n_subsamples,
                    len(runs[-1]))
    variables = list(dict.fromkeys(inputs.clinical_groups))
    variables += sorted(set().union(*runs) - set(variables))
    selection = pd.DataFrame({f"half {b}": [v in run for v in variables]
                              for b, run in enumerate(runs)}, index=variables)
    frequency = selection.mean(axis=1).sort_values(ascending=False, kind="stable")
    n_candidates = len(set(inputs.clinical_groups)) + inputs.n_snps
    q = float(np.mean([len(run) for run in runs]))
    return StabilitySelection(selection=selection, frequency=frequency, q=q,
                              n_candidates=n_candidates, threshold=threshold)

"""The result types of :func:`riata.data.make_framingham_like`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["CohortTruth", "FraminghamLikeCohort"]


@dataclass(frozen=True, eq=False)
class CohortTruth:
    """What generated a :class:`FraminghamLikeCohort`: the answer a model should find.

    Attributes
    ----------
    outcome, genetics : str
        Names of the outcome model and the genetic architecture.
    clinical_variables : tuple of str
        Clinical columns that enter the outcome (each categorical counts once).
    decoys : dict of str to str
        Irrelevant columns correlated with a true one -> that true partner.
    causal_snps : ndarray of shape (n_causal,), int64
        Columns of ``genotypes`` that enter the PRS (empty under "null").
    ld_proxies : tuple of n_causal ndarrays of int64
        For each causal SNP, the SNPs within 100 kb with r^2 >= 0.3 (itself included);
        see :func:`riata.data.ld_proxies`.
    snp_weights : ndarray of shape (n_causal,)
        Raw weights w of the standardized causal genotypes in the PRS.
    snp_effects : ndarray of shape (n_causal,)
        Effect of one SD of each causal genotype on the linear predictor (log-odds, or
        log-hazard for "dagostino_bmi"): ``genetic_effect * w / sd(sum w z)``.
    genetic_effect : float
        gamma, the effect of one SD of the PRS.
    offset : float
        delta ("dagostino_bmi") or b0 ("logistic_sparse"), solved for the prevalence.
    expected_prevalence : float
        Mean true risk on the sample (the requested prevalence when one was given).
    oracle_auroc, oracle_ap : float
        AUROC and average precision of the true risk on this sample: the ceiling for
        any model (NaN if ``y`` has one class).
    config : dict
        The resolved configuration (every parameter after presets, and the seed).
    """

    outcome: str
    genetics: str
    clinical_variables: tuple[str, ...]
    decoys: dict[str, str]
    causal_snps: np.ndarray
    ld_proxies: tuple[np.ndarray, ...]
    snp_weights: np.ndarray
    snp_effects: np.ndarray
    genetic_effect: float
    offset: float
    expected_prevalence: float
    oracle_auroc: float
    oracle_ap: float
    config: dict = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class FraminghamLikeCohort:
    """A simulated cohort returned by :func:`make_framingham_like`.

    Attributes
    ----------
    clinical : pandas.DataFrame of shape (n_samples, 15)
        Clinical variables under their original names (see
        :data:`riata.data._clinical_sim.CLINICAL_COLUMNS`), float64, index = sample ids
        "P00001", ...; NaN where ``missing=True`` blanked a value.
    genotypes : ndarray of shape (n_samples, n_snps), int8, or None
        Allele counts 0/1/2; None when ``n_chromosomes=0``.
    snp_info : pandas.DataFrame of n_snps rows
        name, chromosome, position (bp), allele_frequency, maf.
    y : ndarray of shape (n_samples,), int64
        The binary outcome, drawn as Bernoulli(risk).
    risk : ndarray of shape (n_samples,)
        True probability of the outcome.
    prs : ndarray of shape (n_samples,)
        Standardized polygenic score (zeros under genetics="null").
    truth : CohortTruth
        The generating model; see :class:`CohortTruth`.
    """

    clinical: pd.DataFrame
    genotypes: np.ndarray | None
    snp_info: pd.DataFrame
    y: np.ndarray
    risk: np.ndarray
    prs: np.ndarray
    truth: CohortTruth

    @property
    def sample_ids(self) -> np.ndarray:
        """Sample ids, shape (n_samples,)."""
        return self.clinical.index.to_numpy()

    def to_table(self, target_name: str = "CHD"):
        """The cohort as a :class:`riata.data.Table`, as if read from its files.

        The categorical variables (sex, education, smoking, ...) get pandas'
        ``category`` dtype, as :func:`riata.data.read_clinical` gives them; the
        genotypes stay int8, with the simulated SNPs' names and positions (no
        alleles). The truth stays here, in :attr:`truth`.

        Examples
        --------
        >>> from riata.data import make_framingham_like
        >>> table = make_framingham_like(50, genetics="null", n_chromosomes=0).to_table()
        >>> table.n_samples, table.genotypes is None, str(table.clinical["SEX"].dtype)
        (50, True, 'category')
        """
        from ._clinical_sim import CATEGORICAL_COLUMNS
        from ._table import Genotypes, Table

        clinical = self.clinical.copy()
        for column in CATEGORICAL_COLUMNS:
            clinical[column] = clinical[column].astype("category")
        ids = self.sample_ids.astype(str)
        genotypes = None
        if self.genotypes is not None:
            info = self.snp_info
            genotypes = Genotypes(self.genotypes, snp_names=info["name"].astype(str),
                                  chromosome=info["chromosome"].astype(str),
                                  bp_position=info["position"].to_numpy(),
                                  sample_ids=ids)
        return Table(clinical=clinical, genotypes=genotypes, y=self.y, sample_ids=ids,
                     target_name=target_name)

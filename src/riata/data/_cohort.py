"""The simulated Framingham-style cohort: clinical table, genotypes, outcome, ground truth.

The clinical part comes from :mod:`._clinical_sim`, the genotypes from
:mod:`._genotypes_sim` (msprime), and the outcome from a published risk equation plus a
polygenic score, so that a model can be scored on which variables it selected as well as
on how well it predicts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.metrics import average_precision_score, roc_auc_score

from .._files import atomic_write
from ._clinical_sim import add_missing_values, simulate_clinical
from ._cohort_types import CohortTruth, FraminghamLikeCohort
from ._genotypes_sim import (
    SNP_INFO_COLUMNS,
    _choose_causal,
    _empty_snp_info,
    _import_msprime,
    ld_proxies,
    simulate_genotypes,
)

__all__ = [
    "CohortTruth",
    "FraminghamLikeCohort",
    "GENETICS_PRESETS",
    "OUTCOMES",
    "PRESETS",
    "make_framingham_like",
]

logger = logging.getLogger(__name__)

# Bump when the generated arrays change for a given configuration, so old caches are
# not reused.
_FORMAT_VERSION = 1

#: Genetic architectures. ``min_distance_bp``: causal SNPs of "sparse" are >= 1 Mb apart
#: so that each one is a separate, recoverable locus. "polygenic" drops that rule:
#: 1,000 SNPs 1 Mb apart would need > 1 Gb of sequence (22 x 10 Mb is 220 Mb), and with
#: K = 1,000 no single SNP is meant to be recoverable anyway.
GENETICS_PRESETS: dict[str, dict] = {
    "null": {"n_causal": 0, "genetic_effect": 0.0, "weights": "none", "min_distance_bp": 0},
    "sparse": {
        "n_causal": 20, "genetic_effect": 1.0, "weights": "equal", "min_distance_bp": 1_000_000,
    },
    # Inouye et al. 2018: hazard ratio 1.71 per SD of the CAD polygenic score.
    "polygenic": {
        "n_causal": 1000, "genetic_effect": math.log(1.71), "weights": "normal",
        "min_distance_bp": 0,
    },
}

#: Named bundles of parameters; see ``preset`` in :func:`make_framingham_like`.
#: "blog_like" mimics the original study's near-balanced outcome (AUROC 0.771, AP 0.767).
#: Its oracle AUROC / AP of 0.774 / 0.769 (SIMULATOR.md) are those of outcome B: measured
#: on 20,000 samples, logistic_sparse gives 0.774 / 0.768, while dagostino_bmi at
#: prevalence 0.5 reaches 0.785 / 0.794 from the clinical variables alone and 0.838 /
#: 0.851 with the genetic term. Hence outcome="logistic_sparse" in the preset.
PRESETS: dict[str, dict] = {
    "blog_like": {"genetics": "sparse", "outcome": "logistic_sparse", "prevalence": 0.5,
                  "genetic_effect": 0.8},
}
# Values used for parameters that are None after the preset (if any) is applied.
_DEFAULTS = {"genetics": "sparse", "outcome": "dagostino_bmi"}

# D'Agostino et al. 2008, Table 2 (office-based, BMI) per sex:
# (ln age, ln BMI, ln SBP untreated, ln SBP treated, smoker, diabetes, mean, S0(10 y)).
_DAGOSTINO = {
    "men": (3.11296, 0.79277, 1.85508, 1.92672, 0.70953, 0.53160, 23.9388, 0.88431),
    "women": (2.72107, 0.51125, 2.81291, 2.88267, 0.61868, 0.77763, 26.0145, 0.94833),
}
# Outcome B: logit p = b0 + sum(coef * x) + gamma PRS; b0 = -8.825 gives 15.2% cases.
_LOGISTIC = {"SEX_male": 0.55, "AGE1": 0.064, "CIGPDAY1": 0.018, "TOTCHOL1": 0.0023,
             "SYSBP1": 0.0155, "GLUCOSE1": 0.0072, "PREVHYP": 0.23}
_LOGISTIC_B0 = -8.825

#: Outcome models: true clinical inputs and decoys (irrelevant but correlated with a
#: true input, mapped to that partner).
OUTCOMES: dict[str, dict] = {
    "dagostino_bmi": {
        "true": ("SEX", "AGE1", "BMI1", "SYSBP1", "BPMEDS", "CURSMOKE", "DIAB"),
        "decoys": {"DIABP1": "SYSBP1", "PREVHYP": "SYSBP1", "CIGPDAY1": "CURSMOKE",
                   "GLUCOSE1": "DIAB"},
    },
    # Here the continuous variables are the true ones, so the decoys are their
    # correlated partners (our choice; SIMULATOR.md names decoys for outcome A only).
    "logistic_sparse": {
        "true": ("SEX", "AGE1", "CIGPDAY1", "TOTCHOL1", "SYSBP1", "GLUCOSE1", "PREVHYP"),
        "decoys": {"DIABP1": "SYSBP1", "CURSMOKE": "CIGPDAY1", "DIAB": "GLUCOSE1"},
    },
    # Outcome B plus structure no linear model can express (issue 9): an age x
    # systolic pressure interaction, and a polygenic score that acts in men only.
    "nonlinear": {
        "true": ("SEX", "AGE1", "CIGPDAY1", "TOTCHOL1", "SYSBP1", "GLUCOSE1", "PREVHYP"),
        "decoys": {"DIABP1": "SYSBP1", "CURSMOKE": "CIGPDAY1", "DIAB": "GLUCOSE1"},
    },
}
#: Outcome "nonlinear": log-odds per unit of z_age * z_sbp (each standardized on the
#: sample), the product centred on the sample so that the prevalence stays outcome B's.
_INTERACTION = 0.8


def _dagostino_risk(clinical: pd.DataFrame, shift: np.ndarray) -> np.ndarray:
    """10-year CVD risk of D'Agostino 2008 with ``shift`` added to the linear predictor."""
    male = clinical["SEX"].to_numpy() == 1.0
    treated = clinical["BPMEDS"].to_numpy() == 1.0
    coef = np.where(male[:, None], np.array(_DAGOSTINO["men"]), np.array(_DAGOSTINO["women"]))
    b_age, b_bmi, b_sbp_u, b_sbp_t, b_smoke, b_diab, mean, s0 = coef.T
    lp = (
        b_age * np.log(clinical["AGE1"].to_numpy())
        + b_bmi * np.log(clinical["BMI1"].to_numpy())
        + np.where(treated, b_sbp_t, b_sbp_u) * np.log(clinical["SYSBP1"].to_numpy())
        + b_smoke * clinical["CURSMOKE"].to_numpy()
        + b_diab * clinical["DIAB"].to_numpy()
        - mean
    )
    # 1 - S0^exp(x) written as -expm1(exp(x) ln S0): accurate for small risks.
    return -np.expm1(np.exp(lp + shift) * np.log(s0))


def _nonlinear_shift(clinical: pd.DataFrame, prs: np.ndarray, gamma: float) -> np.ndarray:
    """The terms outcome "nonlinear" adds to outcome B's linear predictor.

    ``0.8 (z_age z_sbp - mean)`` and ``2 gamma PRS`` in men (0 in women): the PRS's
    effect averaged over the sexes is outcome B's ``gamma``, but a model must find
    that it acts in men only.
    """
    def z(column):
        values = clinical[column].to_numpy()
        return (values - values.mean()) / values.std()

    product = z("AGE1") * z("SYSBP1")
    male = (clinical["SEX"].to_numpy() == 1.0).astype(float)
    return _INTERACTION * (product - product.mean()) + 2 * gamma * prs * male


def _logistic_risk(clinical: pd.DataFrame, shift: np.ndarray) -> np.ndarray:
    lp = _LOGISTIC["SEX_male"] * (clinical["SEX"].to_numpy() == 1.0)
    for column, coef in _LOGISTIC.items():
        if column != "SEX_male":
            lp = lp + coef * clinical[column].to_numpy()
    return expit(lp + shift)


def _solve_offset(risk_at, prevalence: float, bracket: tuple[float, float]) -> float:
    """Offset at which the mean risk on the sample equals ``prevalence`` (brentq)."""
    return float(brentq(lambda o: risk_at(o).mean() - prevalence, *bracket, xtol=1e-10))


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}.")


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}; got {value!r}.")


def _is_real(value) -> bool:
    return (isinstance(value, (int, float, np.integer, np.floating))
            and not isinstance(value, bool) and math.isfinite(value))


def _resolve_config(n_samples, genetics, outcome, prevalence, n_chromosomes,
                    chromosome_length, genetic_effect, n_causal, missing, preset,
                    random_state) -> dict:
    """Validate the arguments, apply the preset, fill in architecture defaults."""
    if preset is not None:
        _check_choice("preset", preset, PRESETS)
        # Arguments that were given (not None) win over the preset.
        given = {"genetics": genetics, "outcome": outcome, "prevalence": prevalence,
                 "genetic_effect": genetic_effect}
        filled = {k: (PRESETS[preset][k] if v is None else v) for k, v in given.items()}
        if filled["genetics"] == "null" and given["genetic_effect"] is None:
            filled["genetic_effect"] = None  # an explicit "null" drops the preset's effect
        genetics, outcome, prevalence, genetic_effect = filled.values()
    genetics = _DEFAULTS["genetics"] if genetics is None else genetics
    outcome = _DEFAULTS["outcome"] if outcome is None else outcome
    _check_int("n_samples", n_samples, 1)
    _check_choice("genetics", genetics, GENETICS_PRESETS)
    _check_choice("outcome", outcome, OUTCOMES)
    if prevalence is not None and not (_is_real(prevalence) and 0.0 < prevalence < 1.0):
        raise ValueError(
            f"prevalence must be None (the model's natural prevalence) or a number in "
            f"the open interval (0, 1); got {prevalence!r}."
        )
    _check_int("n_chromosomes", n_chromosomes, 0)
    _check_int("chromosome_length", chromosome_length, 1)
    if random_state is not None:
        _check_int("random_state", random_state, 0)
    arch = GENETICS_PRESETS[genetics]
    if genetics == "null":
        if genetic_effect not in (None, 0, 0.0) or n_causal not in (None, 0):
            raise ValueError(
                "genetics='null' has no genetic effect; leave genetic_effect and "
                f"n_causal at None (got genetic_effect={genetic_effect!r}, "
                f"n_causal={n_causal!r}), or choose genetics in ['polygenic', 'sparse']."
            )
    else:
        if n_chromosomes == 0:
            raise ValueError(
                f"genetics={genetics!r} needs genotypes, but n_chromosomes=0; pass "
                "n_chromosomes >= 1 or genetics='null'."
            )
        if n_causal is not None:
            _check_int("n_causal", n_causal, 1)
        if genetic_effect is not None and not (_is_real(genetic_effect) and genetic_effect >= 0):
            raise ValueError(
                f"genetic_effect must be None (the preset's) or a finite number >= 0 "
                f"(log-odds per SD of the PRS); got {genetic_effect!r}."
            )
    if random_state is None:
        # Draw fresh entropy but record it, so the run can be reproduced from config.
        random_state = int(np.random.SeedSequence().entropy)
    return {
        "format_version": _FORMAT_VERSION,
        "n_samples": int(n_samples),
        "genetics": genetics,
        "outcome": outcome,
        "prevalence": None if prevalence is None else float(prevalence),
        "n_chromosomes": int(n_chromosomes),
        "chromosome_length": int(chromosome_length),
        "genetic_effect": float(arch["genetic_effect"] if genetic_effect is None
                                else genetic_effect),
        "n_causal": int(arch["n_causal"] if n_causal is None else n_causal),
        "min_distance_bp": int(arch["min_distance_bp"]),
        "weights": arch["weights"],
        "missing": bool(missing),
        "preset": preset,
        "random_state": int(random_state),
    }


def make_framingham_like(
    n_samples: int = 3000,
    *,
    genetics: str | None = None,
    outcome: str | None = None,
    prevalence: float | None = None,
    n_chromosomes: int = 1,
    chromosome_length: int = 10_000_000,
    genetic_effect: float | None = None,
    n_causal: int | None = None,
    missing: bool = False,
    preset: str | None = None,
    random_state: int | None = 0,
    cache_dir: str | os.PathLike | None = None,
) -> FraminghamLikeCohort:
    """Simulate a Framingham-style cohort with genotypes and a known risk model.

    Clinical variables follow a generative model fitted to the Framingham teaching
    data; genotypes come from the coalescent (msprime); the outcome is drawn from a
    published risk equation plus a polygenic risk score (PRS). With ``outcome=
    "dagostino_bmi"`` (D'Agostino et al. 2008, non-laboratory BMI equation, sex-specific
    coefficients, SBP coefficient by BP treatment)::

        risk = 1 - S0 ** exp(sum(beta * x) - mean + gamma * PRS - gamma**2 / 2 + delta)

    with x = (ln age, ln BMI, ln SBP, smoker, diabetes). ``-gamma**2 / 2`` keeps the mean
    hazard multiplier at one (E exp(gamma Z) = exp(gamma**2 / 2) for Z ~ N(0, 1)), so the
    genetic effect does not shift the prevalence. With ``outcome="logistic_sparse"``::

        logit risk = b0 + 0.55 male + 0.064 age + 0.018 cigsPerDay + 0.0023 totChol
                     + 0.0155 sysBP + 0.0072 glucose + 0.23 prevalentHyp + gamma * PRS

    With ``outcome="nonlinear"``, the same but for two terms a linear model cannot
    express: ``gamma * PRS`` becomes ``2 gamma PRS`` in men and 0 in women, and
    ``0.8 (z_age z_sbp - mean(z_age z_sbp))`` is added (z: standardized on the
    sample). On 100,000 draws at prevalence 0.5 with gamma = 0.8 the oracle AUROC is
    about 0.79, and the best logistic regression on the clinical variables and the
    PRS itself about 0.73 (``tests/data/test_simulate.py`` checks the gap).

    The PRS is ``sum_k w_k (g_k - 2 p_k) / sqrt(2 p_k (1 - p_k))`` over the causal SNPs,
    standardized to mean 0 and SD 1 on the sample; causal SNPs are drawn among SNPs with
    MAF >= 5% (and >= 1 Mb apart for "sparse"). y ~ Bernoulli(risk).

    Parameters
    ----------
    n_samples : int, default=3000
        Number of participants.
    genetics : {"sparse", "polygenic", "null"} or None, default=None
        None means "sparse" (or the preset's). "sparse": 20 causal SNPs with equal |w|
        and random signs, gamma = 1.0;
        "polygenic": 1,000 causal SNPs with w ~ N(0, 1), gamma = ln 1.71 (Inouye et al.
        2018); "null": no genetic effect (genotypes are still simulated when
        ``n_chromosomes > 0``, so that a genetic-only model has inputs, but the outcome
        ignores them).
    outcome : {"dagostino_bmi", "logistic_sparse", "nonlinear"} or None, default=None
        The outcome model (see above). None means "dagostino_bmi" (or the preset's).
    prevalence : float in (0, 1) or None, default=None
        Expected prevalence, reached by solving delta (or b0) with ``scipy.optimize.
        brentq`` so that the mean true risk on the sample equals it. None keeps the
        model's natural prevalence (delta = 0, b0 = -8.825; about 12% and 15% cases).
    n_chromosomes : int, default=1
        Independent chromosomes to simulate; 0 for no genotypes (genetics="null" only).
    chromosome_length : int, default=10_000_000
        Base pairs per chromosome (~22,000 SNPs per 10 Mb at 3,000 samples). At least
        ``n_causal`` Mb of sequence in total are needed for the "sparse" spacing rule;
        with less, as many causal SNPs as fit are taken, with a warning (the defaults,
        1 x 10 Mb, fit about 10 of 20).
    genetic_effect : float >= 0 or None, default=None
        gamma, per SD of the PRS. None: the architecture's (see ``genetics``).
    n_causal : int or None, default=None
        Number of causal SNPs. None: the architecture's.
    missing : bool, default=False
        Blank out clinical values completely at random at the teaching file's rates (see
        :func:`riata.data._clinical_sim.add_missing_values`). The outcome is computed
        from the complete values, and the observed values equal those of
        ``missing=False``.
    preset : {"blog_like"} or None, default=None
        A named bundle of parameters (:data:`PRESETS`) that fills ``genetics``,
        ``outcome``, ``prevalence`` and ``genetic_effect`` where they are None; any of
        them given explicitly wins (``preset="blog_like", genetic_effect=1.0`` uses 1.0).
        "blog_like" = sparse genetics, outcome "logistic_sparse", prevalence 0.5,
        genetic_effect 0.8: oracle AUROC / AP about 0.774 / 0.768, near the original
        study's 0.771 / 0.767. (With ``outcome="dagostino_bmi"`` it is about 0.84 /
        0.85.) A preset's prevalence cannot be reset to the natural one: None means
        "not given".
    random_state : int >= 0 or None, default=0
        Root seed. Independent streams are spawned from ``SeedSequence(random_state)``
        for the clinical table, the genotypes, the causal SNPs, the outcome draw and the
        missingness, so e.g. the clinical table and the risk under "null" do not depend
        on whether genotypes are simulated. None draws a fresh seed (recorded in
        ``truth.config``).
    cache_dir : str, path-like or None, default=None
        If given, the cohort is stored there under a hash of the full configuration
        (one ``.npz`` file, written to a temporary name and moved into place) and
        reloaded by later calls with the same configuration.

    Returns
    -------
    FraminghamLikeCohort

    Raises
    ------
    ValueError
        If a parameter is out of range or not one of the accepted names.
    ImportError
        If genotypes are requested and msprime is not installed.

    References
    ----------
    D'Agostino R.B. Sr. et al. (2008) General cardiovascular risk profile for use in
    primary care: the Framingham Heart Study. Circulation 117(6): 743-753.
    Inouye M. et al. (2018) Genomic risk prediction of coronary artery disease in
    480,000 adults. J Am Coll Cardiol 72(16): 1883-1893.
    Baumdicker F. et al. (2022) Efficient ancestry and mutation simulation with
    msprime 1.0. Genetics 220(3): iyab229.

    Examples
    --------
    >>> cohort = make_framingham_like(500, genetics="null", n_chromosomes=0)
    >>> cohort.clinical.shape, cohort.genotypes is None
    ((500, 15), True)
    >>> cohort.truth.decoys["DIABP1"]
    'SYSBP1'
    """
    config = _resolve_config(n_samples, genetics, outcome, prevalence, n_chromosomes,
                             chromosome_length, genetic_effect, n_causal, missing,
                             preset, random_state)
    if n_chromosomes > 0:
        # msprime's output for a seed may change between its versions: key on it.
        config["msprime_version"] = _import_msprime().__version__
    path = None
    if cache_dir is not None:
        digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
        path = Path(cache_dir) / f"framingham_like-{digest[:20]}.npz"
        cohort = _load(path, config)
        if cohort is not None:
            logger.info("Loaded cached cohort %s", path)
            _warn_if_short(cohort.truth)
            return cohort
    cohort = _simulate(config)
    _warn_if_short(cohort.truth)
    if path is not None:
        _save(path, cohort)
        logger.info("Cached cohort at %s", path)
    return cohort


def _warn_if_short(truth: CohortTruth) -> None:
    wanted = truth.config["n_causal"]
    if truth.genetics != "null" and truth.causal_snps.size < wanted:
        warnings.warn(
            f"Only {truth.causal_snps.size} of n_causal={wanted} causal SNPs with "
            f"MAF >= 5% fit >= {truth.config['min_distance_bp']} bp apart on "
            f"{truth.config['n_chromosomes']} chromosome(s) of "
            f"{truth.config['chromosome_length']} bp; using {truth.causal_snps.size}. "
            "Simulate more or longer chromosomes to get them all.",
            UserWarning,
            stacklevel=3,
        )


def _simulate(config: dict) -> FraminghamLikeCohort:
    n = config["n_samples"]
    streams = np.random.SeedSequence(config["random_state"]).spawn(5)
    clinical_ss, genotype_ss, causal_ss, outcome_ss, missing_ss = streams
    clinical = simulate_clinical(n, random_state=np.random.default_rng(clinical_ss))
    width = max(5, len(str(n)))
    clinical.index = pd.Index([f"P{i:0{width}d}" for i in range(1, n + 1)], name="sample_id")

    if config["n_chromosomes"] > 0:
        genotypes, snp_info = simulate_genotypes(
            n,
            n_chromosomes=config["n_chromosomes"],
            chromosome_length=config["chromosome_length"],
            random_state=genotype_ss,
        )
    else:
        genotypes, snp_info = None, _empty_snp_info()

    causal = np.zeros(0, dtype=np.int64)
    weights = np.zeros(0)
    effects = np.zeros(0)
    prs = np.zeros(n)
    gamma = config["genetic_effect"] if config["genetics"] != "null" else 0.0
    if config["genetics"] != "null":
        rng = np.random.default_rng(causal_ss)
        causal = _choose_causal(snp_info, config["n_causal"], config["min_distance_bp"], rng)
        if config["weights"] == "equal":
            weights = rng.choice(np.array([-1.0, 1.0]), size=causal.size)
        else:
            weights = rng.standard_normal(causal.size)
        if causal.size:
            g = genotypes[:, causal].astype(np.float64)
            p = snp_info["allele_frequency"].to_numpy()[causal]
            raw = ((g - 2 * p) / np.sqrt(2 * p * (1 - p))) @ weights
            scale = raw.std()
            if scale > 0:
                prs = (raw - raw.mean()) / scale
                effects = gamma * weights / scale
    if not prs.any():
        # No causal SNP could be used: the PRS is 0, so keep gamma out of the
        # -gamma^2/2 term too (it would lower the natural prevalence for nothing).
        gamma = 0.0
    proxies = (
        tuple(ld_proxies(genotypes, snp_info["position"].to_numpy(),
                         snp_info["chromosome"].to_numpy(), causal))
        if causal.size else ()
    )

    if config["outcome"] == "dagostino_bmi":
        base = gamma * prs - gamma**2 / 2

        def risk_at(offset):
            return _dagostino_risk(clinical, base + offset)

        natural, bracket = 0.0, (-60.0, 60.0)
    else:
        shift = (_nonlinear_shift(clinical, prs, gamma) if config["outcome"] == "nonlinear"
                 else gamma * prs)

        def risk_at(offset):
            return _logistic_risk(clinical, shift + offset)

        natural, bracket = _LOGISTIC_B0, (-80.0, 40.0)
    target = config["prevalence"]
    offset = natural if target is None else _solve_offset(risk_at, target, bracket)
    risk = risk_at(offset)
    y = (np.random.default_rng(outcome_ss).random(n) < risk).astype(np.int64)

    if config["missing"]:
        clinical = add_missing_values(clinical, np.random.default_rng(missing_ss))
    two_classes = 0 < y.sum() < n
    spec = OUTCOMES[config["outcome"]]
    truth = CohortTruth(
        outcome=config["outcome"],
        genetics=config["genetics"],
        clinical_variables=tuple(spec["true"]),
        decoys=dict(spec["decoys"]),
        causal_snps=causal,
        ld_proxies=proxies,
        snp_weights=weights,
        snp_effects=effects,
        genetic_effect=float(gamma),
        offset=float(offset),
        expected_prevalence=float(risk.mean()),
        oracle_auroc=float(roc_auc_score(y, risk)) if two_classes else float("nan"),
        oracle_ap=float(average_precision_score(y, risk)) if two_classes else float("nan"),
        config=dict(config),
    )
    return FraminghamLikeCohort(clinical=clinical, genotypes=genotypes, snp_info=snp_info,
                                y=y, risk=risk, prs=prs, truth=truth)


# -- cache: one .npz per configuration, no pickles --------------------------------------

_TRUTH_ARRAYS = ("causal_snps", "snp_weights", "snp_effects")
_TRUTH_SCALARS = ("outcome", "genetics", "clinical_variables", "decoys", "genetic_effect",
                  "offset", "expected_prevalence", "oracle_auroc", "oracle_ap", "config")


def _save(path: Path, cohort: FraminghamLikeCohort) -> None:
    truth = cohort.truth
    proxies = truth.ld_proxies
    arrays = {
        "clinical": cohort.clinical.to_numpy(dtype=np.float64),
        "clinical_columns": np.asarray(cohort.clinical.columns, dtype=str),
        "sample_ids": np.asarray(cohort.clinical.index, dtype=str),
        "y": cohort.y,
        "risk": cohort.risk,
        "prs": cohort.prs,
        "proxies_flat": (np.concatenate(proxies) if proxies else np.zeros(0, np.int64)),
        "proxies_sizes": np.array([p.size for p in proxies], dtype=np.int64),
        "snp_name": cohort.snp_info["name"].to_numpy(dtype=str),
        **{f"snp_{c}": cohort.snp_info[c].to_numpy() for c in SNP_INFO_COLUMNS[1:]},
        **{name: getattr(truth, name) for name in _TRUTH_ARRAYS},
    }
    if cohort.genotypes is not None:
        arrays["genotypes"] = cohort.genotypes
    meta = {name: getattr(truth, name) for name in _TRUTH_SCALARS}
    meta["clinical_variables"] = list(meta["clinical_variables"])
    arrays["meta"] = np.asarray(json.dumps(meta))
    # Atomic: an interrupted run leaves no half-written cache that a later call would
    # load.
    atomic_write(path, lambda handle: np.savez(handle, **arrays))


def _load(path: Path, config: dict) -> FraminghamLikeCohort | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        meta = json.loads(str(arrays["meta"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        logger.warning("Ignoring unreadable cache file %s (%s); regenerating.", path, exc)
        return None
    if meta["config"] != config:  # hash collision or a stale format: do not trust it
        return None
    clinical = pd.DataFrame(arrays["clinical"], columns=list(arrays["clinical_columns"]),
                            index=pd.Index(arrays["sample_ids"].astype(object),
                                           name="sample_id"))
    snp_info = pd.DataFrame({"name": arrays["snp_name"].astype(object)})
    for c in SNP_INFO_COLUMNS[1:]:
        snp_info[c] = arrays[f"snp_{c}"]
    if snp_info.empty:
        snp_info = _empty_snp_info()
    bounds = np.cumsum(arrays["proxies_sizes"])[:-1]
    proxies = (tuple(np.split(arrays["proxies_flat"], bounds))
               if arrays["proxies_sizes"].size else ())
    truth = CohortTruth(
        ld_proxies=proxies,
        **{name: arrays[name] for name in _TRUTH_ARRAYS},
        **{**meta, "clinical_variables": tuple(meta["clinical_variables"])},
    )
    return FraminghamLikeCohort(clinical=clinical, genotypes=arrays.get("genotypes"),
                                snp_info=snp_info, y=arrays["y"], risk=arrays["risk"],
                                prs=arrays["prs"], truth=truth)


"""Clinical part of the simulated Framingham-style cohort.

A sequential generative model (one equation per variable, each conditioned on the ones
drawn before it) fitted to the public Framingham teaching file. The coefficients are
those of ``SIMULATOR.md`` ("Clinical generative model", steps 1-15); everything is
vectorized over patients and all randomness comes from one ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

__all__ = [
    "add_missing_values",
    "CATEGORICAL_COLUMNS",
    "CONTINUOUS_COLUMNS",
    "CLINICAL_COLUMNS",
    "MISSING_RATES",
    "TEACHING_NAMES",
    "rename_teaching_columns",
    "simulate_clinical",
]

#: Continuous columns, named as in the original (frmgham2-based) heat maps.
CONTINUOUS_COLUMNS: tuple[str, ...] = (
    "SYSBP1",
    "DIABP1",
    "TOTCHOL1",
    "BMI1",
    "HEARTRTE1",
    "GLUCOSE1",
    "AGE1",
    "CIGPDAY1",
)

#: Categorical columns and their levels (stored as floats, so that one-hot encoding in
#: the pandas ``get_dummies`` style yields the original names ``SEX_1.0``, ``SEX_2.0``...).
#: SEX follows frmgham2: 1 = male, 2 = female.
CATEGORICAL_COLUMNS: dict[str, tuple[float, ...]] = {
    "SEX": (1.0, 2.0),
    "EDUC": (1.0, 2.0, 3.0, 4.0),
    "CURSMOKE": (0.0, 1.0),
    "BPMEDS": (0.0, 1.0),
    "PREVSTRK": (0.0, 1.0),
    "PREVHYP": (0.0, 1.0),
    "DIAB": (0.0, 1.0),
}

#: Column order of :func:`simulate_clinical`'s output.
CLINICAL_COLUMNS: tuple[str, ...] = CONTINUOUS_COLUMNS + tuple(CATEGORICAL_COLUMNS)

#: Original column name -> name in the teaching file ``framingham.csv``.
#: Note the coding of sex differs: ``male = 2 - SEX`` (teaching file 1 = male, 0 = female).
TEACHING_NAMES: dict[str, str] = {
    "SEX": "male",
    "AGE1": "age",
    "EDUC": "education",
    "CURSMOKE": "currentSmoker",
    "CIGPDAY1": "cigsPerDay",
    "BPMEDS": "BPMeds",
    "PREVSTRK": "prevalentStroke",
    "PREVHYP": "prevalentHyp",
    "DIAB": "diabetes",
    "TOTCHOL1": "totChol",
    "SYSBP1": "sysBP",
    "DIABP1": "diaBP",
    "BMI1": "BMI",
    "HEARTRTE1": "heartRate",
    "GLUCOSE1": "glucose",
}

# Missing counts among the 4,240 participants of framingham.csv (SIMULATOR.md), turned
# into per-column rates. Used for MCAR missingness: the real pattern is surely not
# completely at random (glucose is more often missing in non-diabetics, for instance),
# but MCAR is enough to exercise the imputation / complete-case code paths.
_N_REAL = 4240
MISSING_RATES: dict[str, float] = {
    "GLUCOSE1": 388 / _N_REAL,
    "EDUC": 105 / _N_REAL,
    "BPMEDS": 53 / _N_REAL,
    "TOTCHOL1": 50 / _N_REAL,
    "CIGPDAY1": 29 / _N_REAL,
    "BMI1": 19 / _N_REAL,
    "HEARTRTE1": 1 / _N_REAL,
}

# Step 3: heaped cigarettes-per-day distributions among smokers (values -> probability);
# "other" is spread uniformly over the integers 1..49 not listed. The men's table sums
# to 1.001 in SIMULATOR.md (rounding); it is renormalized below.
_CIGS_WOMEN = {1: .052, 2: .013, 3: .073, 5: .095, 9: .097, 10: .101, 15: .116,
               20: .308, 25: .018, 30: .051, 40: .011, 43: .011}
_CIGS_WOMEN_OTHER = .054
_CIGS_MEN = {1: .015, 3: .027, 5: .027, 9: .033, 10: .041, 15: .089, 20: .397, 25: .035,
             30: .154, 35: .016, 40: .063, 43: .041, 60: .010}
_CIGS_MEN_OTHER = .053

_EDUC_CUTS = np.array([-0.335, 0.984, 2.098])


def _heaped_table(listed: dict[int, float], other: float) -> tuple[np.ndarray, np.ndarray]:
    """Support and probabilities of one heaped cigarettes-per-day distribution."""
    rest = np.array([v for v in range(1, 50) if v not in listed])
    values = np.concatenate([np.array(list(listed)), rest])
    probs = np.concatenate(
        [np.array(list(listed.values())), np.full(rest.size, other / rest.size)]
    )
    return values, probs / probs.sum()


def _bernoulli(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    return (rng.random(p.shape) < p).astype(np.float64)


def simulate_clinical(
    n_samples: int,
    *,
    random_state: np.random.Generator | int | None = None,
    missing: bool = False,
) -> pd.DataFrame:
    """Draw clinical variables for ``n_samples`` Framingham-like participants.

    Sequential model fitted to the Framingham teaching file (``ac = age - 50``,
    ``expit`` the logistic function, ``N(m, s)`` a normal with standard deviation s)::

        male ~ Bern(0.429);  age = clip(round(N(49.6, 8.57)), 32, 70)
        smoker ~ Bern(expit(-0.399 + 0.819 male - 0.0521 ac))
        cigsPerDay = 0 if not smoker, else a sex-specific heaped distribution
        education = 1 + #{cuts < Logistic + (-0.042 ac - 0.054 male)}
        BMI     = exp(3.2473 + 0.0435 male + 0.00188 ac - 0.0539 smoker + N(0, 0.148))
        totChol = exp(5.3544 - 0.0248 male + 0.00571 ac + 0.00422 BMI + N(0, 0.177))
        sysBP   = exp(4.5949 - 0.0117 male + 0.00649 ac + 0.01108 BMI + N(0, 0.1375))
        diaBP   = 15.42 + 0.4305 sysBP + 0.3755 BMI + 1.743 male - 0.1736 ac + N(0, 7.04)
        heartRate = 59.88 - 3.18 male + 2.40 smoker + 0.1218 sysBP - 0.1167 ac
                    + N(0, 11.64)
        diabetes ~ Bern(expit(-6.483 + 0.0702 ac + 0.0952 BMI + 0.279 male))
        glucose = exp(N(5.021, 0.4885)) if diabetic, else
                  exp(4.3232 + 0.00173 ac + 0.00159 BMI + N(0, 0.1565))
        prevalentHyp ~ Bern(expit(-24.315 + 0.10684 sysBP + 0.08368 diaBP
                                  + 0.02786 ac + 0.06926 BMI))
        BPMeds = prevalentHyp * Bern(expit(-4.760 + 0.01661 sysBP + 0.01706 ac
                                           - 0.5496 male))
        prevalentStroke ~ Bern(expit(-6.185 + 0.0618 ac + 1.628 prevalentHyp))

    then rounded as in the real file: blood pressures to 0.5 mmHg, cholesterol, heart
    rate and glucose to integers, BMI to two decimals. Later equations use the unrounded
    values of earlier variables.

    Parameters
    ----------
    n_samples : int
        Number of participants (rows), >= 0.
    random_state : numpy.random.Generator, int or None, default=None
        Source of randomness. An int or None seeds a new ``numpy.random.default_rng``.
    missing : bool, default=False
        If True, blank out values (NaN) completely at random (MCAR) at the per-column
        rates of the teaching file (:data:`MISSING_RATES`: glucose 9.2%, education
        2.5%, BP medication 1.3%, cholesterol 1.2%, cigarettes 0.7%, BMI 0.4%, heart
        rate 0.02%). The missingness is drawn after every value, so the observed
        values equal those of ``missing=False`` with the same generator state.

    Returns
    -------
    pandas.DataFrame of shape (n_samples, 15)
        Columns :data:`CLINICAL_COLUMNS` (original heat-map names), all float64; SEX
        coded 1 = male, 2 = female; the other categoricals 0/1 (EDUC 1..4).

    See Also
    --------
    rename_teaching_columns : the teaching file's columns under these names.
    riata.data.make_framingham_like : the full cohort, with genotypes and an outcome.

    References
    ----------
    Framingham Heart Study teaching data set, NHLBI Biologic Specimen and Data
    Repository Information Coordinating Center (BioLINCC).

    Examples
    --------
    >>> frame = simulate_clinical(1000, random_state=0)
    >>> frame.shape
    (1000, 15)
    >>> sorted(frame["SEX"].unique().tolist())
    [1.0, 2.0]
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise ValueError(f"n_samples must be a non-negative int; got {n_samples!r}.")
    if n_samples < 0:
        raise ValueError(f"n_samples must be a non-negative int; got {n_samples}.")
    rng = np.random.default_rng(random_state)
    n = int(n_samples)

    male = _bernoulli(rng, np.full(n, 0.429))
    age = np.clip(np.round(rng.normal(49.6, 8.57, n)), 32, 70)
    ac = age - 50.0
    smoker = _bernoulli(rng, expit(-0.399 + 0.819 * male - 0.0521 * ac))

    # Self-reported cigarettes per day heap at 10, 20, 30, 40 (half packs, packs); draw
    # every row from both tables and keep the one that applies (vectorized, and the
    # stream of draws does not depend on the mix of sexes).
    cigs = np.zeros(n)
    for is_male, (values, probs) in (
        (1.0, _heaped_table(_CIGS_MEN, _CIGS_MEN_OTHER)),
        (0.0, _heaped_table(_CIGS_WOMEN, _CIGS_WOMEN_OTHER)),
    ):
        draw = rng.choice(values, size=n, p=probs).astype(np.float64)
        rows = (smoker == 1.0) & (male == is_male)
        cigs[rows] = draw[rows]

    latent = rng.logistic(size=n) + (-0.042 * ac - 0.054 * male)
    education = 1.0 + (latent[:, None] > _EDUC_CUTS[None, :]).sum(axis=1)

    bmi = np.exp(3.2473 + 0.0435 * male + 0.00188 * ac - 0.0539 * smoker
                 + rng.normal(0.0, 0.148, n))
    tot_chol = np.exp(5.3544 - 0.0248 * male + 0.00571 * ac + 0.00422 * bmi
                      + rng.normal(0.0, 0.177, n))
    sys_bp = np.exp(4.5949 - 0.0117 * male + 0.00649 * ac + 0.01108 * bmi
                    + rng.normal(0.0, 0.1375, n))
    dia_bp = (15.42 + 0.4305 * sys_bp + 0.3755 * bmi + 1.743 * male - 0.1736 * ac
              + rng.normal(0.0, 7.04, n))
    heart_rate = (59.88 - 3.18 * male + 2.40 * smoker + 0.1218 * sys_bp - 0.1167 * ac
                  + rng.normal(0.0, 11.64, n))
    diabetes = _bernoulli(rng, expit(-6.483 + 0.0702 * ac + 0.0952 * bmi + 0.279 * male))
    # Both glucose branches are drawn for every row so the stream is fixed-length.
    glucose_diabetic = np.exp(rng.normal(5.021, 0.4885, n))
    glucose_other = np.exp(4.3232 + 0.00173 * ac + 0.00159 * bmi
                           + rng.normal(0.0, 0.1565, n))
    glucose = np.where(diabetes == 1.0, glucose_diabetic, glucose_other)
    prev_hyp = _bernoulli(rng, expit(-24.315 + 0.10684 * sys_bp + 0.08368 * dia_bp
                                     + 0.02786 * ac + 0.06926 * bmi))
    bp_meds = prev_hyp * _bernoulli(rng, expit(-4.760 + 0.01661 * sys_bp + 0.01706 * ac
                                               - 0.5496 * male))
    prev_stroke = _bernoulli(rng, expit(-6.185 + 0.0618 * ac + 1.628 * prev_hyp))

    frame = pd.DataFrame(
        {
            "SYSBP1": np.round(sys_bp * 2.0) / 2.0,
            "DIABP1": np.round(dia_bp * 2.0) / 2.0,
            "TOTCHOL1": np.round(tot_chol),
            "BMI1": np.round(bmi, 2),
            "HEARTRTE1": np.round(heart_rate),
            "GLUCOSE1": np.round(glucose),
            "AGE1": age,
            "CIGPDAY1": cigs,
            "SEX": 2.0 - male,
            "EDUC": education,
            "CURSMOKE": smoker,
            "BPMEDS": bp_meds,
            "PREVSTRK": prev_stroke,
            "PREVHYP": prev_hyp,
            "DIAB": diabetes,
        },
        columns=list(CLINICAL_COLUMNS),
    )
    if missing:
        frame = add_missing_values(frame, rng)
    return frame


def add_missing_values(
    frame: pd.DataFrame, random_state: np.random.Generator | int | None = None
) -> pd.DataFrame:
    """Blank out clinical values completely at random at the teaching file's rates.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with (some of) the columns of :data:`MISSING_RATES`.
    random_state : numpy.random.Generator, int or None, default=None
        Source of randomness.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` in which each value of column ``c`` is NaN with probability
        ``MISSING_RATES[c]``, independently of everything else (MCAR).
    """
    rng = np.random.default_rng(random_state)
    out = frame.copy()
    for column, rate in MISSING_RATES.items():
        if column in out.columns:
            out.loc[rng.random(len(out)) < rate, column] = np.nan
    return out


def rename_teaching_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the teaching file's clinical columns under the original heat-map names.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with the column names of ``framingham.csv`` (``male``, ``age``, ...);
        other columns (``PatientID``, ``TenYearCHD``) are dropped.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CLINICAL_COLUMNS`, float64, with ``SEX = 2 - male`` so that
        1 = male and 2 = female as in frmgham2 and :func:`simulate_clinical`.
    """
    missing = [t for t in TEACHING_NAMES.values() if t not in frame.columns]
    if missing:
        raise ValueError(
            f"frame lacks the teaching-file columns {missing}; expected all of "
            f"{sorted(TEACHING_NAMES.values())}."
        )
    out = pd.DataFrame(
        {orig: frame[teach].astype(np.float64) for orig, teach in TEACHING_NAMES.items()},
        index=frame.index,
    )
    out["SEX"] = 2.0 - out["SEX"]
    return out[list(CLINICAL_COLUMNS)]

"""A researcher's cohort files made into train / validation / test inputs.

Reads the clinical table (and a PLINK fileset), matches samples by id, decides the
task, splits the samples (stratified for classification, seeded), learns every
preprocessing statistic on the training split and builds the input matrix of each
split: encoded clinical columns first, then (with genotypes) the linear genotype
kernel of each sample against the training samples, built from the int8 genotypes in
blocks of SNPs (the network's encoder reads it: ``encoder_kernel="precomputed"``).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import ClinicalEncoder, DataError, DataWarning, genotype_kernel, read_table
from ..io import assemble_features, count_missing_calls
from ._cohort_config import CohortFitConfig

__all__ = ["PreparedCohort", "prepare_cohort"]

logger = logging.getLogger("riata")

#: A text column whose values are at least this share numbers is a numeric column
#: with a typo, not a categorical one (unless declared categorical).
_NUMERIC_SHARE = 0.9
#: Fewest samples of each class a stratified three-way split can work with.
_MIN_PER_CLASS = 3
_MISSING_POLICY = {
    "impute": "imputed with the training median (numbers) or mode (categories)",
    "indicator": "imputed and flagged in VARIABLE_missing columns",
}


class Notes(list):
    """The warnings of a run: kept for ``config.json`` and passed on as they arise.

    Each message goes to ``on_warning(message)``, or, when that is None, out through
    :func:`warnings.warn` as a :class:`~riata.data.DataWarning`.
    """

    def __init__(self, on_warning=None):
        super().__init__()
        self.on_warning = on_warning

    def add(self, message: str) -> None:
        self.append(message)
        if self.on_warning is None:
            warnings.warn(message, DataWarning, stacklevel=3)
        else:
            self.on_warning(message)

    def collect(self, caught) -> None:
        """Add the DataWarnings among ``caught``; pass any other warning on."""
        for item in caught:
            if issubclass(item.category, DataWarning):
                self.add(str(item.message))
            else:
                warnings.warn_explicit(item.message, item.category, item.filename,
                                       item.lineno)


@dataclass
class PreparedCohort:
    """Inputs, targets and preprocessing of one cohort, split three ways.

    ``X`` maps ``"train"``, ``"valid"`` and ``"test"`` to float32 matrices
    ``[clinical | K]``, ``K`` the genotype kernel of the split's samples against the
    training samples (no ``K`` without genotypes); ``first_names`` and ``first_groups`` name the
    network's first-layer inputs (the genetic units first, then the clinical
    columns) and their penalty groups.
    """

    table: object
    task: str
    y: np.ndarray
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    X: dict
    encoder: ClinicalEncoder | None
    clinical_names: list
    n_snps: int
    first_names: list
    first_groups: list
    variable_of: dict
    genotype_stats: dict | None = None
    missing_values: dict = field(default_factory=dict)
    missing_calls: dict = field(default_factory=dict)

    @property
    def n_clinical(self) -> int:
        return len(self.clinical_names)

    def rows(self):
        """``(name, row indices)`` of the three splits."""
        return (("train", self.train), ("valid", self.valid), ("test", self.test))


def prepare_cohort(config: CohortFitConfig, notes: Notes,
                   encoder_dim: int) -> PreparedCohort:
    """Read, check, split and encode ``config``'s files; see the module docstring."""
    clinical_path = Path(config.clinical)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        table = read_table(
            clinical_path, target=config.target, id_column=config.id_column,
            plink_prefix=config.genotypes, categorical=list(config.categorical) or None,
            numeric=list(config.numeric) or None, drop=list(config.drop) or None,
            min_samples=config.min_samples)
    notes.collect(caught)
    _check_numeric_typos(table.clinical, clinical_path, config.categorical)
    task, y = _task_and_target(table.y, config, clinical_path)
    train, valid, test = _split(y, task, config, clinical_path)
    logger.info("riata fit: %d samples (%d train, %d validation, %d test), task %s",
                y.size, train.size, valid.size, test.size, task)
    data = PreparedCohort(table=table, task=task, y=y, train=train, valid=valid,
                          test=test, X={}, encoder=None, clinical_names=[], n_snps=0,
                          first_names=[], first_groups=[], variable_of={})
    encoded, column_groups = _encode_clinical(data, config, notes, clinical_path)
    mean, scale = _genotype_statistics(data, notes)
    data.X = {name: assemble_features(encoded, None, rows) for name, rows in data.rows()}
    if table.genotypes is not None:
        # The kernel of every sample against the training samples, in one pass over
        # the SNPs: every model trains on it, so no float copy of the genotypes is made.
        order = np.concatenate([rows for _, rows in data.rows()])
        kernel = genotype_kernel(table.genotypes, data.train, rows=order, mean=mean,
                                 scale=scale)
        start = 0
        for name, rows in data.rows():
            data.X[name] = np.hstack([data.X[name], kernel[start:start + rows.size]])
            start += rows.size
    for name, block in data.X.items():
        if not np.isfinite(block).all():  # pragma: no cover - the readers refuse these
            raise DataError(f"The {name} features hold NaN or infinite values after "
                            "preprocessing; please report this as a riata bug.")
    genetic = [f"genetic_{k}" for k in range(encoder_dim)] if data.n_snps else []
    clash = sorted(set(data.clinical_names) & set(genetic))
    if clash:
        raise DataError(f"Clinical file '{clinical_path}': column(s) {clash} have the "
                        "names riata gives the genetic units; rename them.")
    data.first_names = genetic + data.clinical_names
    data.first_groups = ([f"genetic:{k}" for k in range(len(genetic))]
                         + [f"clinical:{g}" for g in column_groups])
    data.variable_of = dict(zip(data.first_names,
                                ["genetics"] * len(genetic) + column_groups))
    return data


def _encode_clinical(data: PreparedCohort, config: CohortFitConfig, notes: Notes,
                     clinical_path: Path):
    """Fit the clinical encoder on the training rows.

    Returns the encoded columns of every sample (None without clinical columns) and
    the variable of each encoded column.
    """
    frame = data.table.clinical
    if frame is None:
        return None, []
    data.missing_values = {str(c): int(n) for c, n in frame.isna().sum().items() if n}
    encoder = ClinicalEncoder(missing=config.missing)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            encoder.fit(frame.iloc[data.train])
            encoded = encoder.transform(frame)
    except DataError as err:
        raise DataError(f"Clinical file '{clinical_path}': {err}") from None
    notes.collect(caught)
    data.encoder = encoder
    data.clinical_names = [str(n) for n in encoder.get_feature_names_out()]
    if data.missing_values:
        notes.add(f"Clinical file '{clinical_path}': missing values in "
                  + ", ".join(f"'{c}' ({n})" for c, n in data.missing_values.items())
                  + f" were {_MISSING_POLICY[config.missing]}.")
    return encoded, [str(encoder.group_names_[g]) for g in encoder.feature_groups_]


def _genotype_statistics(data: PreparedCohort, notes: Notes):
    """Training mean and scale of each SNP (None, None without genotypes).

    The genotypes stay int8 until the split matrices standardize them by blocks.
    """
    genotypes = data.table.genotypes
    if genotypes is None:
        return None, None
    data.n_snps = genotypes.n_snps
    mean, scale = genotypes.mean_and_scale(data.train)
    data.genotype_stats = {"snp_names": genotypes.snp_names, "mean": mean,
                           "scale": scale, "allele_1": genotypes.allele_1,
                           "allele_2": genotypes.allele_2,
                           "chromosome": genotypes.chromosome}
    data.missing_calls = {name: count_missing_calls(genotypes, rows)
                          for name, rows in data.rows()}
    calls = data.missing_calls
    if sum(calls.values()):
        notes.add(f"{sum(calls.values())} missing genotype call(s) ({calls['train']} "
                  f"train, {calls['valid']} validation, {calls['test']} test) were "
                  "imputed by the training mean of their SNP.")
    return mean, scale


def _check_numeric_typos(frame, path: Path, declared) -> None:
    """Refuse a mostly numeric column that a few text cells made categorical."""
    if frame is None:
        return
    for column in frame.columns:
        series = frame[column]
        if column in declared or not isinstance(series.dtype, pd.CategoricalDtype):
            continue
        observed = series.dropna().astype(str)
        numbers = pd.to_numeric(observed, errors="coerce")
        is_number = numbers.notna().to_numpy()
        if observed.size and not is_number.all() and is_number.mean() >= _NUMERIC_SHARE:
            first = int(np.flatnonzero(~is_number)[0])
            raise DataError(
                f"Clinical file '{path}': column '{column}' looks numeric "
                f"({int(is_number.sum())} of {observed.size} values are numbers) but "
                f"has the non-numeric value {observed.iloc[first]!r} for id "
                f"{str(observed.index[first])!r}. Fix the value or leave the cell "
                f"empty (missing); to keep the column as categories, pass "
                f"--categorical {column}.")


def _task_and_target(y: np.ndarray, config: CohortFitConfig, path: Path):
    """The task, and the target ready for it (checked against the task)."""
    target = config.target
    values, counts = np.unique(y.astype(str) if y.dtype == object else y,
                               return_counts=True)
    integral = y.dtype != object and np.issubdtype(y.dtype, np.integer)
    task = config.task
    if task == "auto":
        task = ("classification" if y.dtype == object or (
            integral and values.size <= config.max_classes) else "regression")
    if task == "regression":
        if y.dtype == object:
            raise DataError(f"Clinical file '{path}': target column '{target}' has text "
                            f"values (e.g. {values[0]!r}); regression needs numbers. "
                            "Use --task classification for class labels.")
        return task, y.astype(np.float64)
    if values.size > config.max_classes:
        raise DataError(
            f"Clinical file '{path}': target column '{target}' has {values.size} "
            f"distinct values; classification allows at most {config.max_classes} "
            "classes (--max-classes). If the target is a measurement, use --task "
            "regression; if it really has that many classes, raise --max-classes.")
    if y.dtype != object and not integral:
        raise DataError(f"Clinical file '{path}': target column '{target}' has "
                        "non-integer numbers; class labels must be integers or text. "
                        "Use --task regression for a measurement.")
    rare = [(v, c) for v, c in zip(values.tolist(), counts.tolist())
            if c < _MIN_PER_CLASS]
    if rare:
        shown = ", ".join(f"{v!r} ({c} sample{'s' if c > 1 else ''})" for v, c in rare)
        raise DataError(
            f"Clinical file '{path}': target column '{target}' has class(es) with fewer "
            f"than {_MIN_PER_CLASS} samples: {shown}. A stratified train / validation / "
            "test split needs at least 3 of each class; merge or drop the rare class.")
    return task, y


def _split(y, task: str, config: CohortFitConfig, path: Path):
    """Sorted train / validation / test row indices (stratified for classification)."""
    from sklearn.model_selection import train_test_split

    n = y.shape[0]
    seed = config.seed
    stratify = y if task == "classification" else None
    idx = np.arange(n)
    try:
        rest, test = train_test_split(idx, test_size=config.test_size,
                                      stratify=stratify, random_state=seed)
        valid_share = config.valid_size / (1 - config.test_size)
        train, valid = train_test_split(
            rest, test_size=valid_share,
            stratify=None if stratify is None else stratify[rest],
            random_state=seed + 1)
    except ValueError as err:
        raise DataError(f"Clinical file '{path}': {n} samples cannot be split into "
                        f"train / validation / test with test_size "
                        f"{config.test_size} and valid_size {config.valid_size}: "
                        f"{err}") from err
    if min(train.size, valid.size, test.size) < 2:
        raise DataError(f"Clinical file '{path}': {n} samples leave only {train.size} "
                        f"/ {valid.size} / {test.size} for train / validation / test; "
                        "riata needs more samples.")
    return np.sort(train), np.sort(valid), np.sort(test)

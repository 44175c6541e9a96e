"""From a Table to model inputs: task, split, clinical encoding, genotype statistics.

Every statistic (levels, medians, means and scales of clinical columns; each SNP's mean
and scale; the genotype kernel's reference samples) is learned on the training rows
only. Genotypes stay int8: a model's inputs are built for the rows and SNP columns it
needs (:meth:`PreparedInputs.design`), and the kernel of a kernel encoder is built
from the int8 calls one block of SNPs at a time.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..data import (
    ClinicalEncoder,
    DataError,
    DataWarning,
    Genotypes,
    Table,
    genotype_kernel,
    positive_label,
    standardized_columns,
)
from ._notes import Notes
from ._split import Split, split_samples

__all__ = ["PreparedInputs", "prepare_inputs", "TASKS"]

logger = logging.getLogger("riata")

#: The accepted values of ``task``.
TASKS = ("auto", "classification", "regression")
#: Fewest samples of each class a stratified three-way split can work with.
_MIN_PER_CLASS = 3
_MISSING_POLICY = {
    "impute": "imputed with the training median (numbers) or mode (categories)",
    "indicator": "imputed and flagged in VARIABLE_missing columns",
}


@dataclass(frozen=True, eq=False)
class PreparedInputs:
    """A table split three ways and encoded, ready for any model of a run.

    Attributes
    ----------
    table : Table
    task : {"classification", "regression"}
    y : ndarray of shape (n_samples,)
        The target: class labels, or numbers for regression.
    split : Split
    clinical : ndarray of shape (n_samples, n_clinical), float32, or None
        Encoded clinical columns of every sample.
    clinical_names : tuple of str
        Their names (``AGE1``, ``SEX_1.0`` ...).
    clinical_groups : tuple of str
        The original variable of each encoded column (a one-hot set shares one).
    encoder : ClinicalEncoder or None
        Fitted on the training rows.
    genotype_mean, genotype_scale : ndarray of shape (n_snps,) or None
        Training statistics of each SNP.
    missing_values : dict
        Clinical column -> number of missing values.
    missing_calls : dict
        Split -> number of missing genotype calls.
    positive_class : object or None
        The class whose AUROC, average precision and Brier score a binary classifier
        reports (:func:`riata.data.positive_label`); None for other tasks.
    positive_reason : str
        How it was chosen ("requested", "the larger number" ...).
    """

    table: Table
    task: str
    y: np.ndarray
    split: Split
    clinical: np.ndarray | None
    clinical_names: tuple
    clinical_groups: tuple
    encoder: ClinicalEncoder | None
    genotype_mean: np.ndarray | None = None
    genotype_scale: np.ndarray | None = None
    missing_values: dict = field(default_factory=dict)
    missing_calls: dict = field(default_factory=dict)
    positive_class: object = None
    positive_reason: str = ""

    @property
    def genotypes(self) -> Genotypes | None:
        return self.table.genotypes

    @property
    def n_snps(self) -> int:
        return 0 if self.genotypes is None else self.genotypes.n_snps

    @property
    def n_clinical(self) -> int:
        return len(self.clinical_names)

    @property
    def snp_names(self) -> np.ndarray:
        return (np.zeros(0, dtype=object) if self.genotypes is None
                else self.genotypes.snp_names)

    def rows(self, name: str) -> np.ndarray:
        """The row indices of split ``name`` ("train", "valid" or "test")."""
        return dict(self.split.items())[name]

    def target(self, name: str) -> np.ndarray:
        return self.y[self.rows(name)]

    @cached_property
    def kernel(self) -> np.ndarray:
        """``K = Z Z_train^T / n_snps`` of every sample against the training samples.

        Built once, on first use, from the int8 genotypes in blocks of SNPs
        (:func:`riata.data.genotype_kernel`); float32, ``(n_samples, n_train)``.
        """
        started = time.perf_counter()
        kernel = genotype_kernel(self.genotypes, self.split.train,
                                 mean=self.genotype_mean, scale=self.genotype_scale)
        logger.info("genotype kernel (%d x %d from %d SNPs): %.1f s", kernel.shape[0],
                    kernel.shape[1], self.n_snps, time.perf_counter() - started)
        return kernel

    def design(self, name: str, *, clinical: bool = True, kernel: bool = False,
               snp_columns=None) -> np.ndarray:
        """The float32 input matrix of split ``name``.

        Columns: the encoded clinical columns (``clinical``), then the kernel columns
        of a kernel encoder (``kernel``) or the standardized SNPs ``snp_columns``.
        """
        rows = self.rows(name)
        blocks = []
        if clinical and self.clinical is not None:
            blocks.append(self.clinical[rows])
        if kernel:
            blocks.append(self.kernel[rows])
        if snp_columns is not None and len(snp_columns):
            blocks.append(standardized_columns(self.genotypes, rows, snp_columns,
                                               self.genotype_mean, self.genotype_scale))
        if not blocks:
            return np.zeros((rows.size, 0), dtype=np.float32)
        return np.hstack(blocks).astype(np.float32, copy=False)


def prepare_inputs(table: Table, *, task: str = "auto", max_classes: int = 10,
                   test_size: float = 0.2, valid_size: float = 0.2, seed: int = 0,
                   missing: str = "impute", notes: Notes | None = None,
                   source: str = "the data") -> PreparedInputs:
    """Decide the task, split the samples and learn the preprocessing on the train rows.

    Parameters
    ----------
    table : Table
    task : {"auto", "classification", "regression"}, default="auto"
        ``"auto"``: classification for text labels or integer labels with at most
        ``max_classes`` values, else regression.
    max_classes : int, default=10
    test_size, valid_size, seed
        See :func:`split_samples`.
    missing : {"impute", "indicator", "error"}, default="impute"
        Policy for missing clinical values (:class:`riata.data.ClinicalEncoder`).
    notes : Notes, optional
        Collects the warnings of the run.
    source : str
        How messages name the data (e.g. ``"Clinical file 'cohort.csv'"``).

    Returns
    -------
    PreparedInputs

    Raises
    ------
    DataError
        If the target does not suit the task, the samples cannot be split, or the
        clinical columns cannot be encoded.
    """
    notes = Notes() if notes is None else notes
    task, y = _task_and_target(table, task, max_classes, source)
    positive, reason = _positive_class(table, task, y, source)
    if reason == "the second in sorted order":
        notes.add(f"{source}: target column '{table.target_name}': positive class "
                  f"{positive!r} ({reason}; its labels name no known positive class). "
                  "AUROC, AP and Brier score are for this class; choose the other with "
                  "--positive-class.")
    elif positive is not None:
        logger.info("positive class %r (%s): AUROC, AP and Brier score are for it",
                    positive, reason)
    split = split_samples(y, stratify=task == "classification", test_size=test_size,
                          valid_size=valid_size, seed=seed, source=source)
    logger.info("%d samples (%d train, %d validation, %d test), task %s", y.size,
                split.train.size, split.valid.size, split.test.size, task)
    clinical, names, groups, encoder, missing_values = _encode_clinical(
        table, split, missing, notes, source)
    mean = scale = None
    calls = {}
    if table.genotypes is not None:
        mean, scale = table.genotypes.mean_and_scale(split.train)
        calls = {name: table.genotypes.missing_calls(rows) for name, rows in split.items()}
        if sum(calls.values()):
            notes.add(f"{sum(calls.values())} missing genotype call(s) ({calls['train']} "
                      f"train, {calls['valid']} validation, {calls['test']} test) were "
                      "imputed by the training mean of their SNP.")
    return PreparedInputs(table=table, task=task, y=y, split=split, clinical=clinical,
                          clinical_names=names, clinical_groups=groups, encoder=encoder,
                          genotype_mean=mean, genotype_scale=scale,
                          missing_values=missing_values, missing_calls=calls,
                          positive_class=positive, positive_reason=reason)


def _encode_clinical(table: Table, split: Split, missing: str, notes: Notes, source: str):
    frame = table.clinical
    if frame is None:
        return None, (), (), None, {}
    missing_values = {str(c): int(n) for c, n in frame.isna().sum().items() if n}
    encoder = ClinicalEncoder(missing=missing)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            encoder.fit(frame.iloc[split.train])
            encoded = encoder.transform(frame)
    except DataError as err:
        raise DataError(f"{source}: {err}") from None
    notes.collect(caught)
    if missing_values:
        notes.add(f"{source}: missing values in "
                  + ", ".join(f"'{c}' ({n})" for c, n in missing_values.items())
                  + f" were {_MISSING_POLICY.get(missing, missing)}.")
    names = tuple(str(n) for n in encoder.get_feature_names_out())
    groups = tuple(str(encoder.group_names_[g]) for g in encoder.feature_groups_)
    if not np.isfinite(encoded).all():  # pragma: no cover - the readers refuse these
        raise DataError(f"{source}: the encoded clinical columns hold NaN or infinite "
                        "values; please report this as a riata bug.")
    return (np.asarray(encoded, dtype=np.float32), names, groups, encoder,
            missing_values)


def _positive_class(table: Table, task: str, y: np.ndarray, source: str):
    """The positive class of a binary target and how it was chosen (None otherwise)."""
    classes = np.unique(y.astype(str) if y.dtype == object else y)
    if task == "classification" and classes.size == 2:
        return positive_label(classes, table.positive_class,
                              target=table.target_name, source=source)
    if table.positive_class is not None:
        kind = (f"a classification target with {classes.size} classes"
                if task == "classification" else "a regression target")
        raise DataError(f"{source}: --positive-class {table.positive_class!r} applies "
                        f"to a binary target; '{table.target_name}' is {kind}.")
    return None, ""


def _task_and_target(table: Table, task: str, max_classes: int, source: str):
    """The task, and the target ready for it (checked against the task)."""
    y = table.y
    target = table.target_name
    if task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}; got {task!r}.")
    values, counts = np.unique(y.astype(str) if y.dtype == object else y,
                               return_counts=True)
    integral = y.dtype != object and np.issubdtype(y.dtype, np.integer)
    if task == "auto":
        task = ("classification" if y.dtype == object or (
            integral and values.size <= max_classes) else "regression")
    if task == "regression":
        if y.dtype == object:
            raise DataError(f"{source}: target column '{target}' has text values (e.g. "
                            f"{values[0]!r}); regression needs numbers. Use --task "
                            "classification for class labels.")
        return task, y.astype(np.float64)
    if values.size > max_classes:
        raise DataError(
            f"{source}: target column '{target}' has {values.size} distinct values; "
            f"classification allows at most {max_classes} classes (--max-classes). If "
            "the target is a measurement, use --task regression; if it really has that "
            "many classes, raise --max-classes.")
    if y.dtype != object and not integral:
        raise DataError(f"{source}: target column '{target}' has non-integer numbers; "
                        "class labels must be integers or text. Use --task regression "
                        "for a measurement.")
    if values.size < 2:
        raise DataError(f"{source}: target column '{target}' has a single class "
                        f"({values[0]!r}); a classifier needs at least two.")
    rare = [(v, c) for v, c in zip(values.tolist(), counts.tolist()) if c < _MIN_PER_CLASS]
    if rare:
        shown = ", ".join(f"{v!r} ({c} sample{'s' if c > 1 else ''})" for v, c in rare)
        raise DataError(
            f"{source}: target column '{target}' has class(es) with fewer than "
            f"{_MIN_PER_CLASS} samples: {shown}. A stratified train / validation / test "
            "split needs at least 3 of each class; merge or drop the rare class.")
    return task, y

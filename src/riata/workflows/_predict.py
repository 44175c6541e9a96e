"""Applying a saved model to new samples: files in, predictions out.

``riata predict`` is :func:`predict_cohort`: the model directory is loaded (nothing is
unpickled), the new clinical file is read and encoded with the statistics saved in
the model, the model's SNPs are read from the new PLINK fileset and standardized with
the training statistics, and the predictions are made a block of rows at a time.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import (
    BLOCK_ROWS,
    DataError,
    DataWarning,
    Genotypes,
    TableFormat,
    assemble_features,
    count_missing_calls,
    read_genotypes_for_model,
    read_new_clinical,
)
from ..io import METADATA_FILE, ModelVersionWarning, load_model

__all__ = ["Predictions", "predict_cohort", "predict_in_batches", "predict_from_genotypes"]


@dataclass(frozen=True, eq=False)
class Predictions:
    """What :func:`predict_cohort` predicted.

    Attributes
    ----------
    table : pandas.DataFrame
        The id column, ``prediction`` and, for a classifier, one
        ``probability_CLASS`` column per class; one row per sample with the inputs
        the model needs.
    notes : tuple of str
        Warnings (samples left out by matching, imputed calls, another riata version).
    """

    table: pd.DataFrame
    notes: tuple


def _model_directory(path: Path) -> Path:
    nested = path / "model"
    if not (path / METADATA_FILE).is_file() and (nested / METADATA_FILE).is_file():
        return nested
    return path


def _target_scaling(metadata: dict, path) -> tuple[float, float]:
    """``target_mean`` and ``target_scale`` of a regression model, checked."""
    out = []
    for key, default in (("target_mean", 0.0), ("target_scale", 1.0)):
        value = metadata.get(key, default)
        number = (float(value) if isinstance(value, (int, float))
                  and not isinstance(value, bool) else math.nan)
        if not math.isfinite(number) or (key == "target_scale" and number <= 0):
            raise DataError(f"Model file '{path}': metadata.{key} is "
                            f"{str(value)[:50]!r}; it must be a finite number"
                            + (" above 0" if key == "target_scale" else "")
                            + ". The file was altered; save the model again.")
        out.append(number)
    return out[0], out[1]


def _table_format(metadata: dict, path, given: dict | None) -> TableFormat:
    """How to read the new clinical file: the training file's format, then ``given``."""
    try:
        saved = TableFormat.from_dict(metadata.get("table_format")).to_dict()
    except DataError as err:
        raise DataError(f"Model file '{path}': metadata.table_format: {err}") from None
    saved.update({k: v for k, v in (given or {}).items() if v is not None})
    return TableFormat(**saved)


def predict_cohort(model, clinical, *, genotypes=None, min_samples: int = 1,
                   table_format: dict | None = None,
                   threshold: float | None = None) -> Predictions:
    """Predict new samples with a model saved by ``riata fit``.

    Parameters
    ----------
    model : path-like
        The run directory of ``riata fit``, or its ``model/`` subdirectory.
    clinical : path-like
        Clinical table of the new samples (.csv, .tsv, .parquet): the model's id
        column and every clinical column it was trained on (others are ignored).
    genotypes : path-like, optional
        PLINK fileset prefix of the new samples; required for a model trained with
        genotypes (samples matched by id, SNPs by name).
    min_samples : int, default=1
        Fewest samples that must remain after matching clinical and genotype ids.
    table_format : dict, default=None
        ``separator``, ``decimal`` and ``na_values`` of the new clinical file where
        they differ from the training file's (saved with the model); a None value
        keeps the saved one.
    threshold : float in (0, 1), default=None
        Binary classifiers: the probability of the positive class at and above which
        a sample is labelled positive. None: the threshold saved with the model
        (Youden's J on the validation rows of ``riata fit``), or 0.5 for a model
        saved without one.

    Returns
    -------
    Predictions
        Binary classifiers get ``prediction`` (the label at the threshold),
        ``threshold`` and ``threshold_rule`` (how it was chosen) columns.

    Raises
    ------
    riata.data.DataError
        If the model or a file is missing or malformed, a column, SNP or sample is
        unusable; the message names the file.
    """
    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        warnings.simplefilter("always", ModelVersionWarning)
        estimator, extras = load_model(_model_directory(Path(model)))
        metadata = extras["metadata"] or {}
        id_column = metadata.get("id_column")
        if not isinstance(id_column, str):
            raise DataError(f"Model file '{extras['path']}' does not record the id "
                            "column (metadata.id_column); was it saved by `riata fit`?")
        encoder, stats = extras["clinical_encoder"], extras["genotype_stats"]
        regression = not hasattr(estimator, "classes_")
        scaling = _target_scaling(metadata, extras["path"]) if regression else None
        fmt = _table_format(metadata, extras["path"], table_format)
        clinical_path = Path(clinical)
        frame, ids = read_new_clinical(clinical_path, id_column=id_column,
                                       encoder=encoder, table_format=fmt)
        encoded = None
        if encoder is not None:
            try:
                encoded = encoder.transform(frame)
            except DataError as err:
                raise DataError(f"Clinical file '{clinical_path}': {err}") from None
        rows, genotype_block = np.arange(ids.size), None
        if stats is not None and stats["snp_names"].size:
            if genotypes is None:
                raise DataError(f"The model in '{model}' was trained with "
                                f"{stats['snp_names'].size} SNPs; pass the new samples' "
                                "genotypes with --genotypes PREFIX.")
            rows, genotype_block, _ = read_genotypes_for_model(
                genotypes, ids, stats, min_samples=min_samples,
                clinical_source=f"column '{id_column}' of '{clinical_path}'")
            missing = count_missing_calls(genotype_block)
            if missing:
                notes.append(f"{missing} missing genotype call(s) were imputed by the "
                             "training mean of their SNP.")
        elif genotypes is not None and stats is None:
            raise DataError(f"The model in '{model}' was trained without genotypes; "
                            "leave out --genotypes.")
        else:
            stats = None  # genotypes were considered, but the model kept no SNP
        prediction = predict_from_genotypes(
            estimator, None if encoded is None else encoded[rows], genotype_block,
            np.arange(rows.size), None if stats is None else stats["mean"],
            None if stats is None else stats["scale"])
        if "proba" not in prediction:
            # `riata fit` trains a regressor on the standardized target.
            mean, scale = scaling
            prediction["prediction"] = prediction["prediction"] * scale + mean
        _check_finite(prediction, extras["path"])
    shown = [str(w.message) for w in caught
             if issubclass(w.category, (DataWarning, ModelVersionWarning))]
    for item in caught:  # anything else goes on to the usual warning filters
        if not issubclass(item.category, (DataWarning, ModelVersionWarning)):
            warnings.warn_explicit(item.message, item.category, item.filename,
                                   item.lineno)
    columns = {id_column: ids[rows], "prediction": prediction["prediction"]}
    if "proba" in prediction:
        for k, label in enumerate(estimator.classes_):
            columns[f"probability_{label}"] = prediction["proba"][:, k]
        if len(estimator.classes_) == 2:
            columns.update(_thresholded(estimator, prediction["proba"], metadata,
                                        threshold))
    return Predictions(table=pd.DataFrame(columns), notes=tuple(shown + notes))


def _thresholded(estimator, proba, metadata: dict, threshold) -> dict:
    """The label at the threshold (given, saved, or 0.5) and how it was chosen."""
    classes = list(estimator.classes_)
    saved = metadata.get("positive_class", classes[1])
    positive = next((c for c in classes if str(c) == str(saved)), classes[1])
    negative = next(c for c in classes if c is not positive and c != positive)
    if threshold is not None:
        value, rule = float(threshold), "given (--threshold)"
    elif isinstance(metadata.get("threshold"), (int, float)):
        value, rule = float(metadata["threshold"]), str(metadata.get("threshold_rule"))
    else:
        value, rule = 0.5, "0.5 (none saved with the model)"
    p = proba[:, classes.index(positive)]
    labels = np.where(p >= value, np.asarray([positive], dtype=object),
                      np.asarray([negative], dtype=object))
    return {"prediction": labels, "threshold": value, "threshold_rule": rule}


def _check_finite(prediction: dict, path) -> None:
    """Refuse NaN or infinite predictions rather than write them as results."""
    values = np.asarray(prediction["proba"] if "proba" in prediction
                        else prediction["prediction"], dtype=float)
    if values.size and not np.isfinite(values).all():
        row = int(np.flatnonzero(~np.isfinite(values).reshape(len(values), -1).all(
            axis=1))[0])
        raise DataError(f"The model in '{Path(path).parent}' predicts NaN or infinite "
                        f"values (first for input row {row + 1}); its weights or "
                        "statistics are broken. Fit and save the model again.")


def predict_in_batches(estimator, X, *, batch_rows: int = BLOCK_ROWS) -> dict:
    """Predictions (and class probabilities) for the rows of ``X``, a block at a time.

    The estimators predict in float64; a block keeps that copy small whatever the
    number of SNPs. Predictions of a row do not depend on the other rows of its block.

    Returns
    -------
    dict
        ``prediction`` (n_samples,) and, for a classifier, ``proba``
        (n_samples, n_classes) in the order of ``estimator.classes_``.
    """
    return _predict_blocks(estimator, X.shape[0], lambda block: X[block], batch_rows)


def predict_from_genotypes(estimator, clinical, genotypes: Genotypes | None, rows,
                           mean=None, scale=None, *, block_bytes: int = 1 << 28) -> dict:
    """:func:`predict_in_batches` on the inputs of :func:`assemble_features`, built a
    block of rows at a time, so that the float inputs of all samples never exist at
    once (3,000 samples x 500,000 SNPs would be 6 GB).

    Parameters
    ----------
    clinical, genotypes, rows, mean, scale
        As for :func:`assemble_features`.
    block_bytes : int, default=256 MiB
        Size of one block's float32 inputs (at most ``BLOCK_ROWS`` rows).
    """
    rows = np.asarray(rows, dtype=np.intp)
    width = (0 if clinical is None else clinical.shape[1]) + (
        0 if genotypes is None else genotypes.n_snps)
    batch = max(1, min(BLOCK_ROWS, block_bytes // max(4 * width, 1)))
    return _predict_blocks(
        estimator, rows.size,
        lambda block: assemble_features(clinical, genotypes, rows[block], mean, scale),
        batch)


def _predict_blocks(estimator, n: int, inputs, batch_rows: int) -> dict:
    """Predict ``inputs(slice)`` block by block; see :func:`predict_in_batches`."""
    blocks = [slice(start, start + batch_rows) for start in range(0, n, batch_rows)]
    if hasattr(estimator, "classes_"):
        proba = np.empty((n, len(estimator.classes_)))
        for block in blocks:
            proba[block] = estimator.predict_proba(inputs(block))
        prediction = estimator.classes_[np.argmax(proba, axis=1)] if n else (
            estimator.classes_[:0])
        return {"prediction": prediction, "proba": proba}
    parts = [estimator.predict(inputs(block)) for block in blocks]
    return {"prediction": np.concatenate(parts) if parts else np.zeros(0)}

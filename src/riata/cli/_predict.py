"""``riata predict``: a saved model applied to the files of new samples."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

__all__ = ["add_parser", "run"]

_EPILOG = """\
examples:
  riata predict --model runs/chd --clinical new_patients.csv --out predictions.csv
  riata predict --model runs/chd_snps/model --clinical new.csv --genotypes geno/new \\
                --out predictions.csv

The clinical file needs the model's id column and every clinical column the model
was trained on (extra columns, the target included, are ignored); its values are
encoded with the statistics saved in the model (training medians, levels, means and
scales). With a genotype model, --genotypes is required: samples are matched by id
(those in only one input are reported and get no prediction) and SNPs by name.

The output CSV has the id column, 'prediction' and, for a classifier, one
'probability_CLASS' column per class. It is written atomically.
exit status: 0 on success, 2 on any error.
"""


def add_parser(sub) -> None:
    p = sub.add_parser(
        "predict", help="predict new samples with a model saved by `riata fit`",
        description="Predict the outcome of new samples with a model saved by `riata "
                    "fit` (its run directory or the run's model/ directory).",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, metavar="DIR",
                   help="run directory of `riata fit`, or its model/ subdirectory")
    p.add_argument("--clinical", required=True, metavar="FILE",
                   help="clinical table of the new samples (.csv, .tsv, .parquet)")
    p.add_argument("--genotypes", metavar="PREFIX", default=None,
                   help="PLINK fileset of the new samples (required for a model "
                        "trained with genotypes)")
    p.add_argument("--out", required=True, metavar="FILE.csv",
                   help="predictions to write")
    p.add_argument("--min-samples", type=int, default=1, dest="min_samples",
                   help="fewest samples that must remain after matching clinical and "
                        "genotype ids (default: 1)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing --out file")
    p.set_defaults(func=run)


def _model_directory(path: Path) -> Path:
    from ..io import METADATA_FILE

    nested = path / "model"
    if not (path / METADATA_FILE).is_file() and (nested / METADATA_FILE).is_file():
        return nested
    return path


def run(args) -> int:
    """Run ``riata predict``; return the exit code."""
    import pandas as pd

    from ..data import DataError, DataWarning
    from ..experiments import atomic_write_text
    from ..io import (
        ModelVersionWarning,
        count_missing_calls,
        load_model,
        predict_from_genotypes,
        read_genotypes_for_model,
        read_new_clinical,
    )

    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise DataError(f"--out '{out}' exists; pass --overwrite to replace it.")
    if out.exists() and out.is_dir():
        raise DataError(f"--out '{out}' is a directory; give a file name (.csv).")
    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        warnings.simplefilter("always", ModelVersionWarning)
        estimator, extras = load_model(_model_directory(Path(args.model)))
        metadata = extras["metadata"] or {}
        id_column = metadata.get("id_column")
        if not isinstance(id_column, str):
            raise DataError(f"Model file '{extras['path']}' does not record the id "
                            "column (metadata.id_column); was it saved by `riata fit`?")
        encoder, stats = extras["clinical_encoder"], extras["genotype_stats"]
        clinical_path = Path(args.clinical)
        frame, ids = read_new_clinical(clinical_path, id_column=id_column,
                                       encoder=encoder)
        encoded = None
        if encoder is not None:
            try:
                encoded = encoder.transform(frame)
            except DataError as err:
                raise DataError(f"Clinical file '{clinical_path}': {err}") from None
        genotypes = None
        rows = np.arange(ids.size)
        if stats is not None:
            if args.genotypes is None:
                raise DataError(f"The model in '{args.model}' was trained with "
                                f"{stats['snp_names'].size} SNPs; pass the new samples' "
                                "genotypes with --genotypes PREFIX.")
            rows, genotypes, _ = read_genotypes_for_model(
                args.genotypes, ids, stats, min_samples=args.min_samples,
                clinical_source=f"column '{id_column}' of '{clinical_path}'")
            missing = count_missing_calls(genotypes)
            if missing:
                notes.append(f"{missing} missing genotype call(s) were imputed by the "
                             "training mean of their SNP.")
        elif args.genotypes is not None:
            raise DataError(f"The model in '{args.model}' was trained without "
                            "genotypes; leave out --genotypes.")
        prediction = predict_from_genotypes(
            estimator, None if encoded is None else encoded[rows], genotypes,
            np.arange(rows.size), None if stats is None else stats["mean"],
            None if stats is None else stats["scale"])
        if "proba" not in prediction:
            # `riata fit` trains a regressor on the standardized target.
            prediction["prediction"] = (
                prediction["prediction"] * float(metadata.get("target_scale", 1.0))
                + float(metadata.get("target_mean", 0.0)))
    shown = [str(w.message) for w in caught
             if issubclass(w.category, (DataWarning, ModelVersionWarning))]
    notes[:0] = shown
    for item in caught:  # anything else goes on to the usual warning filters
        if not issubclass(item.category, (DataWarning, ModelVersionWarning)):
            warnings.warn_explicit(item.message, item.category, item.filename,
                                   item.lineno)
    columns = {id_column: ids[rows], "prediction": prediction["prediction"]}
    if "proba" in prediction:
        for k, label in enumerate(estimator.classes_):
            columns[f"probability_{label}"] = prediction["proba"][:, k]
    table = pd.DataFrame(columns)
    try:
        atomic_write_text(out, table.to_csv(index=False))
    except OSError as err:
        raise DataError(f"Cannot write predictions to '{out}': {err}.") from err
    if not args.quiet:
        for note in notes:
            print(f"riata predict: warning: {note}", file=sys.stderr)
        print(f"wrote {len(table)} prediction(s) to {out}")
    return 0

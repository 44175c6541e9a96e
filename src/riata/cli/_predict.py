"""``riata predict``: a saved model applied to the files of new samples."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


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


def run(args) -> int:
    """Run ``riata predict``; return the exit code."""
    from ..data import DataError
    from ..pipeline import atomic_write_text
    from ..workflows import predict_cohort

    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise DataError(f"--out '{out}' exists; pass --overwrite to replace it.")
    if out.exists() and out.is_dir():
        raise DataError(f"--out '{out}' is a directory; give a file name (.csv).")
    result = predict_cohort(args.model, args.clinical, genotypes=args.genotypes,
                            min_samples=args.min_samples)
    try:
        atomic_write_text(out, result.table.to_csv(index=False))
    except OSError as err:
        raise DataError(f"Cannot write predictions to '{out}': {err}.") from err
    if not args.quiet:
        for note in result.notes:
            print(f"riata predict: warning: {note}", file=sys.stderr)
        print(f"wrote {len(result.table)} prediction(s) to {out}")
    return 0

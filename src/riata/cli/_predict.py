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

The clinical file is read as the training file was (separator, decimal mark,
missing-value markers saved with the model) unless --separator, --decimal or
--na-values say otherwise.

The output CSV has the id column, 'prediction' and, for a classifier, one
'probability_CLASS' column per class. A binary model labels a sample positive when
its probability reaches the threshold saved by `riata fit` (Youden's J on the
validation rows) or --threshold; the 'threshold' and 'threshold_rule' columns say
which. It is written atomically, never over an input or into the model directory.
exit status: 0 on success, 2 on an error in the input (one line naming the file),
1 on an internal error (a bug; the line names a log file), 128+N when stopped by
signal N (no partial output is left).
"""


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1); got {text!r}")
    return value


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
    p.add_argument("--threshold", type=_probability, default=None, metavar="P",
                   help="binary models: label a sample positive when its probability "
                        "of the positive class is at least P (default: the threshold "
                        "saved by `riata fit`, Youden's J on its validation rows)")
    fmt = p.add_argument_group("how the clinical file is written (default: as the "
                               "training file, saved with the model)")
    fmt.add_argument("--separator", metavar="CHAR", default=None,
                     help="field separator (default: ',' for .csv, tab for .tsv)")
    fmt.add_argument("--decimal", choices=(".", ","), default=None,
                     help="decimal mark of the numbers")
    fmt.add_argument("--na-values", nargs="+", metavar="TEXT", default=None,
                     dest="na_values",
                     help="cells that mark a missing value besides the usual ones "
                          "(empty, NA, NaN, null ...), e.g. --na-values '?' -9")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``riata predict``; return the exit code."""
    from ..data import DataError
    from ..pipeline import atomic_write_text
    from ..workflows import predict_cohort

    out = Path(args.out)
    _refuse_input_as_output(out, args)
    if out.exists() and out.is_dir():
        raise DataError(f"--out '{out}' is a directory; give a file name (.csv).")
    if out.exists() and not args.overwrite:
        raise DataError(f"--out '{out}' exists; pass --overwrite to replace it.")
    result = predict_cohort(args.model, args.clinical, genotypes=args.genotypes,
                            min_samples=args.min_samples,
                            table_format={"separator": args.separator,
                                          "decimal": args.decimal,
                                          "na_values": args.na_values},
                            threshold=args.threshold)
    try:
        atomic_write_text(out, result.table.to_csv(index=False))
    except OSError as err:
        raise DataError(f"Cannot write predictions to '{out}': {err}.") from err
    if not args.quiet:
        for note in result.notes:
            print(f"riata predict: warning: {note}", file=sys.stderr)
        print(f"wrote {len(result.table)} prediction(s) to {out}")
    return 0


def _refuse_input_as_output(out: Path, args) -> None:
    """Never write the predictions over an input (even with --overwrite)."""
    from .._files import is_inside
    from ..data import DataError, plink_fileset_paths

    inputs = [("--clinical", Path(args.clinical))]
    if args.genotypes is not None:
        inputs += [("--genotypes", path)
                   for path in plink_fileset_paths(args.genotypes).values()]
    for option, path in inputs:
        if path.exists() and is_inside(out, path):
            raise DataError(f"--out '{out}' is the input file {option} '{path}'; "
                            "write the predictions to another file.")
    model = Path(args.model)
    if model.exists() and is_inside(out, model):
        raise DataError(f"--out '{out}' lies inside the model directory '{model}'; "
                        "write the predictions elsewhere, so that the model stays as "
                        "it was saved.")

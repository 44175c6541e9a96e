"""``riata fit``: a sparse network on a researcher's own clinical table and genotypes.

This module only reads the settings (defaults, then a TOML ``--config`` file, then
the command line, which wins) and calls :func:`riata.workflows.fit_cohort`, which
reads, splits, encodes, fits, scores and writes the run directory; it then prints
the results table. The defaults shown in ``--help`` are read from their one home (the
estimator, the path function, the config), not typed here.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import math
import os
import sys
from dataclasses import MISSING, fields
from pathlib import Path

from ..distributed import join_process_group
from ..penalties import PENALTY_NAMES

__all__ = ["add_parser", "run"]

#: Keys of a --config file (and option destinations) that are not fields of
#: CohortFitConfig: the run directory, whether to replace it, the checkpoints.
_RUN_KEYS = ("out", "overwrite", "checkpoint_dir")
#: Option destinations and config keys named otherwise in CohortFitConfig.
_RENAMED = {"id": "id_column"}
_PATH_KEYS = ("clinical", "genotypes", "out", "checkpoint_dir")

_EPILOG = """\
examples:
  riata fit --clinical cohort.csv --target chd --id pid --out runs/chd
  riata fit --clinical cohort.parquet --genotypes geno/cohort --target chd --id pid \\
            --penalty group-lasso --n-alphas 10 --out runs/chd_snps
  riata fit --clinical cohort.csv --target chd --id pid --alpha 0.01 --out runs/fixed
  riata fit --config fit.toml

A --config file is TOML with flat keys: the data keys below (clinical, genotypes,
target, id, out, categorical, numeric, drop, separator, decimal, na_values,
positive_class, missing, min_samples, task, max_classes, penalty, alpha, l1_ratio,
n_alphas, eps, alpha_rule, cv, polish, stability, encoder_dim, test_size, valid_size,
seed, overwrite, checkpoint_dir) and the estimator's parameter names
(hidden_layer_sizes, max_epochs, learning_rate_init, batch_size, n_iter_no_change,
activation, dropout, solver, ...).
Paths in it are relative to the config file. Options given on the command line win.

missing values: 'impute' fills a numeric gap with the training median and a category
with the training mode; 'indicator' also adds a VARIABLE_missing column; 'error'
refuses them. Missing genotype calls are always imputed by the training mean (0 after
standardization) and counted in metrics.json. Columns that are all missing or
constant are dropped with a warning and listed in config.json.

exit status: 0 on success, 2 on an error in the input or settings (one line naming
the file, column, line and sample), 1 on an internal error (a bug; the line names a
log file), 128+N when stopped by signal N (SIGTERM, SIGHUP ...). A failed or stopped
run leaves no output directory and no temporary files (only a --checkpoint-dir, kept
for resuming); --out may not contain an input.

resuming: with --checkpoint-dir DIR every alpha path saves its state after each alpha,
and inside an alpha after each epoch of a minibatch network or every 50 iterations of
a full-batch fit (torch.distributed.checkpoint); run the same command again after a
kill and it goes on from the last saved point, ending with the same results as an
uninterrupted run.
DIR is deleted when the run directory is written; a changed setting or input file
(size or modification time) is refused.
"""


# ------------------------------------------------------------------------- defaults
def _estimator_default(name: str):
    from ..estimators import SparseMLPClassifier

    return inspect.signature(SparseMLPClassifier).parameters[name].default


def _path_default(name: str):
    from ..estimators import fit_alpha_path

    return inspect.signature(fit_alpha_path).parameters[name].default


def _encoder_default(name: str):
    from ..estimators import GenotypeEncoder

    return inspect.signature(GenotypeEncoder).parameters[name].default


def _config_default(name: str):
    from ..workflows import CohortFitConfig

    item = next(f for f in fields(CohortFitConfig) if f.name == name)
    return item.default_factory() if item.default_factory is not MISSING else item.default


def _shown(value) -> str:
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value) or "none"
    return str(value)


# --------------------------------------------------------------------------- parser
def _checked(convert, accept, expected: str):
    """An argparse ``type``: ``convert(text)``, refused unless ``accept(value)``."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be {expected}; got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"must be {expected}; got {text}")
        return value

    return parse


_positive_int = _checked(int, lambda v: v >= 1, "a positive integer")
_non_negative_int = _checked(int, lambda v: v >= 0, "an integer >= 0")


def _cv_folds(text: str):
    """``--cv K``: K >= 2 folds, or 0 for the validation split (stored as None)."""
    value = _checked(int, lambda v: v == 0 or v >= 2, "0 or an integer >= 2")(text)
    return None if value == 0 else value
_fraction = _checked(float, lambda v: 0 < v < 1, "a number in (0, 1)")
_non_negative = _checked(float, lambda v: math.isfinite(v) and v >= 0,
                         "a finite number >= 0")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "fit", help="fit a sparse network on your clinical table (+ PLINK genotypes)",
        description=(
            "Fit a sparse, interpretable network on a clinical table (CSV, TSV or\n"
            "Parquet) and optionally PLINK genotypes; choose the penalty strength by\n"
            "K-fold cross-validation (1-SE rule), score the network next to a logistic\n"
            "(linear) regression and a group-lasso regression on the same test split,\n"
            "and write a run directory: config.json, results.csv/.md, metrics.json,\n"
            "selected_variables.csv, selected_snps.csv, stability_selection.csv,\n"
            "figures/, paths/, model/ and report.html."),
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        argument_default=argparse.SUPPRESS)
    data = p.add_argument_group("data")
    data.add_argument("--clinical", metavar="FILE",
                      help="clinical table: .csv, .tsv (optionally .gz) or .parquet")
    data.add_argument("--genotypes", metavar="PREFIX",
                      help="PLINK 1 binary fileset PREFIX.bed/.bim/.fam; samples are "
                           "matched on the .fam's individual id (second column)")
    data.add_argument("--target", metavar="COL", help="outcome column")
    data.add_argument("--id", metavar="COL", help="sample id column")
    data.add_argument("--categorical", nargs="+", metavar="COL",
                      help="columns to one-hot encode even if numeric (e.g. coded "
                           "education levels); text columns are categorical anyway")
    data.add_argument("--numeric", nargs="+", metavar="COL",
                      help="columns that must be numeric (a text value is an error)")
    data.add_argument("--drop", nargs="+", metavar="COL", help="columns to ignore")
    data.add_argument("--separator", metavar="CHAR",
                      help="field separator of the clinical file (default: ',' for "
                           ".csv, tab for .tsv)")
    data.add_argument("--decimal", choices=(".", ","),
                      help="decimal mark of its numbers (default: .); with ',' a "
                           "number written with a point is refused as ambiguous")
    data.add_argument("--na-values", nargs="+", metavar="TEXT", dest="na_values",
                      help="cells that mark a missing value besides the usual ones "
                           "(empty, NA, NaN, null ...), e.g. --na-values '?' -9")
    data.add_argument("--positive-class", metavar="LABEL", dest="positive_class",
                      help="positive class of a binary target, for which AUROC, AP "
                           "and Brier score are reported (default: the larger number, "
                           "or the label that means positive: case, yes, true ...)")
    data.add_argument("--missing", choices=("impute", "indicator", "error"),
                      help="policy for missing clinical values (default: "
                           f"{_config_default('missing')})")
    data.add_argument("--min-samples", type=_positive_int, dest="min_samples", metavar="N",
                      help="fewest samples that must remain after matching clinical and "
                           f"genotype ids (default: {_config_default('min_samples')})")
    model = p.add_argument_group("model")
    model.add_argument("--task", choices=("auto", "classification", "regression"),
                       help="default auto: classification for text labels or integer "
                            "labels with at most --max-classes values, else regression")
    model.add_argument("--max-classes", type=_positive_int, dest="max_classes", metavar="K",
                       help="most classes a classification target may have "
                            f"(default: {_config_default('max_classes')})")
    model.add_argument("--penalty", choices=PENALTY_NAMES,
                       help="penalty on the first-layer weights (default: "
                            f"{_config_default('penalty')}; a group per clinical variable "
                            "and per SNP: with genotypes a sparse penalty selects SNPs, "
                            "none and l2 read them through a kernel encoder)")
    model.add_argument("--alpha", type=_non_negative, metavar="A",
                       help="fixed penalty strength; default: a path of --n-alphas "
                            "values from alpha_max down, alpha chosen by --cv and "
                            "--alpha-rule")
    model.add_argument("--l1-ratio", type=float, dest="l1_ratio", metavar="R",
                       help="L1 share of elastic-net and sparse-group-lasso (default: "
                            f"{inspect.signature(_l1_owner()).parameters['l1_ratio'].default})")
    model.add_argument("--n-alphas", type=_positive_int, dest="n_alphas", metavar="N",
                       help="points on the penalty path (default: "
                            f"{_path_default('n_alphas')})")
    model.add_argument("--eps", type=_fraction, metavar="E",
                       help="smallest alpha of the path as a fraction of alpha_max "
                            f"(default: {_path_default('eps')})")
    model.add_argument("--hidden", type=_positive_int, nargs="*", metavar="N",
                       dest="hidden_layer_sizes",
                       help="hidden layer widths (default: "
                            f"{_shown(_estimator_default('hidden_layer_sizes'))}); give no "
                            "number for a linear model")
    model.add_argument("--epochs", type=_positive_int, dest="max_epochs", metavar="N",
                       help="most training epochs per alpha (default: "
                            f"{_estimator_default('max_epochs')})")
    model.add_argument("--patience", type=_positive_int, dest="n_iter_no_change",
                       metavar="N",
                       help="epochs without validation improvement before stopping "
                            f"(default: {_estimator_default('n_iter_no_change')})")
    model.add_argument("--learning-rate", type=float, dest="learning_rate_init",
                       metavar="LR",
                       help="Adam learning rate (default: "
                            f"{_estimator_default('learning_rate_init')})")
    model.add_argument("--batch-size", type=_positive_int, dest="batch_size", metavar="N",
                       help="mini-batch size (default: "
                            f"{_estimator_default('batch_size')}: min(200, n))")
    model.add_argument("--alpha-rule", choices=("best", "1se"), dest="alpha_rule",
                       help="how alpha is chosen from the held-out losses: the best, or "
                            "the largest alpha within one standard error of it "
                            f"(default: {_path_default('rule')})")
    model.add_argument("--cv", type=_cv_folds, metavar="K",
                       help="choose alpha by K-fold cross-validation over the training "
                            "rows; 0 chooses it on the validation rows instead "
                            f"(default: {_config_default('cv')})")
    model.add_argument("--stability", type=_non_negative_int, metavar="B",
                       help="half-samples for stability selection of the network's "
                            "variables; 0 skips it (default: "
                            f"{_config_default('stability')})")
    model.add_argument("--no-polish", action="store_false", dest="polish",
                       help="do not finish the chosen network's optimization at its "
                            "alpha (faster; its zeros are then certified only where they "
                            "happen to pass the KKT check: see zeros_certified)")
    model.add_argument("--encoder-dim", type=_positive_int, dest="encoder_dim", metavar="N",
                       help="units of the genotype encoder of a kernel network "
                            f"(default: {_encoder_default('dim')})")
    run_group = p.add_argument_group("run")
    run_group.add_argument("--test-size", type=_fraction, dest="test_size", metavar="F",
                           help="test share of the samples (default: "
                                f"{_config_default('test_size')})")
    run_group.add_argument("--valid-size", type=_fraction, dest="valid_size", metavar="F",
                           help="validation share of the samples (default: "
                                f"{_config_default('valid_size')})")
    run_group.add_argument("--seed", type=int, metavar="S",
                           help="seed of the split and of the network (default: "
                                f"{_config_default('seed')})")
    run_group.add_argument("--config", metavar="FILE.toml",
                           help="read settings from a TOML file (see below)")
    run_group.add_argument("--out", metavar="DIR", help="run directory to write")
    run_group.add_argument("--overwrite", action="store_true",
                           help="replace an existing non-empty --out directory")
    run_group.add_argument("--checkpoint-dir", dest="checkpoint_dir", metavar="DIR",
                           help="save each path's state after every alpha (and, "
                                "inside one, every epoch or 50 full-batch "
                                "iterations) in DIR; the "
                                "same command run again after a kill resumes from it "
                                "(with the same results). Deleted when the run ends")
    p.set_defaults(func=run)


# ------------------------------------------------------------------------- settings
def _l1_owner():
    from ..penalties import make_penalty

    return make_penalty


def _data_keys() -> list[str]:
    """The data and run keys of a --config file."""
    from ..workflows import CohortFitConfig

    inverse = {v: k for k, v in _RENAMED.items()}
    return [inverse.get(f.name, f.name) for f in fields(CohortFitConfig)
            if f.name != "network"] + list(_RUN_KEYS)


def _read_config(path: Path) -> tuple[dict, dict]:
    """The data settings and estimator parameters of a TOML config file."""
    from ..data import DataError
    from ..workflows import CohortFitConfig

    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError as err:
            raise ImportError("Reading a --config file needs Python 3.11 or later, or "
                              "the tomli package (pip install tomli).") from err
    if not path.is_file():
        raise DataError(f"Config file '{path}' does not exist (working directory: "
                        f"'{os.getcwd()}').")
    try:
        content = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"Config file '{path}' is not valid TOML: {err}.") from err
    data_keys = _data_keys()
    network_keys = CohortFitConfig.network_parameter_names()
    accepted = sorted(data_keys) + network_keys
    unknown = sorted(set(content) - set(accepted))
    if unknown:
        raise DataError(f"Config file '{path}': unknown key(s) {unknown}. Accepted "
                        f"keys: {accepted}.")
    data = {k: v for k, v in content.items() if k in data_keys}
    for key in _PATH_KEYS:
        if isinstance(data.get(key), str):
            data[key] = str(path.parent / data[key])
    network = {k: v for k, v in content.items() if k in network_keys}
    return data, network


def resolve_settings(args):
    """Defaults, then the --config file, then the command line (which wins).

    Returns the :class:`~riata.workflows.CohortFitConfig`, the run directory,
    whether to replace it and the checkpoint directory (or None); a bad value is
    reported with where it came from.
    """
    from ..data import DataError
    from ..workflows import CohortFitConfig

    given = {k: v for k, v in vars(args).items()
             if k not in ("func", "command", "quiet", "config")}
    settings, network = {}, {}
    where = "riata fit"
    if getattr(args, "config", None) is not None:
        settings, network = _read_config(Path(args.config))
        where = f"Config file '{args.config}'"
    network_keys = set(CohortFitConfig.network_parameter_names())
    for key, value in given.items():
        (network if key in network_keys else settings)[key] = value
    for key in ("clinical", "target", "id", "out"):
        if settings.get(key) is None:
            raise DataError(f"riata fit needs --{key} (or '{key}' in --config).")
    out, overwrite = settings.pop("out"), settings.pop("overwrite", False)
    checkpoint = settings.pop("checkpoint_dir", None)
    if checkpoint is not None and (not isinstance(checkpoint, str)
                                   or not checkpoint.strip()):
        raise DataError(f"{where}: 'checkpoint_dir' must be a non-empty text; got "
                        f"{checkpoint!r}.")
    if not isinstance(out, str) or not out.strip():
        raise DataError(f"{where}: 'out' must be a non-empty text; got {out!r}.")
    if not isinstance(overwrite, bool):
        raise DataError(f"{where}: 'overwrite' must be true or false; got "
                        f"{overwrite!r}.")
    try:
        config = CohortFitConfig(network=network, **{_RENAMED.get(k, k): v
                                                     for k, v in settings.items()})
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    return config, Path(out), overwrite, (None if checkpoint is None
                                          else Path(checkpoint))


# ------------------------------------------------------------------------------ run
def run(args) -> int:
    """Run ``riata fit``; return the exit code."""
    from ..workflows import finished_before, fit_cohort

    config, out, overwrite, checkpoint = resolve_settings(args)
    group = join_process_group()  # under torchrun: this rank's place in the job
    quiet = bool(args.quiet) or not group.is_writer
    if not group.is_writer:  # rank 0 speaks for the job
        logging.getLogger("riata").setLevel(logging.WARNING)
    if checkpoint is not None and not overwrite and finished_before(
            config, out, checkpoint, process_group=group):
        group.leave()
        if not quiet:
            print(f"riata fit: the run in '{out}' had finished before the job was "
                  f"stopped; its checkpoint '{checkpoint}' is now deleted.",
                  file=sys.stderr)
        return 0

    def on_warning(message: str) -> None:
        if not quiet:
            print(f"riata fit: warning: {message}", file=sys.stderr)

    given = {k: v for k, v in vars(args).items()
             if k not in ("func", "command", "quiet")}
    try:
        result = fit_cohort(config, out, overwrite=overwrite, on_warning=on_warning,
                            options_given=given, protect=[getattr(args, "config", None)],
                            process_group=group, checkpoint_dir=checkpoint)
    finally:
        group.leave()
    if not quiet:
        print(result.to_markdown(), end="")
        positive = result.run.inputs.positive_class
        if positive is not None:
            print(f"positive class: {positive!r} ({result.run.inputs.positive_reason}); "
                  "test_auroc and test_ap are for it")
        print(f"run directory: {out}")
        print(f"report: {out / 'report.html'}")
        sys.stdout.flush()
    return 0

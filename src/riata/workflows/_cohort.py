"""``fit_cohort``: a sparse network on a researcher's own clinical table and genotypes.

Reads the clinical file (and a PLINK fileset) into a Table, then runs the shared
pipeline (:mod:`riata.pipeline`): split, encode on the training rows, fit the network
and the linear baselines with alpha chosen on the validation rows, score on the test
rows, and write the run directory atomically with the network saved for
``riata predict``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
import warnings
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from .._files import is_inside
from ..data import DataError, DataWarning, plink_fileset_paths, read_table, snp_shard
from ..distributed import ProcessGroup
from ..io import (
    FINISHED_FILE,
    CheckpointError,
    PathCheckpoint,
    delete_checkpoint_directory,
    save_model,
)
from ..pipeline import (
    THRESHOLD_RULE,
    Notes,
    RunResult,
    check_run_directory,
    cohort_specs,
    deployable_model,
    fit_and_score,
    markdown_table,
    prepare_inputs,
    stability_selection,
    write_run_directory,
)
from ._cohort_config import CohortFitConfig

__all__ = ["CohortFitResult", "fit_cohort"]

@dataclass(frozen=True, eq=False)
class CohortFitResult:
    """What :func:`fit_cohort` fitted, scored and wrote.

    Attributes
    ----------
    run : RunResult
        Every model (the network first, then the baselines), its scores and the
        prepared inputs.
    estimator : SparseMLPClassifier or SparseMLPRegressor
        The network as saved in ``model/``: over ``[clinical | standardized SNPs]``
        (a kernel network written out as one weight per SNP; a SNP network keeping the
        SNPs it selected). A regressor predicts in the target's units.
    run_dir : pathlib.Path
    """

    run: RunResult
    estimator: object
    run_dir: Path

    @property
    def table(self) -> pd.DataFrame:
        return self.run.table

    @property
    def task(self) -> str:
        return self.run.inputs.task

    @property
    def network(self):
        return self.run.models["network"]

    @property
    def alpha(self) -> float:
        return self.network.alpha

    @property
    def test_scores(self) -> dict:
        return self.run.scores["network"]

    @property
    def baseline_scores(self) -> dict:
        return {k: v for k, v in self.run.scores.items() if k != "network"}

    @property
    def selected_variables(self) -> list:
        """Clinical variables with a nonzero first-layer weight in the network."""
        fitted = self.network
        wanted = set(self.run.inputs.clinical_groups)
        return sorted({g for g, n in zip(fitted.input_groups, fitted.norms)
                       if n > 0 and g in wanted})

    @property
    def notes(self) -> list:
        return list(self.run.notes)

    def to_markdown(self) -> str:
        """The results table as ``results.md`` shows it ('-' where not applicable)."""
        from ..pipeline import RESULT_COLUMNS

        table = self.table
        return markdown_table(table[[c for c in RESULT_COLUMNS if c in table.columns]])


def fit_cohort(config: CohortFitConfig, out_dir, *, overwrite: bool = False,
               on_warning=None, options_given: dict | None = None,
               protect=(), process_group=None,
               checkpoint_dir=None) -> CohortFitResult:
    """Fit, score and report a sparse network on a cohort's files.

    Reads ``config.clinical`` (and the PLINK fileset ``config.genotypes``), matches
    samples by id and runs the shared pipeline: a stratified, seeded train /
    validation / test split; every preprocessing statistic from the training split;
    the network with ``config.penalty`` (one group per clinical variable, and per SNP
    or genetic unit) along a warm-started path chosen on the validation split (or at
    ``config.alpha``); beside it a logistic (or least-squares) regression on the
    clinical columns and a group-lasso linear model on all inputs, on the same split.
    With genotypes and a sparse penalty the network selects SNPs (working sets over
    the int8 genotypes); with ``"none"`` or ``"l2"`` it reads them through a kernel
    encoder. A regression target is standardized with its training mean and SD for
    the fit; scores are on the original scale.

    ``out_dir`` receives the run directory of :func:`riata.pipeline.write_run_directory`
    with ``model/`` (for :func:`riata.io.load_model` and ``riata predict``). It is
    written under a hidden temporary name and renamed into place at the end: a run
    that fails leaves ``out_dir`` as it was.

    Parameters
    ----------
    config : CohortFitConfig
    out_dir : str or path-like
    overwrite : bool, default=False
        Replace an existing non-empty ``out_dir`` (an empty one is always replaced).
    on_warning : callable, default=None
        Called with the text of each warning as it arises (a dropped column, imputed
        values, samples left out by matching, a baseline that did not converge), e.g.
        ``print``. None: each is issued as a :class:`riata.data.DataWarning`. Either
        way the warnings are listed in ``config.json`` and in the result.
    options_given : dict, default=None
        How the run was asked for (e.g. the command-line options), recorded in
        ``config.json``; None records the settings that differ from their defaults.
    protect : sequence of path-like, default=()
        Other input files (a settings file) that, like the clinical file and the
        PLINK fileset, must not lie inside ``out_dir``: replacing the run directory
        would delete them.
    process_group : riata.distributed.ProcessGroup, default=None
        In a torchrun job (:func:`riata.distributed.join_process_group`): each rank
        reads its SNP range, every rank runs the same fits, and rank 0 alone writes
        ``out_dir`` (the other ranks write to a temporary directory they delete), so
        that every rank makes the same collective calls; ``config.json`` records the
        world size and each rank's SNP range. None: one process.
    checkpoint_dir : str or path-like, default=None
        Save every path's state after each alpha there
        (:class:`riata.io.PathCheckpoint`, torch.distributed.checkpoint), and resume
        from it: a killed job run again with the same settings and the same input
        files (same size and modification time) goes on after its last saved alpha and
        ends with the uninterrupted job's results. Deleted once the run directory is
        written. It may not contain ``out_dir`` or an input, nor lie inside
        ``out_dir``; in a multi-node job it must be on a shared file system.

    Returns
    -------
    CohortFitResult

    Raises
    ------
    riata.data.DataError
        If a file is missing or malformed, a column or sample is unusable, the
        target does not suit the task, the samples cannot be split, ``out_dir``
        exists and is not an empty directory (without ``overwrite``), an input lies
        inside ``out_dir``, the run directory cannot be written, or
        ``checkpoint_dir`` holds another job's checkpoint (or is not one). The message
        names the file, column and sample.
    TypeError
        If ``config`` is not a :class:`CohortFitConfig` or ``overwrite`` not a bool.

    Examples
    --------
    >>> from riata.workflows import CohortFitConfig, fit_cohort
    >>> config = CohortFitConfig(clinical="cohort.csv", genotypes="geno/cohort",
    ...                          target="chd", id_column="pid")
    >>> result = fit_cohort(config, "runs/chd")  # doctest: +SKIP
    >>> print(result.to_markdown())  # doctest: +SKIP
    """
    if not isinstance(config, CohortFitConfig):
        raise TypeError(f"config must be a CohortFitConfig; got "
                        f"{type(config).__name__}.")
    if not isinstance(overwrite, bool):
        raise TypeError(f"'overwrite' must be true or false; got {overwrite!r}.")
    group = ProcessGroup() if process_group is None else process_group
    out = Path(os.fspath(out_dir))
    _refuse_inputs_inside(out, config, protect)
    check_run_directory(out, overwrite)
    group.barrier()  # every rank has checked out_dir before rank 0 may fill it
    checkpoint = (None if checkpoint_dir is None else
                  _open_checkpoint(Path(os.fspath(checkpoint_dir)), out, config, protect))
    started = time.perf_counter()
    notes = Notes(on_warning)
    clinical_path = Path(config.clinical)
    table = _read(config, notes, group.shard)
    if group.world_size > 1 and table.genotypes is None:
        notes.add(f"{group.world_size} processes were started, but without genotypes "
                  "there is nothing to split: every process ran the whole fit (run "
                  "riata fit without torchrun).")
    source = f"Clinical file '{clinical_path}'"
    inputs = prepare_inputs(table, task=config.task, max_classes=config.max_classes,
                            test_size=config.test_size, valid_size=config.valid_size,
                            seed=config.seed, missing=config.missing, notes=notes,
                            source=source)
    specs = cohort_specs(config.penalty, has_genotypes=inputs.n_snps > 0,
                         task=inputs.task, seed=config.seed)
    run = fit_and_score(specs, inputs, config.settings(), notes=notes, workflow="fit",
                        checkpoint=checkpoint)
    models = run.models
    _warn_if_diverged(models["network"], inputs, notes)
    if config.stability:
        found = stability_selection(models["network"], inputs,
                                    n_subsamples=config.stability, seed=config.seed,
                                    checkpoint=(None if checkpoint is None
                                                else checkpoint.child("stability")))
        if found is not None:
            run = dataclasses.replace(run, stability={"network": found})
    run = dataclasses.replace(run, notes=tuple(notes))
    estimator, snp_stats = deployable_model(models["network"], inputs)
    threshold = run.scores["network"].get("threshold")
    document = _config_document(config, run, overwrite, options_given, started)
    if group.world_size > 1:
        document["distributed"] = _distributed_section(group, inputs.n_snps)

    def save(directory: Path) -> None:
        fitted = models["network"]
        save_model(directory, estimator, clinical_encoder=inputs.encoder,
                   genotype_stats=snp_stats,
                   metadata={"target": config.target, "id_column": config.id_column,
                             "task": inputs.task, "clinical_file": str(clinical_path),
                             "table_format": _table_format(config),
                             "positive_class": _plain_label(inputs.positive_class),
                             "threshold": threshold,
                             "threshold_rule": (None if threshold is None
                                                else THRESHOLD_RULE),
                             "genotypes": (None if config.genotypes is None
                                           else str(config.genotypes)),
                             "clinical_feature_names": list(inputs.clinical_names),
                             "penalty": config.penalty, "alpha": fitted.alpha})

    title = f"riata fit: {config.target} in {clinical_path.name}"
    if checkpoint is not None:
        checkpoint.mark_finished(out)
    if group.is_writer:
        path = write_run_directory(out, run, document, overwrite=overwrite, save=save,
                                   title=title)
    else:  # the same work as rank 0 (its collective calls), thrown away
        with tempfile.TemporaryDirectory(prefix="riata-rank") as scratch:
            write_run_directory(Path(scratch) / "run", run, document, save=save,
                                title=title)
        path = out
    group.barrier()  # the run directory is in place when any rank returns
    if checkpoint is not None:
        checkpoint.remove()
    return CohortFitResult(run=dataclasses.replace(run, run_dir=path),
                           estimator=estimator, run_dir=path)


def _distributed_section(group, n_snps: int) -> dict:
    """``config.json``'s record of a torchrun job: who read which SNPs."""
    return {"world_size": group.world_size, "backend": group.backend,
            "split": ("by SNP: each rank reads and owns one contiguous range" if n_snps
                      else "nothing split (no genotypes): every rank ran the whole fit"),
            "snp_ranges": [list(snp_shard(n_snps, r, group.world_size))
                           for r in range(group.world_size)]}


def _read(config: CohortFitConfig, notes: Notes, shard_of=None):
    clinical_path = Path(config.clinical)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        table = read_table(
            clinical_path, target=config.target, id_column=config.id_column,
            plink_prefix=config.genotypes, categorical=list(config.categorical) or None,
            numeric=list(config.numeric) or None, drop=list(config.drop) or None,
            min_samples=config.min_samples, separator=config.separator,
            decimal=config.decimal, na_values=list(config.na_values) or None,
            positive_class=config.positive_class, snp_shard_of=shard_of)
    notes.collect(caught)
    return table


#: A network whose validation loss exceeds this multiple of a constant prediction's
#: is worse than knowing nothing: its training diverged (a huge but finite loss
#: raises no error).
_DIVERGED = 2.0


def _warn_if_diverged(fitted, inputs, notes) -> None:
    """Warn when the network predicts the validation rows worse than a constant."""
    train, valid = inputs.target("train"), inputs.target("valid")
    prediction = fitted.predict(inputs, "valid")
    if "proba" in prediction:
        classes = np.asarray(prediction["classes"])
        share = np.array([np.mean(train == c) for c in classes])
        null = np.tile(np.clip(share, 1e-12, 1), (valid.size, 1))
        rows = np.searchsorted(classes, valid) if classes.dtype != object else np.array(
            [list(classes).index(v) for v in valid])

        def loss(proba):
            return float(-np.mean(np.log(np.clip(proba[np.arange(valid.size), rows],
                                                 1e-300, 1))))

        found, constant, kind = loss(prediction["proba"]), loss(null), "log loss"
    else:
        found = float(np.mean((prediction["prediction"] - valid) ** 2))
        constant, kind = float(np.mean((np.mean(train) - valid) ** 2)), "squared error"
    if valid.size and found > _DIVERGED * constant:
        notes.add(f"The network's validation {kind} ({found:.4g}) is more than "
                  f"{_DIVERGED:g} times that of a constant prediction ({constant:.4g}): "
                  "its training probably diverged. Lower --learning-rate (or check the "
                  "inputs' units).")
        return
    # Early stopping keeps the best epoch, which hides a divergence after it: a
    # training loss that rose far above where it started is reported too.
    losses = [h["train_loss"] for h in getattr(fitted.estimator, "history_", [])
              if np.isfinite(h.get("train_loss", np.nan))]
    if len(losses) > 1 and max(losses) > _DIVERGED * losses[0] > 0:
        notes.add(f"The network's training loss rose to {max(losses):.4g} from "
                  f"{losses[0]:.4g} in the first epoch: its training probably "
                  "diverged, and the epoch kept is an early one. Lower --learning-rate "
                  "(or check the inputs' units).")


def _table_format(config: CohortFitConfig) -> dict:
    """How the clinical file is written, saved with the model for new files."""
    return {"separator": config.separator, "decimal": config.decimal,
            "na_values": list(config.na_values)}


def _plain_label(label):
    """A class label as plain JSON data (numpy scalars to Python values)."""
    return label.item() if isinstance(label, np.generic) else label


def _input_files(config: CohortFitConfig, protect) -> list:
    files = [("the clinical file", Path(config.clinical))]
    if config.genotypes is not None:
        files += [("the PLINK fileset", path)
                  for path in plink_fileset_paths(config.genotypes).values()]
    files += [("the settings file", Path(p)) for p in protect if p is not None]
    return files


def _refuse_inputs_inside(out: Path, config: CohortFitConfig, protect) -> None:
    """Refuse a run directory that holds an input: replacing it would delete it."""
    for what, path in _input_files(config, protect):
        if path.exists() and is_inside(path, out):
            raise DataError(
                f"The run directory '{out}' contains {what} '{path}'; writing the run "
                "there (or replacing it with --overwrite) would delete it. Choose "
                "another --out, or move the input out of it.")


def _open_checkpoint(where: Path, out: Path, config: CohortFitConfig,
                     protect) -> PathCheckpoint:
    """The job's checkpoint directory, checked against the run directory, the inputs
    and (when it exists) the job that wrote it."""
    if is_inside(where, out) or is_inside(out, where):
        raise DataError(
            f"The checkpoint directory '{where}' and the run directory '{out}' lie one "
            "inside the other; the run directory is replaced and the checkpoint deleted "
            "at the end. Pass a --checkpoint-dir outside --out.")
    files = _input_files(config, protect)
    for what, path in files:
        if path.exists() and is_inside(path, where):
            raise DataError(f"The checkpoint directory '{where}' contains {what} "
                            f"'{path}'; it is deleted when the run ends. Pass another "
                            "--checkpoint-dir.")
    try:
        return PathCheckpoint(where, _fingerprint(config))
    except CheckpointError as err:
        raise DataError(str(err)) from None


def _fingerprint(config: CohortFitConfig) -> dict:
    """What identifies a job in its checkpoint (:class:`riata.io.PathCheckpoint`)."""
    return json.loads(json.dumps({
        "riata": __version__,
        "settings": {k: (str(v) if isinstance(v, Path) else v)
                     for k, v in _recorded_settings(config, False, "").items()
                     if k not in ("overwrite", "task")},
        "network": {k: v for k, v in config.network.items()},
        # The data files; a --config file's settings are compared one by one above.
        "files": {str(path.resolve()): _file_stamp(path)
                  for _, path in _input_files(config, ()) if path.exists()}},
        default=str))


def finished_before(config: CohortFitConfig, out_dir, checkpoint_dir, *,
                    process_group: ProcessGroup | None = None) -> bool:
    """Whether this job had already written ``out_dir`` and was killed before deleting
    its checkpoint; if so, delete what the checkpoint left and return True.

    A job marks its checkpoint finished (:data:`riata.io.FINISHED_FILE`, naming the
    run directory) just before moving the run directory into place, and deletes the
    checkpoint just after (renaming it to a hidden ``.NAME.deleting-PID`` first). A
    kill between the two leaves a complete run directory beside the checkpoint or
    that hidden copy; the same command run again calls this first and ends there.
    Every rank of a torchrun job calls it (rank 0 deletes).

    Returns
    -------
    bool
        False when ``out_dir`` does not exist or no checkpoint of this job (same
        fingerprint) marked it as its run directory.
    """
    group = ProcessGroup() if process_group is None else process_group
    out, where = Path(os.fspath(out_dir)), Path(os.fspath(checkpoint_dir))
    found = out.is_dir() and _finished_leftovers(config, out, where)
    group.barrier()  # every rank has looked before rank 0 deletes
    if found and group.is_writer:
        for path in found:
            doomed = path
            if path == where:  # first out of the way, as PathCheckpoint.remove does
                doomed = where.resolve().with_name(f".{where.resolve().name}"
                                                   f".deleting-{os.getpid()}")
                if where.is_symlink():
                    where.unlink()
                    where = where.resolve()
                os.replace(where, doomed)
            delete_checkpoint_directory(doomed)
    group.barrier()
    return bool(found)


def _finished_leftovers(config, out: Path, where: Path) -> list:
    """The checkpoint directories of this job that marked ``out`` as finished.

    ``out`` must hold a run directory (its config.json: the run directory is moved in
    whole, and a non-empty ``out`` is refused before the fit), and the
    ``finished.json`` of ``where`` or of a hidden ``.NAME.deleting-*`` copy must name
    it and carry this job's fingerprint (that file is deleted last, so a copy deleted
    half-way still says whose run it was; an empty copy says nothing and is left).
    """
    if not (out / "config.json").is_file():
        return []
    wanted, target = _fingerprint(config), str(out.resolve())

    def read(path: Path, name: str):
        try:
            return json.loads((path / name).read_text())
        except (OSError, ValueError):
            return None

    candidates = [where] if where.is_dir() else []
    if where.parent.is_dir():
        candidates += sorted(p for p in where.parent.glob(f".{where.name}.deleting-*")
                             if p.is_dir())
    matched = []
    for path in candidates:
        marker = read(path, FINISHED_FILE) or {}
        if marker.get("run_directory") == target and marker.get("fingerprint") == wanted:
            matched.append(path)
    return matched


def _file_stamp(path: Path) -> list:
    """``[size in bytes, modification time in ns]``: a changed file refuses to resume."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _config_document(config, run, overwrite, options_given, started) -> dict:
    """The sections of ``config.json`` that ``riata fit`` adds."""
    inputs = run.inputs
    summary = inputs.table.summary()
    classification = inputs.task == "classification"
    network = run.models["network"].estimator
    return {
        "options_given": (_non_defaults(config) if options_given is None
                          else options_given),
        "settings": _recorded_settings(config, overwrite, inputs.task),
        "estimator": {"class": type(network).__name__,
                      "params": network.get_params(deep=False)},
        "data": {"n_samples": int(inputs.y.size), **{
                     f"n_{k}": v for k, v in inputs.split.sizes().items()},
                 "classes": (sorted(str(c) for c in np.unique(inputs.y))
                             if classification else None),
                 "positive_class": (None if inputs.positive_class is None else {
                     "label": _plain_label(inputs.positive_class),
                     "chosen_by": inputs.positive_reason,
                     "scores": "test_auroc, test_ap and the Brier score are for it"}),
                 "table_format": _table_format(config),
                 "class_counts": summary["class_counts"] if classification else None,
                 "clinical_columns": summary["clinical_columns"],
                 "n_encoded_clinical_features": inputs.n_clinical,
                 "n_snps": inputs.n_snps,
                 "dropped_columns": summary["dropped_columns"] or "none",
                 "missing_values": inputs.missing_values or "none",
                 "missing_policy": config.missing,
                 "missing_genotype_calls": inputs.missing_calls or "none",
                 "sample_matching": summary["sample_summary"] or "no genotypes",
                 "seconds": round(time.perf_counter() - started, 2)},
    }


def _recorded_settings(config: CohortFitConfig, overwrite: bool, task: str) -> dict:
    """The settings under the keys of a ``riata fit --config`` file, paths absolute."""
    out = {}
    for item in fields(config):
        value = getattr(config, item.name)
        if item.name == "network":
            continue
        if item.name in ("clinical", "genotypes") and value is not None:
            value = str(Path(value).resolve())
        out["id" if item.name == "id_column" else item.name] = value
    out["task"] = task
    out["overwrite"] = overwrite
    return out


def _non_defaults(config: CohortFitConfig) -> dict:
    """The fields of ``config`` that differ from their defaults (required ones too)."""
    out = {}
    for item in fields(config):
        default = (item.default_factory() if item.default_factory is not MISSING
                   else item.default)
        value = getattr(config, item.name)
        if default is MISSING or value != default:
            out[item.name] = value
    return out

"""The run directory: one schema for every workflow, written whole or not at all.

::

    config.json            workflow, settings, data summary, warnings, versions
    results.csv / .md      one row per model (the columns of ``result_row``)
    metrics.json           per model: test scores, alpha, path records, history
    selected_variables.csv per model and first-layer input: variable, norm, selected
    selected_snps.csv      per model and selected SNP: position, allele, norm, truth
    stability.csv          selection (0/1) of each clinical variable by each network
    stability_selection.csv  how often each variable is kept on half-samples
    truth.json             the known truth (simulated cohorts)
    summary.csv / .md      with repeats: each model's mean and SD over the repeats
    repeats.csv            with repeats: every repeat's results rows
    selection_frequency.csv  with repeats: how often each variable was selected
    paths/*.csv            the path records
    figures/*.png          heat maps, paths, validation curves, SNP weights
    model/                 a saved model (``riata fit``), for ``riata predict``
    report.html            everything above on one page (``riata report`` rewrites it)
"""

from __future__ import annotations

import dataclasses
import math
import os
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import atomic_directory, atomic_write_text, json_text
from ..data import DataError
from ._figures import write_figures
from ._report import write_report

__all__ = ["write_run_directory", "markdown_table", "check_run_directory",
           "RESULT_COLUMNS"]

#: Columns of results.md, in this order where present (results.csv has them all).
RESULT_COLUMNS = (
    "model", "label", "alpha", "test_auroc", "test_auroc_low", "test_auroc_high",
    "test_ap", "test_accuracy", "test_threshold", "test_majority_rate", "test_r2",
    "test_mse", "n_clinical_kept", "n_genetic_kept", "snps_kept", "causal_snps_found",
    "false_snps", "precision", "recall", "decoys_kept", "zeros_certified",
    "oracle_auroc", "oracle_ap", "fit_seconds",
)
_COUNTS = ("best_epoch", "n_inputs", "n_clinical_kept", "n_genetic_kept", "snps_kept",
           "causal_snps_found", "false_snps", "decoys_kept", "seed")


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "-"
        return f"{value:.3g}" if abs(value) < 1e-2 and value != 0 else f"{value:.3f}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table: counts as integers, floats to 3 decimals,
    '-' where a value does not apply."""
    shown = frame.copy()
    for column in _COUNTS:
        if column in shown.columns:
            shown[column] = ["-" if pd.isna(v) else str(int(v)) for v in shown[column]]
    header = "| " + " | ".join(shown.columns) + " |"
    rule = "|" + "|".join("---" for _ in shown.columns) + "|"
    body = ["| " + " | ".join(_fmt(v) for v in row) + " |"
            for row in shown.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


def check_run_directory(out: Path, overwrite: bool) -> None:
    """Refuse an ``out`` that exists and is not an empty directory, unless ``overwrite``."""
    if out.exists():
        if not out.is_dir():
            raise DataError(f"Run directory '{out}' exists and is not a directory.")
        if any(out.iterdir()) and not overwrite:
            raise DataError(f"Run directory '{out}' exists and is not empty; pass "
                            "--overwrite (overwrite=True) to replace it or choose "
                            "another directory.")


def _versions() -> dict:
    out = {}
    for package in ("riata", "torch", "numpy", "scikit-learn", "pandas"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover - source tree
            out[package] = None
    return out


def _metrics(run) -> dict:
    models = {}
    for key, fitted in run.models.items():
        est = fitted.estimator
        entry = {"kind": fitted.spec.kind, "test": run.scores[key], "alpha": fitted.alpha,
                 "best_epoch": getattr(est, "best_epoch_", None),
                 "kkt_max_ratio_of_zeros": run.table.set_index("model").loc[key,
                                                                            "kkt_max"],
                 "history": getattr(est, "history_", None)}
        entry["paths"] = {name: {"alpha_max": p.alpha_max, "rule": p.rule,
                                 "best_alpha": p.best_alpha,
                                 "records": [dataclasses.asdict(r) for r in p.records]}
                          for name, p in fitted.paths.items()}
        models[key] = entry
    for key, found in run.stability.items():
        models[key]["stability_selection"] = {
            "n_subsamples": found.selection.shape[1], "threshold": found.threshold,
            "mean_selected_q": found.q, "n_candidates": found.n_candidates,
            "expected_false_stable_bound": found.error_bound,
            "reference": "Meinshausen & Buhlmann (2010), JRSS-B 72(4), Theorem 1"}
    inputs = run.inputs
    return {"task": inputs.task, "splits": inputs.split.sizes(), "models": models,
            "genotypes": None if inputs.genotypes is None else {
                "n_snps": inputs.n_snps, "missing_calls": inputs.missing_calls,
                "imputation": "training mean of the SNP (0 after standardization)"},
            "warnings": list(run.notes)}


def _selected_variables(run) -> pd.DataFrame:
    frames = []
    for key, fitted in run.models.items():
        norms = fitted.norms
        n_snp = len(fitted.snp_columns)
        keep = np.ones(norms.size, dtype=bool)
        if n_snp:  # SNPs of a working set that stayed at zero are not listed
            keep[norms.size - n_snp:] = norms[norms.size - n_snp:] > 0
        frames.append(pd.DataFrame({
            "model": key, "variable": fitted.input_names[keep],
            "group": fitted.input_groups[keep], "selected": norms[keep] > 0,
            "norm": norms[keep].astype(float)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["model", "variable", "group", "selected", "norm"])


def _selected_snps(run) -> pd.DataFrame | None:
    g = run.inputs.genotypes
    rows = []
    proxy_of = {}
    if run.truth is not None:
        for causal, proxies in zip(run.truth.causal_snps, run.truth.proxies):
            for name in proxies:
                proxy_of.setdefault(name, causal)
    for key, fitted in run.models.items():
        n_snp = len(fitted.snp_columns)
        if g is None or not n_snp:
            continue
        norms = fitted.norms[len(fitted.norms) - n_snp:]
        for i in fitted.selected_snps:
            j = fitted.snp_columns[i]
            name = str(g.snp_names[j])
            rows.append({"model": key, "snp": name, "chromosome": str(g.chromosome[j]),
                         "position": int(g.bp_position[j]),
                         "allele": None if g.allele_1 is None else str(g.allele_1[j]),
                         "norm": float(norms[i]),
                         **({"causal_match": proxy_of.get(name, "")}
                            if run.truth is not None else {})})
    if g is None:
        return None
    return pd.DataFrame(rows, columns=["model", "snp", "chromosome", "position",
                                       "allele", "norm"]
                        + (["causal_match"] if run.truth is not None else []))


def _stability(run) -> pd.DataFrame | None:
    networks = [k for k, f in run.models.items() if f.spec.is_network and f.clinical]
    if len(networks) < 2:
        return None
    variables = list(dict.fromkeys(run.inputs.clinical_groups))
    table = pd.DataFrame({"variable": variables})
    for key in networks:
        fitted = run.models[key]
        kept = {g for g, n in zip(fitted.input_groups, fitted.norms) if n > 0}
        table[key] = [int(v in kept) for v in variables]
    return table


def _write_tables(stage: Path, run, config: dict) -> None:
    document = {"workflow": run.workflow,
                "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                **config, "warnings": list(run.notes), "versions": _versions()}
    atomic_write_text(stage / "config.json", json_text(document))
    atomic_write_text(stage / "results.csv", run.table.to_csv(index=False))
    shown = run.table[[c for c in RESULT_COLUMNS if c in run.table.columns]]
    atomic_write_text(stage / "results.md", markdown_table(shown))
    atomic_write_text(stage / "metrics.json", json_text(_metrics(run)))
    atomic_write_text(stage / "selected_variables.csv",
                      _selected_variables(run).to_csv(index=False))
    stable = (pd.concat([f.table(k) for k, f in run.stability.items()],
                        ignore_index=True) if run.stability else None)
    for name, frame in (("selected_snps", _selected_snps(run)),
                        ("stability", _stability(run)),
                        ("stability_selection", stable)):
        if frame is not None:
            atomic_write_text(stage / f"{name}.csv", frame.to_csv(index=False))
    if run.truth is not None:
        atomic_write_text(stage / "truth.json", json_text(run.truth_document()))
    for key, fitted in run.models.items():
        for name, path in fitted.paths.items():
            frame = pd.DataFrame([dataclasses.asdict(r) for r in path.records])
            suffix = "" if name == "path" else f"_{name.removesuffix('_path')}"
            atomic_write_text(stage / "paths" / f"{key}{suffix}.csv",
                              frame.to_csv(index=False))


def write_run_directory(out, run, config: dict, *, title: str, overwrite: bool = False,
                        save=None, extra_files: dict | None = None) -> Path:
    """Write a run's directory atomically: stage it whole, then rename it into place.

    Parameters
    ----------
    out : path-like
        The run directory.
    run : RunResult
    config : dict
        The workflow's own sections of ``config.json`` (settings, data summary).
    title : str
        Title of ``report.html``.
    overwrite : bool, default=False
        Replace an existing non-empty ``out``.
    save : callable, optional
        ``save(model_dir)`` writes the run's model (``riata fit``).
    extra_files : dict of str to str, optional
        More files (relative name -> text), e.g. the summary of repeated runs.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataError
        If ``out`` exists and may not be replaced, or cannot be written.
    """
    out = Path(os.fspath(out))
    check_run_directory(out, overwrite)
    try:
        with atomic_directory(out) as stage:
            stage.mkdir(parents=True)
            _write_tables(stage, run, config)
            for name, text in (extra_files or {}).items():
                atomic_write_text(stage / name, text)
            write_figures(stage / "figures", run)
            if save is not None:
                save(stage / "model")
            write_report(stage, title=title)
    except OSError as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise DataError(f"Cannot write the run directory '{out}': {err}.") from err
    return out

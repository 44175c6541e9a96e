"""The run directory of :func:`fit_cohort`: what was asked, found, fitted and scored.

``config.json`` (settings, estimator parameters, data summary, warnings, versions),
``results.csv`` / ``results.md``, ``metrics.json``, ``selected_variables.csv``,
``figures/``, ``paths/`` (with a penalty path), ``model/`` and ``report.html``.
"""

from __future__ import annotations

import time
from dataclasses import MISSING, fields
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import atomic_write_text, json_text
from ..io import save_model
from ..plotting import (
    plot_regularization_path,
    plot_validation_curve,
    plot_weight_heatmap,
    save_figure,
)
from ._cohort_config import CohortFitConfig
from ._outputs import markdown_table

__all__ = ["display_results", "write_run_directory"]

#: Count columns of the results table, shown as integers in Markdown.
_COUNT_COLUMNS = ("best_epoch", "n_inputs_kept", "n_inputs", "n_clinical_variables_kept",
                  "n_genetic_units_kept")
#: Name of the validation score of each ``monitor_`` on the figures.
_METRIC_NAMES = {"roc_auc": "AUROC", "average_precision": "AP", "loss": "-loss",
                 "r2": "R2"}


def display_results(results: pd.DataFrame) -> pd.DataFrame:
    """The results table for Markdown: counts as integers, '-' where not applicable."""
    shown = results.copy()
    for column in _COUNT_COLUMNS:
        shown[column] = ["-" if pd.isna(v) else str(int(v)) for v in shown[column]]
    return shown


def write_run_directory(stage: Path, config: CohortFitConfig, data, result, notes, *,
                        started: float, overwrite: bool,
                        options_given: dict | None) -> None:
    """Write every file of the run into ``stage`` (which must not exist yet)."""
    stage.mkdir(parents=True)
    estimator, path = result.estimator, result.path
    atomic_write_text(stage / "config.json", json_text(_config_document(
        config, data, result, notes, overwrite=overwrite, options_given=options_given)))
    atomic_write_text(stage / "results.csv", result.table.to_csv(index=False))
    atomic_write_text(stage / "results.md", markdown_table(display_results(result.table)))
    kkt = estimator.kkt_violation_
    metrics = {
        "task": data.task,
        "riata": {"test": result.test_scores, "alpha": result.alpha,
                  "monitor": estimator.monitor_,
                  "valid_score": float(estimator.best_score_),
                  "best_epoch": int(estimator.best_epoch_),
                  "kkt_max_ratio_of_zeros": (None if np.all(np.isnan(kkt))
                                             else float(np.nanmax(kkt))),
                  "selected_clinical_variables": result.selected_variables,
                  "history": estimator.history_},
        "baselines": result.baseline_scores,
        "path": None if path is None else {"alpha_max": path.alpha_max,
                                           "records": path.records},
        "splits": {"train": int(data.train.size), "valid": int(data.valid.size),
                   "test": int(data.test.size)},
        "genotypes": None if data.table.genotypes is None else {
            "n_snps": data.n_snps, "missing_calls": data.missing_calls,
            "imputation": "training mean of the SNP (0 after standardization)"},
        "warnings": notes,
        "seconds": round(time.perf_counter() - started, 2),
    }
    atomic_write_text(stage / "metrics.json", json_text(metrics))
    norms = estimator.feature_importances_
    selected = pd.DataFrame({"model": "riata", "variable": data.first_names,
                             "group": [data.variable_of[n] for n in data.first_names],
                             "selected": norms > 0, "norm": norms.astype(float)})
    atomic_write_text(stage / "selected_variables.csv", selected.to_csv(index=False))
    _write_figures(stage, result, data.first_names)
    clinical_path = Path(config.clinical)
    save_model(stage / "model", estimator, clinical_encoder=data.encoder,
               genotype_stats=data.genotype_stats,
               metadata={"target": config.target, "id_column": config.id_column,
                         "task": data.task, "clinical_file": str(clinical_path),
                         "target_mean": result.target_mean,
                         "target_scale": result.target_scale,
                         "genotypes": (None if config.genotypes is None
                                       else str(config.genotypes)),
                         "clinical_feature_names": data.clinical_names,
                         "first_layer_groups": data.first_groups,
                         "penalty": config.penalty, "alpha": result.alpha})
    try:
        from ._report import write_report
    except ImportError:  # pragma: no cover - the report module ships with riata
        notes.add("the HTML report module is not available; report.html not written.")
    else:
        write_report(stage, title=f"riata fit: {config.target} in {clinical_path.name}")


def _write_figures(stage: Path, result, names: list) -> None:
    """The first-layer heat map and, with a path, the path and validation curves."""
    estimator, path = result.estimator, result.path
    label = result.table.loc[0, "model"]
    ax = plot_weight_heatmap(estimator.first_layer_weights_, names,
                             title=f"{label}: first-layer weights")
    save_figure(ax.figure, stage / "figures" / "heatmap.png")
    if path is None:
        return
    frame = pd.DataFrame(path.records)
    atomic_write_text(stage / "paths" / "path.csv", frame.to_csv(index=False))
    ax = plot_regularization_path(path.alphas, path.group_norms, labels=names,
                                  chosen_alpha=path.best_alpha)
    ax.set_title("first-layer norms along the penalty path")
    save_figure(ax.figure, stage / "figures" / "path.png")
    metric = _METRIC_NAMES.get(estimator.monitor_ or "loss", "score")
    ax = plot_validation_curve(path.alphas, frame["valid_score"].to_numpy(),
                               metric_name=metric, chosen_alpha=path.best_alpha)
    ax.set_title(f"validation {metric} along the path")
    save_figure(ax.figure, stage / "figures" / "validation.png")


def _config_document(config: CohortFitConfig, data, result, notes, *, overwrite: bool,
                     options_given: dict | None) -> dict:
    """The content of ``config.json``."""
    summary = data.table.summary()
    classes = getattr(result.estimator, "classes_", None)
    classification = data.task == "classification"
    return {
        "options_given": (_non_defaults(config) if options_given is None
                          else options_given),
        "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "settings": _recorded_settings(config, result.run_dir, overwrite, data.task),
        "estimator": {"class": type(result.estimator).__name__,
                      "params": result.estimator.get_params(deep=False)},
        "data": {"n_samples": int(data.y.size), "n_train": int(data.train.size),
                 "n_valid": int(data.valid.size), "n_test": int(data.test.size),
                 "classes": None if classes is None else [str(c) for c in classes],
                 "class_counts": summary["class_counts"] if classification else None,
                 "clinical_columns": summary["clinical_columns"],
                 "n_encoded_clinical_features": data.n_clinical,
                 "n_snps": data.n_snps,
                 "dropped_columns": summary["dropped_columns"] or "none",
                 "missing_values": data.missing_values or "none",
                 "missing_policy": config.missing,
                 "missing_genotype_calls": data.missing_calls or "none",
                 "sample_matching": summary["sample_summary"] or "no genotypes"},
        "warnings": notes,
        "versions": _versions(),
    }


def _recorded_settings(config: CohortFitConfig, out_dir: Path, overwrite: bool,
                       task: str) -> dict:
    """The settings under the keys of a ``riata fit --config`` file, paths absolute.

    ``id`` stands for ``id_column`` and ``out`` for the run directory, so that a
    recorded run can be written back as a config file; ``task`` is the one decided.
    """
    out = {}
    for item in fields(config):
        value = getattr(config, item.name)
        if item.name == "network":
            continue
        if item.name in ("clinical", "genotypes") and value is not None:
            value = str(Path(value).resolve())
        out["id" if item.name == "id_column" else item.name] = value
        if item.name == "id_column":
            out["out"] = str(Path(out_dir).resolve())
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


def _versions() -> dict:
    versions = {}
    for package in ("riata", "torch", "numpy", "scikit-learn", "pandas"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:  # pragma: no cover - source tree
            versions[package] = None
    return versions



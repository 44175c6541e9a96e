"""Writing a case-study run directory: tables, figures, paths and the report."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import atomic_write_text, json_text
from ..plotting import (
    plot_heatmap_panels,
    plot_regularization_path,
    plot_validation_curve,
    plot_weight_heatmap,
    save_figure,
)

__all__ = ["write_outputs", "atomic_write_text", "markdown_table"]

#: Columns of the results table shown in Markdown (the CSV keeps them all).
TABLE_COLUMNS = (
    "label", "alpha", "best_epoch", "test_accuracy", "test_auroc", "test_ap",
    "n_clinical_kept", "n_genetic_kept", "n_snps_kept", "precision", "recall",
    "decoys_kept", "oracle_auroc", "oracle_ap",
)


def _fmt(value) -> str:
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "-"
        return f"{value:.3g}" if abs(value) < 1e-2 and value != 0 else f"{value:.3f}"
    return str(value)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (floats to 3 decimals)."""
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_fmt(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


def _csv(path: Path, frame: pd.DataFrame) -> None:
    atomic_write_text(path, frame.to_csv(index=False))


def write_outputs(run_dir: Path, result, settings: dict, col2var: dict) -> Path:
    """Write every output of a case-study run into ``run_dir``; return ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    figures = run_dir / "figures"
    table = result.table
    atomic_write_text(run_dir / "config.json", json_text(settings))
    _csv(run_dir / "results.csv", table)
    shown = table[[c for c in TABLE_COLUMNS if c in table.columns]]
    atomic_write_text(run_dir / "results.md", markdown_table(shown))
    atomic_write_text(run_dir / "truth.json", json_text(result.truth))
    metrics = {
        key: {"history": est.history_, "best_epoch": est.best_epoch_,
              "kkt_max_ratio_of_zeros": (None if np.all(np.isnan(est.kkt_violation_))
                                         else float(np.nanmax(est.kkt_violation_)))}
        for key, est in result.estimators.items()
    }
    atomic_write_text(run_dir / "metrics.json", json_text(metrics))

    selected = []
    for key, est in result.estimators.items():
        for name, norm in zip(result.row_labels[key], est.feature_importances_):
            # The original variable beside each one-hot column: selection is decided
            # per variable (its group), the heat map is drawn per column.
            group = col2var.get(name, name)
            selected.append({"model": key, "variable": name, "group": group,
                             "selected": bool(norm > 0), "norm": float(norm)})
    _csv(run_dir / "selected_variables.csv", pd.DataFrame(selected))
    seeds = [k for k in ("group_lasso_a", "group_lasso_b") if k in result.estimators]
    if seeds:
        stab = pd.DataFrame({"variable": result.row_labels[seeds[0]]})
        for key in seeds:
            stab[key] = (result.estimators[key].feature_importances_ > 0).astype(int)
        _csv(run_dir / "stability.csv", stab)

    for key, path in result.paths.items():
        names = result.row_labels.get(key)
        frame = pd.DataFrame(path.records)
        _csv(run_dir / "paths" / f"{key}.csv", frame)
        if not key.endswith("_encoder"):
            # Name the inputs that matter at the chosen alpha, not the first to move.
            norms_at_best = path.group_norms[path.best_index]
            top = [names[i] for i in np.argsort(norms_at_best)[::-1][:6]
                   if norms_at_best[i] > 0]
            ax = plot_regularization_path(path.alphas, path.group_norms, labels=names,
                                          chosen_alpha=path.best_alpha,
                                          highlight=top or 5)
            ax.set_title(f"{key}: first-layer group norms along the path")
            save_figure(ax.figure, figures / f"path_{key}.png")
        ax = plot_validation_curve(path.alphas, frame["valid_score"].to_numpy(),
                                   chosen_alpha=path.best_alpha)
        ax.set_title(f"{key}: validation AUROC along the path")
        save_figure(ax.figure, figures / f"validation_{key}.png")

    for key, est in result.estimators.items():
        ax = plot_weight_heatmap(est.first_layer_weights_, result.row_labels[key],
                                 title=f"{key}: first-layer weights")
        save_figure(ax.figure, figures / f"heatmap_{key}.png")
    from ._casestudy import MODELS, PANELS

    panels = {MODELS[k][0]: result.estimators[k].first_layer_weights_
              for k in PANELS if k in result.estimators}
    if len(panels) > 1:
        labels = result.row_labels[next(k for k in PANELS if k in result.estimators)]
        fig = plot_heatmap_panels(panels, labels, ncols=3,
                                  suptitle="First-layer weights (exact zeros black)")
        save_figure(fig, figures / "heatmaps.png")
    try:
        from ._report import write_report
    except ImportError:  # pragma: no cover - the report module ships with riata
        return run_dir
    write_report(run_dir, title="riata case study")
    return run_dir

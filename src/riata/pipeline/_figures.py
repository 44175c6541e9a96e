"""The figures of a run: weight heat maps, paths, validation curves, SNP weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..plotting import (
    plot_heatmap_panels,
    plot_regularization_path,
    plot_selection_stability,
    plot_snp_weights,
    plot_test_curves,
    plot_validation_curve,
    plot_weight_heatmap,
    save_figure,
)

__all__ = ["write_figures"]


def _heatmap_rows(fitted):
    """Rows of a heat map: every input but the working-set SNPs left at zero."""
    norms = fitted.norms
    keep = np.ones(norms.size, dtype=bool)
    n_snp = len(fitted.snp_columns)
    if n_snp:
        keep[norms.size - n_snp:] = norms[norms.size - n_snp:] > 0
    return fitted.weights[keep], list(fitted.input_names[keep])


def _path_figures(figures: Path, key: str, name: str, path) -> None:
    suffix = "" if name == "path" else f"_{name.removesuffix('_path')}"
    records = pd.DataFrame([r.__dict__ for r in path.records])
    labels = [str(n) for n in path.feature_names]
    norms = path.group_norms
    if norms.shape[1] == len(labels) and norms.shape[1] > 0:
        at_best = norms[path.best_index]
        top = [labels[i] for i in np.argsort(at_best)[::-1][:6] if at_best[i] > 0]
        ax = plot_regularization_path(path.alphas, norms, labels=labels,
                                      chosen_alpha=path.best_alpha, highlight=top or 5)
        ax.set_title(f"{key}: first-layer norms along the path{suffix.replace('_', ' ')}")
        save_figure(ax.figure, figures / f"path_{key}{suffix}.png")
    if path.cv_losses is not None:
        # The folds' mean and its standard error (the CV curve of cv.glmnet, and
        # the standard error the 1-SE rule uses).
        ax = plot_validation_curve(path.cv_alphas, -path.cv_losses.T,
                                   metric_name="-(held-out loss), mean ± SE of folds",
                                   chosen_alpha=path.best_alpha, band="se",
                                   label="cross-validation")
        ax.set_title(f"{key}: {path.cv_losses.shape[0]}-fold cross-validation "
                     f"({path.rule} rule)")
    else:
        ax = plot_validation_curve(path.alphas, -records["valid_loss"].to_numpy(),
                                   metric_name="-(validation loss)",
                                   chosen_alpha=path.best_alpha)
        ax.set_title(f"{key}: validation loss along the path ({path.rule} rule)")
    save_figure(ax.figure, figures / f"validation_{key}{suffix}.png")


def _snp_figure(figures: Path, key: str, fitted, run) -> None:
    g = run.inputs.genotypes
    n_snp = len(fitted.snp_columns)
    norms = np.zeros(g.n_snps)
    if n_snp:
        norms[fitted.snp_columns] = fitted.norms[len(fitted.norms) - n_snp:]
    causal = None
    if run.truth is not None and run.truth.causal_snps:
        causal = np.isin(g.snp_names, list(run.truth.causal_snps))
    ax = plot_snp_weights(g.chromosome, g.bp_position, norms, causal=causal,
                          title=f"{key}: weight of each SNP ({len(fitted.selected_snps)} "
                                "selected)")
    save_figure(ax.figure, figures / f"snps_{key}.png")


def write_figures(figures: Path, run) -> None:
    """Every figure of ``run`` into ``figures``."""
    panels, panel_rows = {}, None
    for key, fitted in run.models.items():
        if fitted.spec.is_network:
            weights, rows = _heatmap_rows(fitted)
            ax = plot_weight_heatmap(weights, rows, title=f"{key}: first-layer weights")
            save_figure(ax.figure, figures / f"heatmap_{key}.png")
            if fitted.spec.panel and (panel_rows is None or rows == panel_rows):
                panels[fitted.spec.label] = weights
                panel_rows = rows
        for name, path in fitted.paths.items():
            _path_figures(figures, key, name, path)
        if fitted.spec.kind in ("snp_network", "lasso") and run.inputs.n_snps:
            _snp_figure(figures, key, fitted, run)
    if len(panels) > 1:
        fig = plot_heatmap_panels(panels, panel_rows, ncols=3,
                                  suptitle="First-layer weights (exact zeros black)")
        save_figure(fig, figures / "heatmaps.png")
    if run.predictions:
        positive = run.inputs.target("test") == run.inputs.positive_class
        fig = plot_test_curves(positive, run.predictions,
                               title=f"test split: positive class "
                                     f"{run.inputs.positive_class!r}")
        save_figure(fig, figures / "test_curves.png")
    for key, found in run.stability.items():
        truth = None
        if run.truth is not None:
            truth = set(run.truth.clinical_variables) & set(found.selection.index)
        shown = found.selection.loc[found.frequency.index[:40]]
        ax = plot_selection_stability(shown, truth=truth or None)
        ax.set_title(f"{key}: selection on {found.selection.shape[1]} half-samples "
                     f"(stable >= {found.threshold:.0%}; expected false stable <= "
                     f"{found.error_bound:.2f})")
        save_figure(ax.figure, figures / f"stability_{key}.png")

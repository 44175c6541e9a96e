"""Several runs of the same models on new draws: mean, spread and selection frequency."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SUMMARY_METRICS", "summarize_repeats", "selection_frequency"]

#: results.csv columns summarized over repeats (those present).
SUMMARY_METRICS = ("test_auroc", "test_ap", "test_accuracy", "test_r2", "test_mse",
                   "n_clinical_kept", "n_genetic_kept", "snps_kept", "causal_snps_found",
                   "false_snps", "precision", "recall", "f1", "decoys_kept",
                   "oracle_auroc", "oracle_ap", "fit_seconds")


def summarize_repeats(tables) -> pd.DataFrame:
    """Mean and standard deviation of each model's results over repeats.

    Parameters
    ----------
    tables : sequence of DataFrame
        results.csv of each repeat (the same models).

    Returns
    -------
    DataFrame
        One row per model (in the first table's order): ``model``, ``label``,
        ``n_repeats``, and ``METRIC_mean`` / ``METRIC_sd`` (ddof=1) for each metric of
        :data:`SUMMARY_METRICS`; ``genetic_dropped`` is the share of repeats in which
        the model kept no genetic unit and no SNP (where it could keep either).
    """
    frame = pd.concat([t.assign(repeat=i) for i, t in enumerate(tables)],
                      ignore_index=True)
    rows = []
    for model in dict.fromkeys(tables[0]["model"]):
        part = frame[frame["model"] == model]
        row = {"model": model, "label": part["label"].iloc[0], "n_repeats": len(part)}
        for metric in SUMMARY_METRICS:
            if metric not in part.columns:
                continue
            values = pd.to_numeric(part[metric], errors="coerce")
            if values.notna().any():
                row[f"{metric}_mean"] = float(values.mean())
                row[f"{metric}_sd"] = (float(values.std(ddof=1))
                                       if values.notna().sum() > 1 else np.nan)
        genetic = [c for c in ("n_genetic_kept", "snps_kept") if c in part.columns
                   and part[c].notna().any()]
        if genetic:
            dropped = (part[genetic].fillna(0) == 0).all(axis=1)
            row["genetic_dropped"] = float(dropped.mean())
        rows.append(row)
    return pd.DataFrame(rows)


def selection_frequency(runs) -> pd.DataFrame:
    """How often each model selected each clinical variable, over repeats.

    Returns
    -------
    DataFrame
        One row per clinical variable (and ``genetics`` where a model has genetic
        units or SNPs), one column per model: the share of repeats in which the
        variable had a nonzero first-layer weight.
    """
    variables = list(dict.fromkeys(runs[0].inputs.clinical_groups))
    models = list(runs[0].models)
    counts = pd.DataFrame(0.0, index=variables + ["genetics"], columns=models)
    for run in runs:
        wanted = set(run.inputs.clinical_groups)
        for key, fitted in run.models.items():
            kept = {g for g, n in zip(fitted.input_groups, fitted.norms) if n > 0}
            for variable in kept & wanted:
                counts.loc[variable, key] += 1
            if any(g not in wanted for g in kept):
                counts.loc["genetics", key] += 1
    out = counts / len(runs)
    return out.rename_axis("variable").reset_index()

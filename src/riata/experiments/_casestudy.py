"""The Framingham-style case study: eight-plus models on one simulated cohort.

Reproduces the design of the original study (clinical variables plus SNPs through a
learned 20-unit genotype representation; no regularization, L1, L2, elastic net and
group lasso on the first layer, two seeds for group lasso) on a cohort simulated with
known ground truth, so that selection can be scored as well as prediction.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from ..data import ClinicalEncoder, genotype_kernel, make_framingham_like
from ..data._kernel import genotype_statistics, standardized_columns
from ..data._clinical_sim import CATEGORICAL_COLUMNS
from ..estimators import SparseMLPClassifier, fit_alpha_path, fit_snp_path
from ..penalties import L2, GroupLasso, make_penalty
from ._outputs import write_outputs
from ._scoring import clinical_selection, selection_scores, test_metrics

__all__ = ["CaseStudyConfig", "CaseStudyResult", "run_case_study", "MODELS"]

logger = logging.getLogger("riata")

#: The compared models: key -> (label, inputs, penalty name, seed index, SNP penalty).
MODELS = {
    "clinical": ("clinical only", "clinical", None, 0, False),
    "genetic": ("genetic only", "genetic", None, 0, False),
    "none": ("clinical + genetic, no regularization", "combined", None, 0, False),
    "l1": ("L1", "combined", "l1", 0, False),
    "l2": ("L2", "combined", "l2", 0, False),
    "elastic_net": ("elastic net", "combined", "elastic-net", 0, False),
    "group_lasso_a": ("group lasso, seed a", "combined", "group-lasso", 0, False),
    "group_lasso_b": ("group lasso, seed b", "combined", "group-lasso", 1, False),
    "group_lasso_snp": ("group lasso + SNP group lasso", "combined", "group-lasso", 0, True),
}

#: Heat-map panels A-F, in the original figure's order.
PANELS = ("none", "l1", "l2", "elastic_net", "group_lasso_a", "group_lasso_b")


@dataclass
class CaseStudyConfig:
    """Settings of one case-study run (every field is written to ``config.json``).

    Parameters
    ----------
    n_samples : int, default=3000
    preset : {None, "blog_like"}, default=None
        A cohort preset of :func:`riata.data.make_framingham_like`.
    genetics : {"null", "sparse", "polygenic"}, default="sparse"
    outcome : {"dagostino_bmi", "logistic_sparse"}, default="dagostino_bmi"
    prevalence : float or None, default=None
    n_chromosomes : int, default=1
        Independent 10 Mb chromosomes of msprime genotypes (~23,000 SNPs each at
        n=3,000); 22 is the full ~500,000-SNP scale.
    chromosome_length : int, default=10_000_000
    data_seed : int, default=0
        Seeds the cohort and the train/validation/test split.
    seeds : tuple of int, default=(0, 1)
        Network seeds a and b (initialization, batch order).
    valid_size, test_size : float, default=0.2
    n_alphas : int, default=8
        Points on each warm-started path from alpha_max down to ``eps * alpha_max``.
    eps : float, default=0.02
    hidden_layer_sizes : tuple of int, default=(20,)
    encoder_dim : int, default=20
    learning_rate : float, default=5e-3
    batch_size : int, default=256
    max_epochs : int, default=50
    n_iter_no_change : int, default=6
    encoder_alpha : float, default=1e-2
        Ridge (``L2``) strength on the genotype encoder of every model that has one
        (except the SNP-selecting model, whose encoder carries a group lasso), on the
        scale of genotypes standardized and divided by ``sqrt(n_snps)`` (the scale on
        which the kernel has a unit diagonal). Without it the encoder could grow its
        outputs and shrink the first-layer genetic rows at no cost, which would make
        the first-layer penalty meaningless for them.
    models : tuple of str, default=all of :data:`MODELS`
    cache_dir : str or None, default=None
        Where simulated cohorts are cached by a hash of their configuration.
    """

    n_samples: int = 3000
    preset: str | None = None
    genetics: str = "sparse"
    outcome: str = "dagostino_bmi"
    prevalence: float | None = None
    n_chromosomes: int = 1
    chromosome_length: int = 10_000_000
    data_seed: int = 0
    seeds: tuple = (0, 1)
    valid_size: float = 0.2
    test_size: float = 0.2
    n_alphas: int = 8
    eps: float = 0.02
    hidden_layer_sizes: tuple = (20,)
    encoder_dim: int = 20
    learning_rate: float = 5e-3
    batch_size: int = 256
    max_epochs: int = 50
    n_iter_no_change: int = 6
    encoder_alpha: float = 1e-2
    models: tuple = tuple(MODELS)
    cache_dir: str | None = None

    def __post_init__(self):
        unknown = [m for m in self.models if m not in MODELS]
        if unknown:
            raise ValueError(f"models: unknown {unknown}; choose from {list(MODELS)}.")
        if "group_lasso_snp" in self.models and "group_lasso_a" not in self.models:
            raise ValueError("models: group_lasso_snp takes its first-layer alpha from "
                             "group_lasso_a; add group_lasso_a to the models.")
        if len(self.seeds) != 2:
            raise ValueError(f"seeds must hold two seeds (a, b); got {self.seeds!r}.")
        if not 0 < self.valid_size < 1 or not 0 < self.test_size < 1 or (
                self.valid_size + self.test_size >= 1):
            raise ValueError("valid_size and test_size must be in (0, 1) and sum below 1.")


@dataclass
class CaseStudyResult:
    """The results table, the fitted models and where the outputs were written."""

    table: pd.DataFrame
    run_dir: Path | None
    estimators: dict = field(default_factory=dict)
    paths: dict = field(default_factory=dict)
    truth: dict = field(default_factory=dict)
    row_labels: dict = field(default_factory=dict)


@dataclass
class _Prepared:
    """The encoded cohort, rows reordered as [train | valid | test].

    ``matrix`` is one float32 array ``[clinical | K]`` with ``K`` the linear genotype
    kernel of every sample against the training samples (``n x n_train``); every
    model's inputs and every split are *views* of it. The genotypes themselves stay
    int8 in the cohort (1.5 GB at 3,000 x 500,000, against 6 GB as float32): the
    kernel encoders never see them, and the SNP-selecting model standardizes them
    only for the SNPs and rows it needs (``snp_matrix``).
    """

    cohort: object
    order: np.ndarray
    bounds: tuple
    matrix: np.ndarray
    y: np.ndarray
    risk: np.ndarray
    clinical_names: list
    column_to_variable: dict
    n_snps: int
    genotype_mean: np.ndarray | None = None
    genotype_scale: np.ndarray | None = None
    kernel_seconds: float = 0.0

    def rows(self, name: str) -> slice:
        lo, hi = {"train": (0, self.bounds[0]), "valid": self.bounds[:2],
                  "test": (self.bounds[1], self.bounds[2])}[name]
        return slice(lo, hi)

    def split(self, name: str, columns: slice):
        rows = self.rows(name)
        return self.matrix[rows, columns], self.y[rows]


def _prepare(config: CaseStudyConfig) -> _Prepared:
    """Simulate, split (stratified) and encode; statistics from the training split."""
    cohort = make_framingham_like(
        config.n_samples, genetics=None if config.preset else config.genetics,
        outcome=None if config.preset else config.outcome, prevalence=config.prevalence,
        n_chromosomes=config.n_chromosomes, chromosome_length=config.chromosome_length,
        preset=config.preset, random_state=config.data_seed, cache_dir=config.cache_dir,
    )
    idx = np.arange(cohort.y.shape[0])
    rest, test = train_test_split(idx, test_size=config.test_size, stratify=cohort.y,
                                  random_state=config.data_seed)
    train, valid = train_test_split(
        rest, test_size=config.valid_size / (1 - config.test_size),
        stratify=cohort.y[rest], random_state=config.data_seed + 1)
    order = np.concatenate([train, valid, test])
    bounds = (train.size, train.size + valid.size, order.size)
    encoder = ClinicalEncoder(categorical=list(CATEGORICAL_COLUMNS)).fit(
        cohort.clinical.iloc[train])
    clinical = encoder.transform(cohort.clinical.iloc[order])
    names = list(encoder.get_feature_names_out())
    column_to_variable = {n: encoder.group_names_[g]
                          for n, g in zip(names, encoder.feature_groups_)}
    g = cohort.genotypes
    n_snps = 0 if g is None else g.shape[1]
    n_kernel = train.size if n_snps else 0
    matrix = np.empty((order.size, clinical.shape[1] + n_kernel), dtype=np.float32)
    matrix[:, :clinical.shape[1]] = clinical
    mean = scale = None
    kernel_seconds = 0.0
    if n_snps:
        # Training statistics, then the kernel of every sample against the training
        # samples, both from the int8 genotypes one block of SNPs at a time.
        t0 = time.perf_counter()
        mean, scale = genotype_statistics(g, train)
        matrix[:, clinical.shape[1]:] = genotype_kernel(g, train, rows=order, mean=mean,
                                                        scale=scale)
        kernel_seconds = time.perf_counter() - t0
        logger.info("genotype kernel (%d x %d from %d SNPs): %.1f s", order.size,
                    train.size, n_snps, kernel_seconds)
    return _Prepared(cohort, order, bounds, matrix, cohort.y[order], cohort.risk[order],
                     names, column_to_variable, n_snps, mean, scale, kernel_seconds)


def run_case_study(config: CaseStudyConfig | None = None, out_dir=None, *,
                   verbose: bool = True) -> CaseStudyResult:
    """Run the case study and (if ``out_dir``) write the run directory and report.

    Parameters
    ----------
    config : CaseStudyConfig, optional
    out_dir : path-like, optional
        Run directory: config.json, results.csv/.md, metrics.json, truth.json,
        selected_variables.csv, stability.csv, paths/, figures/ and report.html.
    verbose : bool, default=True
        Progress bars and a log line per model.

    Returns
    -------
    CaseStudyResult
    """
    config = config or CaseStudyConfig()
    t0 = time.perf_counter()
    data = _prepare(config)
    t_sim = time.perf_counter() - t0 - data.kernel_seconds
    cohort, truth, n_snps = data.cohort, data.cohort.truth, data.n_snps
    clin_names, col2var = data.clinical_names, data.column_to_variable
    y_test = data.split("test", slice(0, 0))[1]
    oracle = test_metrics(y_test, data.risk[data.bounds[1]:])
    logger.info("cohort ready: %d patients, %d SNPs (%.1f s)", cohort.y.size, n_snps, t_sim)
    snp_names = (cohort.snp_info["name"].astype(str).tolist() if n_snps else [])
    n_clin = len(clin_names)
    n_kernel = data.matrix.shape[1] - n_clin
    # Column ranges of each model's inputs in the shared matrix; kernel columns come
    # last because the estimator encodes its trailing columns.
    inputs = {"clinical": (slice(0, n_clin), 0),
              "genetic": (slice(n_clin, n_clin + n_kernel), n_kernel),
              "combined": (slice(0, n_clin + n_kernel), n_kernel)}
    # Group lasso groups on the first layer: one per genetic unit, one per clinical
    # variable (the one-hot levels of a categorical together).
    clin_groups = [f"clinical:{col2var[n]}" for n in clin_names]
    gen_groups = [f"genetic:{k}" for k in range(config.encoder_dim)]

    rows, estimators, paths, row_labels, chosen_alpha = [], {}, {}, {}, {}
    # In MODELS' order whatever the order asked for: the SNP model takes group lasso
    # seed a's alpha, so seed a must come first.
    keys = [k for k in MODELS if k in config.models and (MODELS[k][1] == "clinical"
                                                         or n_snps)]
    progress = keys
    if verbose:
        from tqdm.auto import tqdm
        progress = tqdm(keys, desc="case study", unit="model")
    for key in progress:
        label, kind, pen_name, seed_index, snp_pen = MODELS[key]
        columns, n_enc = inputs[kind]
        if snp_pen:
            # Selecting SNPs needs per-SNP weights: the explicit encoder over the SNPs
            # (on working sets, see fit_snp_path), beside the clinical columns.
            columns, n_enc = slice(0, n_clin), n_snps
        # First-layer rows: genetic units first, then the clinical one-hot columns.
        fnames = ([f"genetic_{k}" for k in range(config.encoder_dim)] if n_enc else []) + (
            clin_names if kind != "genetic" else [])
        groups = (gen_groups if n_enc else []) + (clin_groups if kind != "genetic" else [])
        est = SparseMLPClassifier(
            config.hidden_layer_sizes, penalty=make_penalty(pen_name, groups=groups),
            learning_rate_init=config.learning_rate, batch_size=config.batch_size,
            max_epochs=config.max_epochs, n_iter_no_change=config.n_iter_no_change,
            monitor="roc_auc", n_encoded_features=n_enc, encoder_dim=config.encoder_dim,
            encoder_penalty=(GroupLasso() if snp_pen else
                             L2(alpha=config.encoder_alpha) if n_enc else None),
            encoder_kernel="precomputed" if n_enc and not snp_pen else None,
            random_state=config.seeds[seed_index],
        )
        fit_data = data.split("train", columns)
        validation = data.split("valid", columns)
        X_test, y_test = data.split("test", columns)
        t = time.perf_counter()
        alpha = float("nan")
        n_snps_kept = np.nan
        if pen_name is None:
            est.fit(*fit_data, validation_data=validation)
        elif snp_pen:
            # The first-layer alpha is group lasso seed a's (same penalty, same seed);
            # the SNP-level penalty then walks its own path from its alpha_max, on
            # working sets of SNPs certified by KKT checks over all of them.
            alpha = chosen_alpha["group_lasso_a"]
            est.set_params(penalty__alpha=alpha)
            train_rows = data.order[data.rows("train")]
            spath = fit_snp_path(
                est, *fit_data, validation_data=validation,
                genotypes=cohort.genotypes, train_rows=train_rows,
                valid_rows=data.order[data.rows("valid")], mean=data.genotype_mean,
                scale=data.genotype_scale, n_alphas=config.n_alphas, eps=config.eps)
            paths[key + "_encoder"] = spath
            est = spath.best_estimator
            n_snps_kept = spath.records[spath.best_index]["n_snps"]
            X_test = np.hstack([X_test, standardized_columns(
                cohort.genotypes, data.order[data.rows("test")], spath.best_columns,
                data.genotype_mean, data.genotype_scale)])
        else:
            path = fit_alpha_path(est, *fit_data, validation_data=validation,
                                  n_alphas=config.n_alphas, eps=config.eps)
            paths[key] = path
            est = path.best_estimator
            alpha = path.best_alpha
        chosen_alpha[key] = alpha
        seconds = time.perf_counter() - t
        estimators[key] = est
        row_labels[key] = fnames
        metrics = test_metrics(y_test, est.predict_proba(X_test)[:, 1])
        norms = est.feature_importances_
        by_var = clinical_selection(fnames, norms, col2var)
        selected_vars = {v for v, nrm in by_var.items() if nrm > 0}
        n_gen = int(sum(1 for n, nrm in zip(fnames, norms)
                        if n.startswith("genetic_") and nrm > 0))
        scores = (selection_scores(selected_vars, set(truth.clinical_variables),
                                   dict(truth.decoys)) if kind != "genetic" else {})
        row = {
            "model": key, "label": label, "penalty": pen_name or "none",
            "seed": config.seeds[seed_index], "alpha": alpha,
            "best_epoch": est.best_epoch_,
            "test_accuracy": metrics["accuracy"], "test_auroc": metrics["auroc"],
            "test_ap": metrics["ap"],
            "n_clinical_kept": len(selected_vars) if kind != "genetic" else np.nan,
            "n_genetic_kept": n_gen if n_enc else np.nan,
            "n_snps_kept": n_snps_kept,
            "precision": scores.get("precision", np.nan),
            "recall": scores.get("recall", np.nan), "f1": scores.get("f1", np.nan),
            "decoys_kept": scores.get("decoys_kept", np.nan),
            "decoys_kept_names": scores.get("decoys_kept_names", ""),
            "decoys_instead_of_truth": scores.get("decoys_instead_of_truth", ""),
            "oracle_auroc": oracle["auroc"], "oracle_ap": oracle["ap"],
            "fit_seconds": seconds,
        }
        rows.append(row)
        logger.info("%-45s AUROC %.3f AP %.3f (%.1f s)", label, metrics["auroc"],
                    metrics["ap"], seconds)
    table = pd.DataFrame(rows)
    truth_dict = {
        "clinical_variables": list(truth.clinical_variables),
        "decoys": dict(truth.decoys),
        "genetics": truth.genetics, "outcome": truth.outcome,
        "genetic_effect": float(truth.genetic_effect),
        "causal_snps": [snp_names[i] for i in truth.causal_snps] if n_snps else [],
        "oracle_auroc_test": oracle["auroc"], "oracle_ap_test": oracle["ap"],
        "prevalence": float(cohort.y.mean()),
        "n_train": data.bounds[0], "n_valid": data.bounds[1] - data.bounds[0],
        "n_test": data.bounds[2] - data.bounds[1],
    }
    result = CaseStudyResult(table=table, run_dir=None, estimators=estimators,
                             paths=paths, truth=truth_dict, row_labels=row_labels)
    if out_dir is not None:
        settings = dataclasses.asdict(config)
        settings["n_snps"] = n_snps
        settings["simulation_seconds"] = round(t_sim, 2)
        settings["kernel_seconds"] = round(data.kernel_seconds, 2)
        settings["total_seconds"] = round(time.perf_counter() - t0, 2)
        result.run_dir = write_outputs(Path(out_dir), result, settings, col2var)
    return result



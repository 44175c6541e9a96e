"""The Framingham-style case study: a simulated cohort through the shared pipeline.

Reproduces the design of the original study (clinical variables plus SNPs through a
learned 20-unit genotype representation; no regularization, L1, L2, elastic net and
group lasso on the first layer, two seeds for group lasso) on a cohort simulated with
known ground truth, beside the linear baselines and the SNP-selecting network, so that
selection can be scored as well as prediction.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..data import make_framingham_like
from ..pipeline import (
    KnownTruth,
    PipelineSettings,
    case_study_specs,
    markdown_table,
    run_pipeline,
    selection_frequency,
    summarize_repeats,
    write_run_directory,
)

__all__ = ["CaseStudyConfig", "CaseStudyResult", "run_case_study", "CASE_STUDY_MODELS"]

logger = logging.getLogger("riata")

#: The keys of the case study's models, in the order they are fitted.
CASE_STUDY_MODELS = tuple(spec.key for spec in case_study_specs())


@dataclass(frozen=True)
class CaseStudyConfig:
    """Settings of one case-study run (every field is written to ``config.json``).

    Network hyperparameters and path settings are not repeated here: the estimators
    and :func:`riata.estimators.fit_alpha_path` own their defaults, and ``network``
    and the path fields hold overrides only.

    Parameters
    ----------
    n_samples : int, default=3000
    preset : {None, "blog_like"}, default=None
        A cohort preset of :func:`riata.data.make_framingham_like`.
    genetics : {"null", "sparse", "polygenic"} or None, default=None
        None: the preset's, or "sparse" (:func:`riata.data.make_framingham_like`).
    outcome : {"dagostino_bmi", "logistic_sparse", "nonlinear"} or None, default=None
        None: the preset's, or "dagostino_bmi". Given values win over the preset's.
    prevalence : float or None, default=None
    n_chromosomes : int, default=1
        Independent 10 Mb chromosomes of msprime genotypes (~23,000 SNPs each at
        n=3,000); 22 is the full ~500,000-SNP scale.
    chromosome_length : int, default=10_000_000
    data_seed : int, default=0
        Seeds the cohort and the train/validation/test split.
    repeats : int, default=1
        Cohorts to draw: data seeds ``data_seed, data_seed + 1, ...``, each with its
        own split; the models are fitted on each, and the run directory adds their
        mean and SD (``summary.csv``) and selection frequencies.
    seeds : tuple of int, default=(0, 1)
        Network seeds a and b.
    valid_size, test_size : float, default=0.2
    encoder_alpha : float, default=1e-2
        Ridge (``L2``) strength on the genotype encoder of the kernel networks, on the
        scale of genotypes standardized and divided by ``sqrt(n_snps)`` (where the
        kernel has a unit diagonal). Without it the encoder could grow its outputs and
        shrink the first-layer genetic rows at no cost, which would make the
        first-layer penalty meaningless for them.
    n_alphas, eps, rule, n_alphas_no_change : optional
        Path overrides (None: the defaults of :func:`riata.estimators.fit_alpha_path`
        and, for SNP paths, :func:`riata.estimators.fit_genotype_path`).
    network : dict, default={}
        Estimator parameters for every network (overrides).
    models : tuple of str, default=all of :data:`CASE_STUDY_MODELS`
    cache_dir : str or None, default=None
        Where simulated cohorts are cached by a hash of their configuration.
    """

    n_samples: int = 3000
    preset: str | None = None
    genetics: str | None = None
    outcome: str | None = None
    prevalence: float | None = None
    n_chromosomes: int = 1
    chromosome_length: int = 10_000_000
    data_seed: int = 0
    repeats: int = 1
    seeds: tuple = (0, 1)
    valid_size: float = 0.2
    test_size: float = 0.2
    encoder_alpha: float = 1e-2
    n_alphas: int | None = None
    eps: float | None = None
    rule: str | None = None
    n_alphas_no_change: int | None = None
    network: dict = field(default_factory=dict)
    models: tuple = CASE_STUDY_MODELS
    cache_dir: str | None = None

    def __post_init__(self):
        unknown = [m for m in self.models if m not in CASE_STUDY_MODELS]
        if unknown:
            raise ValueError(f"models: unknown {unknown}; choose from "
                             f"{list(CASE_STUDY_MODELS)}.")
        if not isinstance(self.repeats, int) or self.repeats < 1:
            raise ValueError(f"repeats must be an integer >= 1; got {self.repeats!r}.")
        if len(self.seeds) != 2:
            raise ValueError(f"seeds must hold two seeds (a, b); got {self.seeds!r}.")
        if not 0 < self.valid_size < 1 or not 0 < self.test_size < 1 or (
                self.valid_size + self.test_size >= 1):
            raise ValueError("valid_size and test_size must be in (0, 1) and sum below 1.")

    def settings(self) -> PipelineSettings:
        return PipelineSettings(n_alphas=self.n_alphas, eps=self.eps, rule=self.rule,
                                n_alphas_no_change=self.n_alphas_no_change,
                                network=tuple(self.network.items()),
                                encoder_alpha=self.encoder_alpha)

    def specs(self) -> tuple:
        return tuple(s for s in case_study_specs(self.seeds) if s.key in self.models)


@dataclass(frozen=True, eq=False)
class CaseStudyResult:
    """The runs of a case study: one per repeat, and their summary.

    Attributes
    ----------
    runs : tuple of RunResult
        One per data seed; the first is the run whose models, figures and tables the
        run directory shows.
    data_seeds : tuple of int
    summary : pandas.DataFrame
        Each model's mean and SD over the repeats (:func:`riata.pipeline.summarize_repeats`).
    frequency : pandas.DataFrame
        How often each model selected each variable.
    run_dir : pathlib.Path or None
    """

    runs: tuple
    data_seeds: tuple
    summary: pd.DataFrame
    frequency: pd.DataFrame
    run_dir: Path | None = None

    @property
    def table(self) -> pd.DataFrame:
        """The first repeat's results table."""
        return self.runs[0].table

    @property
    def models(self) -> dict:
        return self.runs[0].models

    @property
    def oracle(self) -> dict:
        return self.runs[0].oracle

    def repeats_table(self) -> pd.DataFrame:
        """Every repeat's results, with a ``data_seed`` column."""
        return pd.concat([run.table.assign(data_seed=seed) for seed, run in
                          zip(self.data_seeds, self.runs)], ignore_index=True)


def _one_run(config: CaseStudyConfig, data_seed: int, verbose: bool):
    started = time.perf_counter()
    cohort = make_framingham_like(
        config.n_samples, genetics=config.genetics, outcome=config.outcome,
        prevalence=config.prevalence,
        n_chromosomes=config.n_chromosomes, chromosome_length=config.chromosome_length,
        preset=config.preset, random_state=data_seed, cache_dir=config.cache_dir,
    )
    simulated = time.perf_counter() - started
    logger.info("cohort %d ready: %d patients, %d SNPs (%.1f s)", data_seed,
                cohort.y.size, 0 if cohort.genotypes is None else cohort.genotypes.shape[1],
                simulated)
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        def progress(specs):
            return tqdm(specs, desc=f"case study (data seed {data_seed})", unit="model")
    run = run_pipeline(
        cohort.to_table(), config.specs(), settings=config.settings(),
        truth=KnownTruth.from_cohort(cohort), workflow="casestudy", progress=progress,
        prepare={"test_size": config.test_size, "valid_size": config.valid_size,
                 "seed": data_seed, "source": "the simulated cohort"})
    return run, simulated


def run_case_study(config: CaseStudyConfig | None = None, out_dir=None, *,
                   overwrite: bool = False, verbose: bool = True) -> CaseStudyResult:
    """Simulate the cohort(s), fit and score every model, and write the run directory.

    Parameters
    ----------
    config : CaseStudyConfig, optional
    out_dir : path-like, optional
        The run directory (see :func:`riata.pipeline.write_run_directory`), written
        atomically; an existing non-empty one is refused unless ``overwrite``.
    overwrite : bool, default=False
    verbose : bool, default=True
        A progress bar over the models.

    Returns
    -------
    CaseStudyResult
    """
    config = config or CaseStudyConfig()
    started = time.perf_counter()
    if out_dir is not None:
        from ..pipeline import check_run_directory

        check_run_directory(Path(out_dir), overwrite)
    seeds = [config.data_seed + r for r in range(config.repeats)]
    runs, simulated = [], 0.0
    for seed in seeds:
        run, seconds = _one_run(config, seed, verbose)
        runs.append(run)
        simulated += seconds
    summary = summarize_repeats([r.table for r in runs])
    frequency = selection_frequency(runs)
    result = CaseStudyResult(runs=tuple(runs), data_seeds=tuple(seeds), summary=summary,
                             frequency=frequency)
    if out_dir is None:
        return result
    first = runs[0]
    document = {"settings": dataclasses.asdict(config),
                "data": {"n_samples": int(first.inputs.y.size),
                         "n_snps": first.inputs.n_snps,
                         "splits": first.inputs.split.sizes(), "data_seeds": seeds,
                         "simulation_seconds": round(simulated, 2),
                         "total_seconds": round(time.perf_counter() - started, 2)}}
    extra = {}
    if config.repeats > 1:
        extra = {"repeats.csv": result.repeats_table().to_csv(index=False),
                 "summary.csv": summary.to_csv(index=False),
                 "summary.md": markdown_table(summary),
                 "selection_frequency.csv": frequency.to_csv(index=False)}
    path = write_run_directory(out_dir, first, document, title="riata case study",
                               overwrite=overwrite, extra_files=extra)
    return dataclasses.replace(result, run_dir=path)

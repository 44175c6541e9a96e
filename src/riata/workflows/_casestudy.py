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

from ..data import make_framingham_like
from ..pipeline import (
    KnownTruth,
    PipelineSettings,
    RunResult,
    case_study_specs,
    run_pipeline,
    write_run_directory,
)

__all__ = ["CaseStudyConfig", "run_case_study", "CASE_STUDY_MODELS"]

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
    genetics : {"null", "sparse", "polygenic"}, default="sparse"
    outcome : {"dagostino_bmi", "logistic_sparse", "nonlinear"}, default="dagostino_bmi"
    prevalence : float or None, default=None
    n_chromosomes : int, default=1
        Independent 10 Mb chromosomes of msprime genotypes (~23,000 SNPs each at
        n=3,000); 22 is the full ~500,000-SNP scale.
    chromosome_length : int, default=10_000_000
    data_seed : int, default=0
        Seeds the cohort and the train/validation/test split.
    seeds : tuple of int, default=(0, 1)
        Network seeds a and b.
    valid_size, test_size : float, default=0.2
    encoder_alpha : float, default=1e-2
        Ridge (``L2``) strength on the genotype encoder of the kernel networks, on the
        scale of genotypes standardized and divided by ``sqrt(n_snps)`` (where the
        kernel has a unit diagonal). Without it the encoder could grow its outputs and
        shrink the first-layer genetic rows at no cost, which would make the
        first-layer penalty meaningless for them.
    n_alphas, eps, rule : optional
        Path overrides (None: :func:`riata.estimators.fit_alpha_path`'s defaults).
    network : dict, default={}
        Estimator parameters for every network (overrides).
    models : tuple of str, default=all of :data:`CASE_STUDY_MODELS`
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
    encoder_alpha: float = 1e-2
    n_alphas: int | None = None
    eps: float | None = None
    rule: str | None = None
    network: dict = field(default_factory=dict)
    models: tuple = CASE_STUDY_MODELS
    cache_dir: str | None = None

    def __post_init__(self):
        unknown = [m for m in self.models if m not in CASE_STUDY_MODELS]
        if unknown:
            raise ValueError(f"models: unknown {unknown}; choose from "
                             f"{list(CASE_STUDY_MODELS)}.")
        if len(self.seeds) != 2:
            raise ValueError(f"seeds must hold two seeds (a, b); got {self.seeds!r}.")
        if not 0 < self.valid_size < 1 or not 0 < self.test_size < 1 or (
                self.valid_size + self.test_size >= 1):
            raise ValueError("valid_size and test_size must be in (0, 1) and sum below 1.")

    def settings(self) -> PipelineSettings:
        return PipelineSettings(n_alphas=self.n_alphas, eps=self.eps, rule=self.rule,
                                network=tuple(self.network.items()),
                                encoder_alpha=self.encoder_alpha)

    def specs(self) -> tuple:
        return tuple(s for s in case_study_specs(self.seeds) if s.key in self.models)


def run_case_study(config: CaseStudyConfig | None = None, out_dir=None, *,
                   overwrite: bool = False, verbose: bool = True) -> RunResult:
    """Simulate the cohort, fit and score every model, and write the run directory.

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
    RunResult
    """
    config = config or CaseStudyConfig()
    started = time.perf_counter()
    cohort = make_framingham_like(
        config.n_samples, genetics=None if config.preset else config.genetics,
        outcome=None if config.preset else config.outcome, prevalence=config.prevalence,
        n_chromosomes=config.n_chromosomes, chromosome_length=config.chromosome_length,
        preset=config.preset, random_state=config.data_seed, cache_dir=config.cache_dir,
    )
    simulated = time.perf_counter() - started
    logger.info("cohort ready: %d patients, %d SNPs (%.1f s)", cohort.y.size,
                0 if cohort.genotypes is None else cohort.genotypes.shape[1], simulated)
    progress = None
    if verbose:
        from tqdm.auto import tqdm

        def progress(specs):
            return tqdm(specs, desc="case study", unit="model")
    run = run_pipeline(
        cohort.to_table(), config.specs(), settings=config.settings(),
        truth=KnownTruth.from_cohort(cohort), workflow="casestudy", progress=progress,
        prepare={"test_size": config.test_size, "valid_size": config.valid_size,
                 "seed": config.data_seed, "source": "the simulated cohort"})
    if out_dir is None:
        return run
    document = {"settings": dataclasses.asdict(config),
                "data": {"n_samples": int(cohort.y.size),
                         "n_snps": run.inputs.n_snps, "splits": run.inputs.split.sizes(),
                         "simulation_seconds": round(simulated, 2),
                         "total_seconds": round(time.perf_counter() - started, 2)}}
    path = write_run_directory(out_dir, run, document, title="riata case study",
                               overwrite=overwrite)
    return dataclasses.replace(run, run_dir=path)

"""Do the networks find the genetic signal a lasso finds? Designs compared on known truth.

Issue 9: on riata's own simulated cohorts a plain L1 logistic regression found every
causal SNP while the case study's networks zeroed the whole genetic block. This script
fits, on the same cohort draws and splits (the case study's pipeline,
:func:`riata.pipeline.fit_and_score`), the linear baselines beside several network
designs, for several truths and repeats (new cohort and split per data seed):

``logistic_clinical``     scikit-learn logistic regression on the clinical columns
``lasso_all_inputs``      group-lasso logistic regression on clinical + SNPs (one
                          alpha, working sets over the int8 genotypes)
``clinical``              the case study's clinical-only network
``group_lasso_a``         the original design: kernel genotype encoder, group lasso on
                          the first layer (the case study's model)
``snp_network``           the chosen design: SNPs as first-layer inputs, a skip path,
                          the clinical path first and then the SNPs' path, full batch
                          (FISTA) on working sets, 1-SE rule
``snp_single_alpha``      the same with one alpha over clinical inputs and SNPs
``snp_no_skip``           the same without the skip path
``snp_coupled_ridge``     the same with the deeper layers' ridge equal to the path's
                          alpha (``hidden_alpha="penalty"``) instead of 1e-4
``snp_free_hidden``       the same without bounding the deeper layers' norms along
                          the SNP path (``hold_hidden_norm=False``, the design
                          before it was added)
``snp_free_ridge_1e3``    not held, with a ridge of 1e-3 (instead of 1e-4) on the
                          weights after the first layer
``snp_free_ridge_1e2``    not held, with a ridge of 1e-2
``snp_ridge_1e2``         held, with a ridge of 1e-2
``snp_best_rule``         the same with the alpha of the best validation loss
``snp_network_fine``      the same on a finer grid: 50 alphas per path (ratio 0.91
                          between alphas instead of 0.785), stopping after 8 alphas
                          without improvement (the same span of alpha as 3 of 20)

Truths (``--truths``): ``sparse`` (the case study's default: D'Agostino outcome, 8
causal SNPs on one chromosome), ``blog_like`` (balanced outcome B, effect 0.8),
``null`` (no genetic effect), ``polygenic`` (1,000 causal SNPs, effect ln 1.71) and
``nonlinear`` (blog_like with outcome "nonlinear": an age x blood-pressure interaction
and a polygenic score acting in men only).

Usage::

    python benchmarks/genetic_signal.py --repeats 5 --out docs/genetic_signal.csv
    python benchmarks/genetic_signal.py --truths null --repeats 2 --patients 1000
    python benchmarks/genetic_signal.py --truths sparse --repeats 1 --chromosomes 22 \
        --models logistic_clinical lasso_all_inputs snp_network snp_hierarchical

Prints the machine, then a Markdown table per truth: each model's mean and SD over the
repeats of test AUROC and AP, causal SNPs found (LD-aware) and false SNPs, the share of
repeats in which it kept no genetic input, and the clinical precision / recall; writes
one CSV row per model and repeat. docs/case_study.md shows and discusses a run.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_description, write_csv  # noqa: E402

from riata.data import make_framingham_like  # noqa: E402
from riata.pipeline import (  # noqa: E402
    KnownTruth,
    ModelSpec,
    PipelineSettings,
    case_study_specs,
    fit_and_score,
    markdown_table,
    prepare_inputs,
    summarize_repeats,
)

#: The cohort of each truth (arguments of make_framingham_like).
TRUTHS = {
    "sparse": {},
    "blog_like": {"preset": "blog_like"},
    "null": {"genetics": "null"},
    "polygenic": {"genetics": "polygenic"},
    "nonlinear": {"preset": "blog_like", "outcome": "nonlinear"},
}


def specs() -> tuple:
    """The baselines, the original design and the network designs compared."""
    case = {s.key: s for s in case_study_specs()}
    snp = dict(kind="snp_network", penalty="group-lasso")
    return (
        case["logistic_clinical"], case["lasso_all_inputs"], case["clinical"],
        case["group_lasso_a"], ModelSpec("snp_network", "SNP network (chosen design)", **snp),
        ModelSpec("snp_single_alpha", "SNP network, one alpha for all inputs",
                  clinical_first=False, **snp),
        ModelSpec("snp_no_skip", "SNP network without the skip path",
                  params=(("skip_connection", False),), **snp),
        ModelSpec("snp_coupled_ridge", "SNP network, deeper ridge = alpha",
                  params=(("hidden_alpha", "penalty"),), **snp),
        ModelSpec("snp_free_hidden", "SNP network, deeper layers' norm not held",
                  path=(("hold_hidden_norm", False),), **snp),
        ModelSpec("snp_free_ridge_1e3", "SNP network, not held, deeper ridge 1e-3",
                  params=(("hidden_alpha", 1e-3),), path=(("hold_hidden_norm", False),),
                  **snp),
        ModelSpec("snp_free_ridge_1e2", "SNP network, not held, deeper ridge 1e-2",
                  params=(("hidden_alpha", 1e-2),), path=(("hold_hidden_norm", False),),
                  **snp),
        ModelSpec("snp_ridge_1e2", "SNP network, held, deeper ridge 1e-2",
                  params=(("hidden_alpha", 1e-2),), **snp),
        ModelSpec("snp_best_rule", "SNP network, best validation loss",
                  path=(("rule", "best"),), **snp),
        ModelSpec("snp_network_fine", "SNP network, 50 alphas per path",
                  path=(("n_alphas", 50), ("n_alphas_no_change", 8)), **snp),
        ModelSpec("lasso_fine", "group-lasso logistic regression, 50 alphas",
                  kind="lasso", penalty="group-lasso",
                  path=(("n_alphas", 50), ("n_alphas_no_change", 8))),
        ModelSpec("snp_hierarchical", "SNP network, LassoNet's hierarchical penalty",
                  kind="snp_network", penalty="hierarchical"),
        ModelSpec("snp_hierarchical_best", "SNP network, hierarchical, best loss",
                  kind="snp_network", penalty="hierarchical", path=(("rule", "best"),)),
        ModelSpec("snp_hierarchical_m1", "SNP network, hierarchical, M = 1",
                  kind="snp_network", penalty="hierarchical",
                  params=(("penalty__hierarchy", 1.0),)),
        ModelSpec("snp_hierarchical_m3", "SNP network, hierarchical, M = 3",
                  kind="snp_network", penalty="hierarchical",
                  params=(("penalty__hierarchy", 3.0),)),
        ModelSpec("snp_network_cv", "SNP network, 5-fold CV", path=(("cv", 5),), **snp),
        ModelSpec("snp_hierarchical_cv", "SNP network, hierarchical, 5-fold CV",
                  kind="snp_network", penalty="hierarchical", path=(("cv", 5),)),
        ModelSpec("lasso_cv", "group-lasso logistic regression, 5-fold CV",
                  kind="lasso", penalty="group-lasso", path=(("cv", 5),)),
    )


def run_truth(truth: str, seeds, n_patients: int, models, cache_dir: str,
              n_chromosomes: int = 1) -> pd.DataFrame:
    """Every model on every data seed of one truth; one row per model and seed."""
    frames = []
    chosen = [s for s in specs() if not models or s.key in models]
    for seed in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "only 8 of 20 causal SNPs fit" etc.
            cohort = make_framingham_like(n_patients, random_state=seed,
                                          cache_dir=cache_dir,
                                          n_chromosomes=n_chromosomes, **TRUTHS[truth])
            inputs = prepare_inputs(cohort.to_table(), seed=seed,
                                    source="the simulated cohort")
            started = time.perf_counter()
            table = fit_and_score(chosen, inputs, PipelineSettings(encoder_alpha=1e-2),
                                  truth=KnownTruth.from_cohort(cohort)).table
        print(f"  {truth}, data seed {seed}: {time.perf_counter() - started:.0f} s",
              file=sys.stderr, flush=True)
        frames.append(table.assign(truth=truth, data_seed=seed,
                                   n_causal=cohort.truth.causal_snps.size))
    return pd.concat(frames, ignore_index=True)


def summary_table(rows: pd.DataFrame) -> pd.DataFrame:
    """mean ± SD per model of the columns the issue's targets name."""
    summary = summarize_repeats([g.drop(columns=["truth", "data_seed", "n_causal"])
                                 for _, g in rows.groupby("data_seed", sort=True)])

    def cell(metric, digits=3):
        mean, sd = summary.get(f"{metric}_mean"), summary.get(f"{metric}_sd")
        if mean is None:
            return ["-"] * len(summary)
        return [("-" if pd.isna(m) else f"{m:.{digits}f}" + (
            "" if pd.isna(s) else f" ± {s:.{digits}f}")) for m, s in zip(mean, sd)]

    return pd.DataFrame({
        "model": summary["model"], "test AUROC": cell("test_auroc"),
        "test AP": cell("test_ap"), "causal SNPs found": cell("causal_snps_found", 1),
        "false SNPs": cell("false_snps", 1), "SNPs kept": cell("snps_kept", 1),
        "genetic dropped": [("-" if pd.isna(v) else f"{v:.0%}")
                            for v in summary.get("genetic_dropped",
                                                 pd.Series([float("nan")] * len(summary)))],
        "clinical precision": cell("precision"), "clinical recall": cell("recall"),
        "oracle AUROC": cell("oracle_auroc")})


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truths", nargs="+", choices=sorted(TRUTHS),
                        default=["sparse", "blog_like", "null", "polygenic", "nonlinear"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--chromosomes", type=int, default=1,
                        help="simulated 10 Mb chromosomes (22: the full ~500,000 SNPs)")
    parser.add_argument("--models", nargs="+", default=None,
                        help="subset of the models (default: all)")
    parser.add_argument("--cache-dir", default=".cache/riata")
    parser.add_argument("--out", type=Path, default=Path("genetic_signal.csv"))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if not args.quiet:
        logging.basicConfig(level=logging.WARNING)
        print(machine_description())
    seeds = range(args.first_seed, args.first_seed + args.repeats)
    frames = []
    for truth in args.truths:
        rows = run_truth(truth, seeds, args.patients, args.models, args.cache_dir,
                         args.chromosomes)
        frames.append(rows)
        write_csv(pd.concat(frames, ignore_index=True), args.out)
        if not args.quiet:
            print(f"\n### {truth} ({args.repeats} repeats, {args.patients} patients)\n")
            print(markdown_table(summary_table(rows)))
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    main()

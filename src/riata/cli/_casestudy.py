"""``riata casestudy`` and ``riata demo``: the Framingham-style case study."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_parser"]

#: Scales: "demo" finishes in minutes on 2 cores; "full" is the study's ~500k SNPs;
#: "tiny" (600 patients, a 2 Mb chromosome) runs in seconds, for tests.
SCALES = {
    "tiny": {"n_samples": 600, "chromosome_length": 2_000_000},
    "demo": {},
    "full": {"n_chromosomes": 22},
}


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text}")
    return value


def add_parser(sub) -> None:
    for name, help_text in (
        ("casestudy", "run the Framingham-style case study on a simulated cohort"),
        ("demo", "the case study at demo scale into runs/demo (what `make demo` runs)"),
    ):
        p = sub.add_parser(name, help=help_text, description=help_text + ".")
        p.add_argument("--out", type=Path, default=Path("runs") / name,
                       help=f"run directory to write (default: runs/{name})")
        p.add_argument("--overwrite", action="store_true", default=name == "demo",
                       help="replace an existing run directory (always for demo)")
        p.add_argument("--scale", choices=sorted(SCALES), default="demo",
                       help="tiny (seconds), demo (default, minutes on 2 cores) or full "
                            "(22 chromosomes, ~500,000 SNPs)")
        p.add_argument("--preset", choices=["blog_like"], default=None,
                       help="cohort preset (blog_like: balanced outcome, sparse genetics)")
        p.add_argument("--genetics", choices=["null", "sparse", "polygenic"],
                       default=None, help="genetic architecture (default: the preset's, "
                                          "or sparse)")
        p.add_argument("--outcome", choices=["dagostino_bmi", "logistic_sparse",
                                             "nonlinear"],
                       default=None, help="outcome model (default: the preset's, or "
                                          "dagostino_bmi)")
        p.add_argument("--patients", type=_positive_int, default=None,
                       help="number of simulated patients (default 3000)")
        p.add_argument("--chromosomes", type=_positive_int, default=None,
                       help="number of simulated 10 Mb chromosomes (~23,000 SNPs each)")
        p.add_argument("--seeds", type=int, nargs=2, default=None, metavar=("A", "B"),
                       help="network seeds a and b (default 0 1)")
        p.add_argument("--data-seed", type=int, default=None,
                       help="seed of the cohort and of the split (default 0)")
        p.add_argument("--repeats", type=_positive_int, default=None,
                       help="cohorts to draw (data seeds data-seed, data-seed + 1, ...); "
                            "the run directory adds each model's mean and SD over them "
                            "(default 1)")
        p.add_argument("--models", nargs="+", default=None, metavar="MODEL",
                       help="subset of models to run (default: all of "
                            f"{', '.join(_model_keys())})")
        p.add_argument("--cache-dir", type=Path, default=Path(".cache") / "riata",
                       help="cache of simulated cohorts (default: .cache/riata)")
        p.set_defaults(func=run)


def _model_keys():
    from ..workflows import CASE_STUDY_MODELS

    return CASE_STUDY_MODELS


def run(args) -> int:
    from ..pipeline import RESULT_COLUMNS, markdown_table
    from ..workflows import CaseStudyConfig, run_case_study

    settings = dict(SCALES[args.scale])
    overrides = {
        "n_samples": args.patients, "n_chromosomes": args.chromosomes,
        "preset": args.preset, "data_seed": args.data_seed, "repeats": args.repeats,
        "seeds": tuple(args.seeds) if args.seeds else None,
        "models": tuple(args.models) if args.models else None,
    }
    settings.update({k: v for k, v in overrides.items() if v is not None})
    settings.update(genetics=args.genetics, outcome=args.outcome,
                    cache_dir=str(args.cache_dir))
    config = CaseStudyConfig(**settings)
    result = run_case_study(config, out_dir=args.out, overwrite=args.overwrite,
                            verbose=not args.quiet)
    table = result.table[[c for c in RESULT_COLUMNS if c in result.table.columns]]
    print(markdown_table(table))
    if config.repeats > 1:
        columns = ["model"] + [c for c in result.summary.columns
                               if c.startswith(("test_auroc", "test_ap",
                                                "causal_snps_found", "false_snps"))
                               or c == "genetic_dropped"]
        print(f"over {config.repeats} repeats (mean, SD):")
        print(markdown_table(result.summary[columns]))
    print(f"oracle (true risk) on the test split: AUROC {result.oracle['auroc']:.3f}, "
          f"AP {result.oracle['ap']:.3f}")
    print(f"run directory: {result.run_dir}")
    print(f"report: {Path(result.run_dir) / 'report.html'}")
    sys.stdout.flush()
    return 0



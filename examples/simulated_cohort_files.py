"""Write a simulated Framingham-style cohort as a user would bring it: CSV + PLINK.

``riata casestudy`` simulates its cohort in memory. This script writes the same kind of
cohort (:func:`riata.data.make_framingham_like`) to disk, a clinical table with an id
and an outcome column plus a PLINK 1 fileset, so that the bring-your-own-data path
(``riata fit`` / ``riata predict``) can be run, and timed, at the study's scale:
``--chromosomes 22`` gives ~500,000 SNPs for 3,000 patients. Simulated cohorts are
cached in ``.cache/riata`` (the same cache as ``riata casestudy``).

Usage::

    python examples/simulated_cohort_files.py --chromosomes 22 --out /tmp/cohort
    riata fit --clinical /tmp/cohort/clinical.csv --genotypes /tmp/cohort/genotypes \\
              --target CHD --id PatientID --out /tmp/cohort/run

(the script prints the command).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from riata._files import atomic_write_text
from riata.data import make_framingham_like, write_plink


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--chromosomes", type=int, default=1,
                        help="10 Mb chromosomes (~23,000 SNPs each); 22 for ~500,000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default=".cache/riata")
    args = parser.parse_args(argv)
    cohort = make_framingham_like(args.patients, n_chromosomes=args.chromosomes,
                                  random_state=args.seed, cache_dir=args.cache_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    table = cohort.clinical.rename_axis("PatientID").reset_index()
    table["CHD"] = cohort.y
    atomic_write_text(args.out / "clinical.csv", table.to_csv(index=False))
    bed = write_plink(args.out / "genotypes", cohort.genotypes, cohort.snp_info,
                      table["PatientID"])
    prefix = bed.with_suffix("")
    print(f"wrote {args.out / 'clinical.csv'} ({len(table)} patients) and "
          f"{prefix}.bed/.bim/.fam ({cohort.genotypes.shape[1]} SNPs)")
    print(f"riata fit --clinical {args.out / 'clinical.csv'} --genotypes {prefix} "
          f"--target CHD --id PatientID --categorical EDUC --out {args.out / 'run'}")
    return prefix


if __name__ == "__main__":
    main()

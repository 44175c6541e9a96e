"""Simulated PLINK genotypes for the patients of the Framingham teaching file.

The public teaching file ``framingham.csv`` has clinical variables and an outcome but
no genotypes. This script simulates genotypes with realistic linkage disequilibrium
(msprime, :func:`riata.data._genotypes_sim.simulate_genotypes`) for its PatientIDs and
writes them as a PLINK 1 fileset, so that `riata fit` can be tried on a real clinical
table joined with a .bed, exactly as with one's own cohort. The genotypes are drawn
independently of the outcome: they carry no signal, and a sparse model should learn
to leave them out.

To exercise the sample matching and the imputation, the fileset deliberately

- leaves out the last 40 patients of the clinical file,
- adds 5 genotyped samples that are not in the clinical file (ids ``G0`` ... ``G4``),
- blanks 0.1% of the calls (missing, imputed by the training mean in `riata fit`).

The teaching file is read from where it lies and never copied.

Usage::

    python examples/framingham_with_genotypes.py --out /tmp/framingham_snps
    riata fit --clinical ../shared/data/framingham.csv \\
              --genotypes /tmp/framingham_snps/framingham_snps ...

(the script prints the full command).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from riata.data import write_plink
from riata.data._genotypes_sim import simulate_genotypes

#: Where the shared data folder lies relative to this repository.
DEFAULT_CLINICAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / (
    "framingham.csv")


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinical", type=Path, default=DEFAULT_CLINICAL,
                        help="the teaching file (default: ../shared/data/framingham.csv)")
    parser.add_argument("--out", type=Path, required=True,
                        help="directory for the PLINK fileset (outside the repository)")
    parser.add_argument("--chromosome-length", type=int, default=1_000_000,
                        help="simulated base pairs (1 Mb gives ~2,000 SNPs)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    ids = pd.read_csv(args.clinical, usecols=["PatientID"])["PatientID"].astype(str)
    genotyped = ids.iloc[:-40].tolist() + [f"G{k}" for k in range(5)]
    genotypes, snp_info = simulate_genotypes(
        len(genotyped), chromosome_length=args.chromosome_length,
        random_state=args.seed)
    rng = np.random.default_rng(args.seed)
    missing = rng.random(genotypes.shape) < 0.001
    genotypes[missing] = -127
    prefix = args.out / "framingham_snps"
    write_plink(prefix, genotypes, snp_info, genotyped)
    print(f"wrote {prefix}.bed/.bim/.fam: {len(genotyped)} samples x "
          f"{genotypes.shape[1]} SNPs, {int(missing.sum())} missing calls")
    print("now run:")
    print(f"  riata fit --clinical {args.clinical} --genotypes {prefix} \\\n"
          "            --target TenYearCHD --id PatientID --categorical education \\\n"
          f"            --out {args.out / 'run'}")
    return prefix


if __name__ == "__main__":
    main()

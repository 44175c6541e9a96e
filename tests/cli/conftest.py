"""Fixtures of the command-line tests: a small cohort written to files per test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

bed_reader = pytest.importorskip("bed_reader")

#: Tiny networks and short paths: each fit takes about a second.
FAST = ["--epochs", "4", "--n-alphas", "2", "--hidden", "4", "--encoder-dim", "2",
        "--batch-size", "64", "--patience", "2", "--cv", "0", "--stability", "0"]


@dataclass
class Cohort:
    root: Path
    clinical: Path
    frame: pd.DataFrame
    genotypes: Path
    snps: np.ndarray

    def fit_args(self, out, *extra, genotypes=True):
        args = ["fit", "--clinical", str(self.clinical), "--target", "chd", "--id",
                "pid", "--out", str(out), *FAST, *extra]
        return args + (["--genotypes", str(self.genotypes)] if genotypes else [])


def make_frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Numeric and categorical columns and a binary outcome that depends on them."""
    rng = np.random.default_rng(seed)
    age = rng.normal(55, 9, n).round()
    sex = rng.choice(["F", "M"], n)
    site = rng.choice(["north", "south", "east"], n)
    smoker = rng.integers(0, 2, n)
    bmi = rng.normal(27, 4, n).round(1)
    logit = 0.1 * (age - 55) + 0.9 * (sex == "M") + 0.7 * smoker - 0.3
    chd = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"pid": [f"P{i:04d}" for i in range(n)], "age": age,
                         "sex": sex, "site": site, "smoker": smoker, "bmi": bmi,
                         "chd": chd})


def write_plink(prefix: Path, ids, n_snps: int = 12, seed: int = 1,
                missing: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 3, size=(len(ids), n_snps)).astype(np.float32)
    values.flat[rng.choice(values.size, missing, replace=False)] = np.nan
    properties = {"fid": list(ids), "iid": list(ids),
                  "sid": [f"rs{j}" for j in range(n_snps)],
                  "chromosome": ["1"] * n_snps,
                  "bp_position": list(range(100, 100 + 10 * n_snps, 10)),
                  "allele_1": ["A"] * n_snps, "allele_2": ["G"] * n_snps}
    bed_reader.to_bed(prefix.with_suffix(".bed"), values, properties=properties)
    return values


@pytest.fixture
def cohort(tmp_path) -> Cohort:
    frame = make_frame()
    clinical = tmp_path / "clinical.csv"
    frame.to_csv(clinical, index=False)
    prefix = tmp_path / "geno"
    snps = write_plink(prefix, frame["pid"])
    return Cohort(root=tmp_path, clinical=clinical, frame=frame, genotypes=prefix,
                  snps=snps)


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in Path(root).rglob(".*"))


@pytest.fixture
def leftovers():
    """``leftovers(root)``: hidden temporaries a run left behind (there must be none)."""
    return _leftovers


@pytest.fixture(name="make_frame")
def make_frame_fixture():
    """``make_frame(n, seed)``: the cohort's clinical table as a DataFrame."""
    return make_frame


@pytest.fixture(name="write_plink")
def write_plink_fixture():
    """``write_plink(prefix, ids, n_snps, seed, missing)``: a PLINK fileset."""
    return write_plink


@pytest.fixture
def fast():
    """Options for tiny, quick networks."""
    return list(FAST)


def refuse(capsys, args, out, root, *fragments, code=2):
    """Run ``args``; assert the exit code, one error line holding every fragment, no
    traceback, nothing at ``out`` and no hidden temporary under ``root``."""
    from riata.cli import main

    status = main(args)
    err = capsys.readouterr().err
    assert status == code, err
    lines = [line for line in err.splitlines() if ": error: " in line
             or ": internal error" in line]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])
    if out is not None:
        assert not Path(out).exists()
    assert _leftovers(root) == []
    return lines[0]


@pytest.fixture
def refused(capsys):
    """``refused(args, out, root, *fragments, code=2)``: see :func:`refuse`."""
    return lambda args, out, root, *fragments, code=2: refuse(capsys, args, out, root,
                                                               *fragments, code=code)


@pytest.fixture
def trained(cohort):
    """A run of ``riata fit`` on the cohort with genotypes (its model keeps 12 SNPs)."""
    from riata.cli import main

    out = cohort.root / "trained"
    assert main(["-q", *cohort.fit_args(out, "--alpha", "0.001", "--epochs", "1")]) == 0
    return out


def write_bed(prefix: Path, values: np.ndarray, ids, snp_names=None) -> Path:
    """A PLINK fileset of an int matrix (samples x SNPs, -1 for missing)."""
    n_samples, n_snps = values.shape
    floats = values.astype(np.float32)
    floats[values < 0] = np.nan
    names = [f"rs{j}" for j in range(n_snps)] if snp_names is None else list(snp_names)
    properties = {"fid": list(ids), "iid": list(ids), "sid": names,
                  "chromosome": ["1"] * n_snps,
                  "bp_position": list(range(100, 100 + 10 * n_snps, 10)),
                  "allele_1": ["A"] * n_snps, "allele_2": ["G"] * n_snps}
    bed_reader.to_bed(prefix.with_suffix(".bed"), floats, properties=properties)
    return prefix


@pytest.fixture(name="write_bed")
def write_bed_fixture():
    """``write_bed(prefix, values, ids, snp_names=None)``: a fileset of an int matrix."""
    return write_bed

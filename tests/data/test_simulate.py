"""Tests of the simulated Framingham-style cohort (riata.data.make_framingham_like)."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import riata.data._cohort as cohort_module
from riata.data import FraminghamLikeCohort, ld_proxies, make_framingham_like, write_plink
from riata.data._clinical_sim import (
    CATEGORICAL_COLUMNS,
    CLINICAL_COLUMNS,
    CONTINUOUS_COLUMNS,
    MISSING_RATES,
    rename_teaching_columns,
    simulate_clinical,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
BINARY = ("CURSMOKE", "BPMEDS", "PREVSTRK", "PREVHYP", "DIAB")

# A small genome that still fits a few causal SNPs >= 1 Mb apart: 3 x 2 Mb at n = 200
# simulates in ~0.3 s.
SMALL = dict(n_samples=200, n_chromosomes=3, chromosome_length=2_000_000, n_causal=3)


def clinical_only(n_samples, **kwargs):
    """Cohort without genotypes (fast): genetics="null", n_chromosomes=0."""
    return make_framingham_like(n_samples, genetics="null", n_chromosomes=0, **kwargs)


def assert_same_cohort(a: FraminghamLikeCohort, b: FraminghamLikeCohort):
    pd.testing.assert_frame_equal(a.clinical, b.clinical)
    pd.testing.assert_frame_equal(a.snp_info, b.snp_info)
    np.testing.assert_array_equal(a.genotypes, b.genotypes)
    for name in ("y", "risk", "prs"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    for name in ("causal_snps", "snp_weights", "snp_effects"):
        np.testing.assert_array_equal(getattr(a.truth, name), getattr(b.truth, name))
    assert len(a.truth.ld_proxies) == len(b.truth.ld_proxies)
    for pa, pb in zip(a.truth.ld_proxies, b.truth.ld_proxies):
        np.testing.assert_array_equal(pa, pb)
    for name in ("outcome", "genetics", "clinical_variables", "decoys", "genetic_effect",
                 "offset", "expected_prevalence", "oracle_auroc", "oracle_ap", "config"):
        assert getattr(a.truth, name) == getattr(b.truth, name), name


# ----------------------------------------------------------- clinical vs real data
@pytest.fixture(scope="module")
def real_clinical():
    """The teaching file under the original names, with its missing values restored.

    The shared copy of framingham.csv has its missing values filled with placeholders
    (education 0, BPMeds 1, totChol mostly 200, BMI mostly 25...). Its rows equal the
    exam-1 rows of frmgham2.csv, whose NaNs mark them; without that file only the
    education placeholder (0, not a level) is recognizable.
    """
    path = SHARED_DATA / "framingham.csv"
    if not path.exists():
        pytest.skip(f"Framingham teaching file not found at {path}; it is not shipped "
                    "with riata (see SIMULATOR.md).")
    real = rename_teaching_columns(pd.read_csv(path))
    real.loc[real["EDUC"] == 0, "EDUC"] = np.nan
    long_path = SHARED_DATA / "frmgham2.csv"
    if long_path.exists():
        exam1 = pd.read_csv(long_path).query("PERIOD == 1 and PREVCHD == 0")
        exam1 = exam1.reset_index(drop=True)
        if np.array_equal(exam1["AGE"], real["AGE1"]) and np.array_equal(
                exam1["SYSBP"], real["SYSBP1"]):
            for ours, theirs in {"GLUCOSE1": "GLUCOSE", "TOTCHOL1": "TOTCHOL",
                                 "BMI1": "BMI", "BPMEDS": "BPMEDS", "CIGPDAY1": "CIGPDAY",
                                 "HEARTRTE1": "HEARTRTE", "EDUC": "educ"}.items():
                real.loc[exam1[theirs].isna().to_numpy(), ours] = np.nan
    return real


@pytest.fixture(scope="module")
def simulated_clinical():
    return clinical_only(50_000, random_state=0).clinical


def test_clinical_columns_and_codes(simulated_clinical):
    assert tuple(simulated_clinical.columns) == CLINICAL_COLUMNS
    assert set(CONTINUOUS_COLUMNS) | set(CATEGORICAL_COLUMNS) == set(CLINICAL_COLUMNS)
    assert (simulated_clinical.dtypes == np.float64).all()
    for column, levels in CATEGORICAL_COLUMNS.items():
        assert set(simulated_clinical[column].unique()) == set(levels), column
    assert simulated_clinical["AGE1"].between(32, 70).all()
    smokers = simulated_clinical["CURSMOKE"] == 1
    assert (simulated_clinical.loc[~smokers, "CIGPDAY1"] == 0).all()
    assert (simulated_clinical.loc[smokers, "CIGPDAY1"] >= 1).all()
    # BP medication only among the hypertensive (step 13).
    assert (simulated_clinical["BPMEDS"] <= simulated_clinical["PREVHYP"]).all()
    # Rounding as in the real file.
    assert (simulated_clinical["SYSBP1"] * 2 % 1 == 0).all()
    assert (simulated_clinical["TOTCHOL1"] % 1 == 0).all()


def test_clinical_means_and_sds_match_real(real_clinical, simulated_clinical):
    for column in CONTINUOUS_COLUMNS:
        real, sim = real_clinical[column], simulated_clinical[column]
        # SIMULATOR.md: means within 0.4 on 200k draws; here within 5% of an SD (0.4
        # to 2.2 units), which also absorbs the real file's own sampling error.
        assert abs(sim.mean() - real.mean()) < 0.05 * real.std(), column
        assert 0.9 < sim.std() / real.std() < 1.1, column


def test_clinical_category_frequencies_match_real(real_clinical, simulated_clinical):
    for column in BINARY + ("SEX",):
        real = real_clinical[column].value_counts(normalize=True)
        sim = simulated_clinical[column].value_counts(normalize=True)
        assert abs(sim.get(1.0, 0) - real.get(1.0, 0)) < 0.025, column
    real = real_clinical["EDUC"].value_counts(normalize=True).sort_index()
    sim = simulated_clinical["EDUC"].value_counts(normalize=True).sort_index()
    np.testing.assert_allclose(sim.to_numpy(), real.to_numpy(), atol=0.03)


def test_clinical_correlations_match_real(real_clinical, simulated_clinical):
    upper = np.triu_indices(len(CLINICAL_COLUMNS), k=1)
    diff = np.abs(simulated_clinical.corr().to_numpy() - real_clinical.corr().to_numpy())
    diff = diff[upper]
    # SIMULATOR.md measured a mean absolute difference of 0.024 over the 105 pairs (max
    # 0.106, education-BMI).
    assert diff.mean() < 0.04
    assert diff.max() < 0.15


def test_missing_values_are_mcar_at_real_rates():
    complete = clinical_only(20_000, random_state=4)
    holed = clinical_only(20_000, random_state=4, missing=True)
    rates = holed.clinical.isna().mean()
    for column in CLINICAL_COLUMNS:
        expected = MISSING_RATES.get(column, 0.0)
        assert abs(rates[column] - expected) < 4 * math.sqrt(expected * (1 - expected)
                                                             / 20_000) + 1e-12, column
    # Same values where observed; the outcome comes from the complete values.
    observed = holed.clinical.notna()
    assert (holed.clinical[observed] == complete.clinical[observed]).sum().sum() == \
        observed.sum().sum()
    np.testing.assert_array_equal(holed.risk, complete.risk)


def test_simulate_clinical_is_deterministic():
    a = simulate_clinical(100, random_state=np.random.default_rng(7))
    b = simulate_clinical(100, random_state=7)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(simulate_clinical(100, random_state=8))


# --------------------------------------------------------------------- genotypes
@pytest.fixture(scope="module")
def genotypes_small():
    pytest.importorskip("msprime")
    from riata.data._genotypes_sim import simulate_genotypes

    return simulate_genotypes(200, chromosome_length=2_000_000, random_state=1)


def test_genotypes_are_int8_dosages_with_maf(genotypes_small):
    genotypes, snp_info = genotypes_small
    assert genotypes.dtype == np.int8 and genotypes.flags.c_contiguous
    assert genotypes.shape == (200, len(snp_info)) and len(snp_info) > 500
    assert set(np.unique(genotypes)) <= {0, 1, 2}
    freq = genotypes.mean(axis=0) / 2
    np.testing.assert_allclose(freq, snp_info["allele_frequency"])
    assert (np.minimum(freq, 1 - freq) > 0.01).all()
    assert (np.diff(snp_info["position"]) > 0).all()
    assert snp_info["name"].iloc[0] == f"chr1:{snp_info['position'].iloc[0]}"


def test_linkage_disequilibrium_decays_with_distance(genotypes_small):
    genotypes, snp_info = genotypes_small
    positions = snp_info["position"].to_numpy()
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, len(positions), size=(2, 20_000))
    distance = np.abs(positions[i] - positions[j])
    z = (genotypes - genotypes.mean(axis=0)) / genotypes.std(axis=0)
    r2 = ((z[:, i] * z[:, j]).mean(axis=0)) ** 2
    close, far = r2[(distance > 0) & (distance < 10_000)], r2[distance > 500_000]
    assert close.size > 30 and far.size > 1000
    # SIMULATOR.md: mean r^2 ~0.30 at 1 kb, ~0.02 at 100 kb; unlinked pairs ~1/n.
    assert close.mean() > 0.1 > 0.03 > far.mean()


def test_genotypes_are_deterministic_per_chromosome():
    pytest.importorskip("msprime")
    from riata.data._genotypes_sim import simulate_genotypes

    one, info_one = simulate_genotypes(50, chromosome_length=300_000, random_state=5)
    two, info_two = simulate_genotypes(50, n_chromosomes=2, chromosome_length=300_000,
                                       random_state=5)
    # Chromosome c has its own spawned seed, so adding chromosomes leaves c=1 unchanged.
    np.testing.assert_array_equal(two[:, : one.shape[1]], one)
    assert set(info_two["chromosome"]) == {1, 2}
    other, _ = simulate_genotypes(50, chromosome_length=300_000, random_state=6)
    assert other.shape != one.shape or not np.array_equal(other, one)


def test_ld_proxies_are_the_correlated_neighbours(genotypes_small):
    genotypes, snp_info = genotypes_small
    positions = snp_info["position"].to_numpy()
    chromosomes = snp_info["chromosome"].to_numpy()
    causal = np.flatnonzero(snp_info["maf"].to_numpy() > 0.2)[[0, 50, 100]]
    proxies = ld_proxies(genotypes, positions, chromosomes, causal)
    for c, found in zip(causal, proxies):
        assert c in found
        near = np.flatnonzero(np.abs(positions - positions[c]) <= 100_000)
        r2 = np.array([np.corrcoef(genotypes[:, c], genotypes[:, j])[0, 1] ** 2
                       for j in near])
        np.testing.assert_array_equal(found, near[r2 >= 0.3 - 1e-12])


def test_write_plink_round_trip(genotypes_small, tmp_path):
    bed_reader = pytest.importorskip("bed_reader")
    genotypes, snp_info = genotypes_small
    genotypes = genotypes[:, :300].copy()
    genotypes[3, 7] = -127  # a missing call
    snp_info = snp_info.iloc[:300]
    ids = [f"P{i:05d}" for i in range(1, 201)]
    bed = write_plink(tmp_path / "sim.v1", genotypes, snp_info, ids)
    assert bed == tmp_path / "sim.v1.bed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.v1.bed", "sim.v1.bim",
                                                          "sim.v1.fam"]
    with bed_reader.open_bed(bed) as reader:
        np.testing.assert_array_equal(reader.read(dtype="int8"), genotypes)
        assert list(reader.iid) == ids and list(reader.fid) == ids
        assert list(reader.sid) == snp_info["name"].tolist()
        np.testing.assert_array_equal(reader.bp_position, snp_info["position"])
        assert set(reader.chromosome) == {"1"}
    with pytest.raises(ValueError, match="genotypes has shape"):
        write_plink(tmp_path / "bad", genotypes, snp_info, ids[:-1])


# ----------------------------------------------------------------------- outcome
@pytest.mark.parametrize("outcome", ["dagostino_bmi", "logistic_sparse"])
@pytest.mark.parametrize("prevalence", [0.1, 0.5])
def test_prevalence_is_solved(outcome, prevalence):
    cohort = clinical_only(20_000, outcome=outcome, prevalence=prevalence)
    assert cohort.truth.expected_prevalence == pytest.approx(prevalence, abs=1e-6)
    assert abs(cohort.y.mean() - prevalence) < 0.01  # > 3 binomial SDs at n = 20,000
    assert cohort.truth.oracle_auroc > 0.6
    assert cohort.truth.oracle_ap > prevalence


def test_natural_prevalence_and_oracle():
    dagostino = clinical_only(20_000)
    assert dagostino.truth.offset == 0.0
    assert 0.10 < dagostino.truth.expected_prevalence < 0.14
    # SIMULATOR.md: oracle AUROC 0.744, AP 0.319 on 200k draws.
    assert 0.72 < dagostino.truth.oracle_auroc < 0.77
    logistic = clinical_only(20_000, outcome="logistic_sparse")
    assert logistic.truth.offset == -8.825
    assert 0.13 < logistic.truth.expected_prevalence < 0.17  # 15.2% in the real file


def test_dagostino_risk_is_the_published_equation():
    cohort = clinical_only(2_000)
    x = cohort.clinical
    men = (3.11296, 0.79277, 1.85508, 1.92672, 0.70953, 0.53160, 23.9388, 0.88431)
    women = (2.72107, 0.51125, 2.81291, 2.88267, 0.61868, 0.77763, 26.0145, 0.94833)
    expected = []
    for _, row in x.iterrows():
        age, bmi, sbp_u, sbp_t, smoke, diab, mean, s0 = men if row.SEX == 1 else women
        sbp = sbp_t if row.BPMEDS == 1 else sbp_u
        lp = (age * math.log(row.AGE1) + bmi * math.log(row.BMI1)
              + sbp * math.log(row.SYSBP1) + smoke * row.CURSMOKE + diab * row.DIAB)
        expected.append(1 - s0 ** math.exp(lp - mean))
    np.testing.assert_allclose(cohort.risk, expected, rtol=1e-9)
    assert cohort.truth.clinical_variables == ("SEX", "AGE1", "BMI1", "SYSBP1", "BPMEDS",
                                               "CURSMOKE", "DIAB")
    assert cohort.truth.decoys == {"DIABP1": "SYSBP1", "PREVHYP": "SYSBP1",
                                   "CIGPDAY1": "CURSMOKE", "GLUCOSE1": "DIAB"}


@pytest.fixture(scope="module")
def sparse_cohort():
    pytest.importorskip("msprime")
    return make_framingham_like(**SMALL, prevalence=0.3, random_state=2)


def test_sparse_cohort_shapes_and_truth(sparse_cohort):
    c = sparse_cohort
    n = SMALL["n_samples"]
    assert c.clinical.index[0] == "P00001" and c.clinical.index.is_unique
    assert c.genotypes.shape == (n, len(c.snp_info))
    assert c.y.dtype == np.int64 and set(np.unique(c.y)) <= {0, 1}
    assert c.truth.expected_prevalence == pytest.approx(0.3, abs=1e-6)
    assert c.truth.oracle_auroc > 0.6
    assert c.prs.mean() == pytest.approx(0.0, abs=1e-9)
    assert c.prs.std() == pytest.approx(1.0)
    causal = c.truth.causal_snps
    assert causal.size == SMALL["n_causal"]
    assert (c.snp_info["maf"].to_numpy()[causal] >= 0.05).all()
    np.testing.assert_array_equal(np.abs(c.truth.snp_weights), 1.0)
    # truth.snp_effects reproduce gamma * PRS from the standardized causal genotypes.
    p = c.snp_info["allele_frequency"].to_numpy()[causal]
    z = (c.genotypes[:, causal] - 2 * p) / np.sqrt(2 * p * (1 - p))
    lin = z @ c.truth.snp_effects
    np.testing.assert_allclose(lin - lin.mean(), c.truth.genetic_effect * c.prs,
                               atol=1e-9)
    for idx, proxies in zip(causal, c.truth.ld_proxies):
        assert idx in proxies


def test_sparse_preset_spacing_on_a_longer_genome():
    pytest.importorskip("msprime")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # all 20 must fit: no "only k of 20" warning
        cohort = make_framingham_like(150, n_chromosomes=4, chromosome_length=8_000_000,
                                      random_state=0)
    causal = cohort.truth.causal_snps
    assert causal.size == 20 and cohort.truth.genetic_effect == 1.0
    info = cohort.snp_info.iloc[causal]
    assert (info["maf"] >= 0.05).all()
    for chrom, group in info.groupby("chromosome"):
        assert (np.diff(np.sort(group["position"].to_numpy())) >= 1_000_000).all(), chrom


def test_too_few_causal_snps_fit_warns():
    pytest.importorskip("msprime")
    with pytest.warns(UserWarning, match="causal SNPs"):
        cohort = make_framingham_like(100, n_chromosomes=1, chromosome_length=1_500_000,
                                      n_causal=5)
    assert 1 <= cohort.truth.causal_snps.size <= 2


def test_null_genetics_outcome_ignores_genotypes():
    pytest.importorskip("msprime")
    without = clinical_only(300, random_state=9)
    with_genotypes = make_framingham_like(300, genetics="null", n_chromosomes=1,
                                          chromosome_length=500_000, random_state=9)
    assert without.genotypes is None and with_genotypes.genotypes.shape[1] > 0
    pd.testing.assert_frame_equal(without.clinical, with_genotypes.clinical)
    np.testing.assert_array_equal(without.risk, with_genotypes.risk)
    np.testing.assert_array_equal(without.y, with_genotypes.y)
    np.testing.assert_array_equal(with_genotypes.prs, 0.0)
    assert with_genotypes.truth.causal_snps.size == 0
    assert with_genotypes.truth.genetic_effect == 0.0


def test_blog_like_preset_and_overrides():
    pytest.importorskip("msprime")
    small = dict(n_samples=100, n_chromosomes=2, chromosome_length=1_000_000, n_causal=2)
    config = make_framingham_like(**small, preset="blog_like").truth.config
    assert (config["genetics"], config["outcome"], config["prevalence"],
            config["genetic_effect"]) == ("sparse", "logistic_sparse", 0.5, 0.8)
    config = make_framingham_like(**small, preset="blog_like", genetic_effect=1.0,
                                  outcome="dagostino_bmi").truth.config
    assert (config["genetic_effect"], config["outcome"]) == (1.0, "dagostino_bmi")
    null = make_framingham_like(100, preset="blog_like", genetics="null", n_chromosomes=0)
    assert null.truth.genetic_effect == 0.0 and null.truth.config["prevalence"] == 0.5


# ------------------------------------------------------- determinism and caching
def test_same_seed_same_cohort_different_seed_differs():
    pytest.importorskip("msprime")
    a = make_framingham_like(**SMALL, random_state=3)
    assert_same_cohort(a, make_framingham_like(**SMALL, random_state=3))
    b = make_framingham_like(**SMALL, random_state=4)
    assert not a.clinical.equals(b.clinical)
    assert a.genotypes.shape != b.genotypes.shape or not np.array_equal(a.genotypes,
                                                                        b.genotypes)


def test_cache_round_trip(tmp_path, monkeypatch):
    pytest.importorskip("msprime")
    first = make_framingham_like(**SMALL, missing=True, cache_dir=tmp_path)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"  # no temporary left behind

    def fail(config):
        raise AssertionError("simulated again instead of reading the cache")

    monkeypatch.setattr(cohort_module, "_simulate", fail)
    again = make_framingham_like(**SMALL, missing=True, cache_dir=tmp_path)
    assert_same_cohort(first, again)
    assert list(tmp_path.iterdir()) == files
    # A different configuration is a different entry.
    monkeypatch.undo()
    make_framingham_like(**SMALL, missing=True, random_state=1, cache_dir=tmp_path)
    assert len(list(tmp_path.iterdir())) == 2


def test_cache_without_genotypes_round_trips(tmp_path):
    first = clinical_only(100, cache_dir=tmp_path)
    again = clinical_only(100, cache_dir=tmp_path)
    assert again.genotypes is None and again.snp_info.empty
    pd.testing.assert_frame_equal(first.clinical, again.clinical)
    np.testing.assert_array_equal(first.risk, again.risk)


def test_interrupted_cache_write_leaves_no_file(tmp_path, monkeypatch):
    def interrupted(handle, **arrays):
        handle.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(cohort_module.np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        clinical_only(100, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_corrupt_cache_file_is_regenerated(tmp_path):
    first = clinical_only(100, cache_dir=tmp_path)
    (path,) = tmp_path.iterdir()
    path.write_bytes(b"not a zip archive")
    again = clinical_only(100, cache_dir=tmp_path)
    np.testing.assert_array_equal(first.risk, again.risk)


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_samples": -5}, "n_samples"),
        ({"n_samples": 2.5}, "n_samples"),
        ({"genetics": "oligogenic"}, "genetics"),
        ({"outcome": "framingham"}, "outcome"),
        ({"prevalence": 0.0}, "prevalence"),
        ({"prevalence": 1.2}, "prevalence"),
        ({"preset": "blog"}, "preset"),
        ({"n_chromosomes": -1}, "n_chromosomes"),
        ({"chromosome_length": 0}, "chromosome_length"),
        ({"genetic_effect": -0.5}, "genetic_effect"),
        ({"n_causal": 0}, "n_causal"),
        ({"random_state": -1}, "random_state"),
        ({"genetics": "null", "genetic_effect": 0.5}, "genetic_effect"),
        ({"genetics": "sparse", "n_chromosomes": 0}, "n_chromosomes"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_framingham_like(**{"n_samples": 10, **kwargs})


def test_unknown_name_lists_the_accepted_ones():
    with pytest.raises(ValueError, match=r"\['null', 'polygenic', 'sparse'\]"):
        make_framingham_like(10, genetics="Sparse")


# --------------------------------------------------------------------------- slow
@pytest.mark.slow
def test_default_size_cohort():
    """3,000 samples x one 10 Mb chromosome: ~22,000 SNPs in a few seconds."""
    pytest.importorskip("msprime")
    with pytest.warns(UserWarning, match="causal SNPs"):  # 20 do not fit in 10 Mb
        cohort = make_framingham_like()
    assert cohort.genotypes.shape[0] == 3000
    assert 15_000 < cohort.genotypes.shape[1] < 30_000
    assert 0.6 < cohort.truth.oracle_auroc < 0.95

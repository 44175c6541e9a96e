"""Tests of riata.data's PLINK reader (.bed/.bim/.fam checks), Genotypes statistics and
sample matching (the clinical readers: test_readers.py)."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from riata.data import DataError, DataWarning, Genotypes, match_samples, read_plink

bed_reader = pytest.importorskip("bed_reader")


def expected_bed_size(n_samples, n_snps):
    return 3 + n_snps * math.ceil(n_samples / 4)


# --------------------------------------------------------------------------- PLINK
def test_read_plink_round_trip(plink_fileset):
    prefix, values = plink_fileset
    genotypes = read_plink(prefix)
    expected = np.where(np.isnan(values), -127, values).astype(np.int8)
    assert genotypes.values.dtype == np.int8
    np.testing.assert_array_equal(genotypes.values, expected)
    assert genotypes.snp_names.tolist() == ["rs1", "rs2", "rs3", "rs4"]
    assert genotypes.chromosome.tolist() == ["1", "1", "2", "X"]
    assert genotypes.bp_position.tolist() == [10, 20, 30, 40]
    assert genotypes.sample_ids.tolist() == ["s1", "s2", "s3"]
    assert genotypes.allele_1.tolist() == ["A", "C", "G", "T"]
    # A ".bed" ending is accepted, and a subset is read in the order asked for.
    subset = read_plink(f"{prefix}.bed", sample_ids=["s3", "s1"])
    np.testing.assert_array_equal(subset.values, expected[[2, 0]])
    assert subset.sample_ids.tolist() == ["s3", "s1"]


def test_read_plink_unknown_sample(plink_fileset):
    prefix, _ = plink_fileset
    with pytest.raises(DataError, match=r"geno\.fam' has no individual id 'zz'"):
        read_plink(prefix, sample_ids=["s1", "zz"])


@pytest.mark.parametrize("suffix", [".bed", ".bim", ".fam"])
def test_plink_missing_file(plink_fileset, suffix):
    prefix, _ = plink_fileset
    Path(f"{prefix}{suffix}").unlink()
    with pytest.raises(DataError, match=rf"incomplete: geno\{suffix} not found"):
        read_plink(prefix)


@pytest.mark.parametrize("suffix", [".bim", ".fam"])
def test_plink_empty_text_file(plink_fileset, suffix):
    prefix, _ = plink_fileset
    Path(f"{prefix}{suffix}").write_text("")
    with pytest.raises(DataError, match=rf"geno\{suffix}' is empty"):
        read_plink(prefix)


def test_plink_wrong_magic(plink_fileset):
    prefix, _ = plink_fileset
    bed = Path(f"{prefix}.bed")
    data = bytearray(bed.read_bytes())
    data[2] = 0x00  # the sample-major mode byte of PLINK < 1.0
    bed.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"geno\.bed' starts with bytes 6c 1b 00, not "
                                        r"6c 1b 01: it is an old sample-major"):
        read_plink(prefix)
    bed.write_bytes(b"PK\x03" + bytes(data[3:]))
    with pytest.raises(DataError, match=r"geno\.bed'.*not a PLINK 1 binary"):
        read_plink(prefix)


def test_plink_truncated_bed(plink_fileset):
    prefix, _ = plink_fileset
    bed = Path(f"{prefix}.bed")
    bed.write_bytes(bed.read_bytes()[:-1])
    size = expected_bed_size(3, 4)
    with pytest.raises(DataError, match=rf"geno\.bed' has {size - 1} bytes, but the "
                                        rf"\.bim lists 4 SNPs and the \.fam 3 samples"):
        read_plink(prefix)


def test_plink_bim_count_mismatch(plink_fileset):
    prefix, _ = plink_fileset
    bim = Path(f"{prefix}.bim")
    bim.write_text(bim.read_text() + "2\trs5\t0\t50\tA\tG\n")
    with pytest.raises(DataError, match=r"lists 5 SNPs.*fits 4 SNPs for 3 samples"):
        read_plink(prefix)


def test_plink_fam_count_mismatch(plink_fileset):
    prefix, _ = plink_fileset
    fam = Path(f"{prefix}.fam")
    fam.write_text(fam.read_text() + "".join(f"0 x{i} 0 0 0 -9\n" for i in range(3)))
    with pytest.raises(DataError, match=r"geno\.bed'.*the \.fam 6 samples"):
        read_plink(prefix)


def test_plink_malformed_and_duplicate_lines(plink_fileset):
    prefix, _ = plink_fileset
    bim, fam = Path(f"{prefix}.bim"), Path(f"{prefix}.fam")
    good_bim = bim.read_text()
    bim.write_text(good_bim.replace("\t0.0\t", "\t"))  # five columns
    with pytest.raises(DataError, match=r"geno\.bim' has 5 column\(s\)"):
        read_plink(prefix)
    bim.write_text(good_bim.replace("\t20\t", "\ttwenty\t"))
    with pytest.raises(DataError, match=r"line 2 has bp position 'twenty'"):
        read_plink(prefix)
    bim.write_text(good_bim)
    fam.write_text(fam.read_text().replace(" s2 ", " s1 "))
    with pytest.raises(DataError, match=r"geno\.fam'.*'s1' occur more than once"):
        read_plink(prefix)


# ----------------------------------------------------------------------- Genotypes
def test_mean_and_scale_uses_rows_and_skips_missing():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 3, size=(40, 13)).astype(np.int8)
    values[rng.random(values.shape) < 0.2] = -127
    values[:, 5] = 1  # monomorphic: scale 1, not 0
    values[:, 7] = -127  # never observed
    genotypes = Genotypes(values, snp_names=[f"rs{i}" for i in range(13)],
                          chromosome=["1"] * 13, bp_position=np.arange(13),
                          sample_ids=[f"s{i}" for i in range(40)])
    rows = np.arange(0, 40, 3)
    mean, scale = genotypes.mean_and_scale(rows, block_size=4)
    dense = np.where(values == -127, np.nan, values.astype(float))[rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the all-missing column
        expected_mean = np.nan_to_num(np.nanmean(dense, axis=0))
        expected_sd = np.nanstd(dense, axis=0)
    expected_scale = np.where(np.nan_to_num(expected_sd) > 0, expected_sd, 1.0)
    np.testing.assert_allclose(mean, expected_mean)
    np.testing.assert_allclose(scale, expected_scale)
    assert scale[5] == 1.0 and mean[7] == 0.0 and scale[7] == 1.0
    mask = np.zeros(40, dtype=bool)
    mask[rows] = True
    np.testing.assert_allclose(genotypes.mean_and_scale(mask)[0], mean)
    out = genotypes.standardized(rows[:4], mean, scale)
    assert out.dtype == np.float32
    expected = np.nan_to_num((dense[:4] - mean) / scale)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_genotypes_validates_shapes():
    with pytest.raises(DataError, match="int8"):
        Genotypes(np.zeros((2, 2)), ["a", "b"], ["1", "1"], [1, 2], ["s", "t"])
    with pytest.raises(DataError, match=r"snp_names must have shape \(2,\)"):
        Genotypes(np.zeros((2, 2), np.int8), ["a"], ["1", "1"], [1, 2], ["s", "t"])


# ------------------------------------------------------------------------ matching
def test_match_samples_partial_overlap_warns_and_aligns():
    clinical = np.array(["a", "b", "c", "d", "e"])
    genotype = np.array(["e", "x", "c", "a", "y", "z"])
    with pytest.warns(DataWarning) as record:
        rows, geno_rows, summary = match_samples(
            clinical, genotype, min_samples=2,
            clinical_source="column 'pid' of c.csv", genotype_source="'g.fam'")
    np.testing.assert_array_equal(clinical[rows], genotype[geno_rows])
    assert clinical[rows].tolist() == ["a", "c", "e"]  # clinical order
    message = str(record[0].message)
    assert "Matched 3 samples" in message
    assert "2 only in column 'pid' of c.csv (e.g. 'b', 'd')" in message
    assert "3 only in 'g.fam' (e.g. 'x', 'y', 'z')" in message
    assert summary["only_clinical"] == 2 and summary["only_genotype_examples"] == [
        "x", "y", "z"]


def test_match_samples_nothing_matches():
    with pytest.raises(DataError) as info:
        match_samples(["1", "2", "3"], ["FAM_1", "FAM_2"],
                      clinical_source="column 'PatientID' of clinical.csv",
                      genotype_source="'geno.fam'")
    message = str(info.value)
    assert "column 'PatientID' of clinical.csv match nothing in 'geno.fam'" in message
    assert "'1', '2', '3' versus 'FAM_1', 'FAM_2'" in message


def test_match_samples_hints_leading_zeros():
    with pytest.raises(DataError, match="leading zeros"):
        match_samples(["001", "002"], ["1", "2"])


def test_match_samples_too_few_and_duplicates():
    with pytest.raises(DataError, match=r"Only 2 sample\(s\).*at least 3"):
        with pytest.warns(DataWarning):
            match_samples(["a", "b", "c"], ["a", "b"], min_samples=3)
    with pytest.raises(DataError, match=r"repeat: 'a'"):
        match_samples(["a", "a", "b"], ["a", "b"])


# ---------------------------------------------------------------- PLINK checks
def test_read_plink_reads_only_the_snps_asked_for(plink_fileset):
    prefix, values = plink_fileset
    expected = np.where(np.isnan(values), -127, values).astype(np.int8)
    subset = read_plink(prefix, sample_ids=["s2", "s3"], snp_index=[3, 0])
    np.testing.assert_array_equal(subset.values, expected[[1, 2]][:, [3, 0]])
    assert subset.snp_names.tolist() == ["rs4", "rs1"]
    assert subset.allele_1.tolist() == ["T", "A"]


def _fileset(tmp_path, n_samples, n_snps, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 3, size=(n_samples, n_snps)).astype(np.float32)
    prefix = tmp_path / "g"
    bed_reader.to_bed(prefix.with_suffix(".bed"), values,
                      properties={"iid": [f"s{i}" for i in range(n_samples)]})
    return prefix, values


@pytest.mark.parametrize("n_samples", [10, 11, 12])
def test_a_fam_line_missing_shows_in_the_padding_bits(tmp_path, n_samples):
    prefix, _ = _fileset(tmp_path, n_samples, n_snps=30)
    fam = prefix.with_suffix(".fam")
    lines = fam.read_text().splitlines()
    del lines[4]
    fam.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"holds genotypes beyond the "
                                        rf"{n_samples - 1} samples"):
        read_plink(prefix)


def test_a_fam_line_missing_that_changes_the_byte_count_is_named(tmp_path):
    prefix, _ = _fileset(tmp_path, 9, n_snps=30)
    fam = prefix.with_suffix(".fam")
    fam.write_text("\n".join(fam.read_text().splitlines()[1:]) + "\n")
    with pytest.raises(DataError, match=r"fits the 30 SNPs of the .bim for 9 to 12 "
                                        r"samples: the .fam probably lacks lines"):
        read_plink(prefix)


def test_a_fam_line_too_many_shows_as_an_impossible_last_sample(tmp_path):
    prefix, _ = _fileset(tmp_path, 10, n_snps=70)
    fam = prefix.with_suffix(".fam")
    fam.write_text(fam.read_text() + "x x 0 0 0 -9\n")
    with pytest.raises(DataError, match=r"last sample 'x' is homozygous for allele 1 "
                                        r"at every one of 70 SNPs"):
        read_plink(prefix)


def test_few_snps_cannot_tell_a_fam_line_too_many(tmp_path):
    """Documented limit: below 64 SNPs an all-homozygous last sample proves nothing."""
    prefix, _ = _fileset(tmp_path, 10, n_snps=20)
    fam = prefix.with_suffix(".fam")
    fam.write_text(fam.read_text() + "x x 0 0 0 -9\n")
    assert read_plink(prefix).values.shape == (11, 20)


def test_reading_a_bed_larger_than_memory_is_refused(plink_fileset, monkeypatch):
    from riata.data import _memory

    prefix, _ = plink_fileset
    monkeypatch.setattr(_memory, "available_memory", lambda: (5, "a tiny test limit"))
    with pytest.raises(DataError, match=r"needs about 12 bytes, more than the 5 bytes "
                                        r"left \(a tiny test limit\)"):
        read_plink(prefix)
    assert read_plink(prefix, snp_index=[0]).values.shape == (3, 1)  # 3 bytes fit

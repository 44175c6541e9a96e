"""Tests of riata.data's readers: clinical tables, PLINK filesets, sample matching."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riata.data import (
    DataError,
    DataWarning,
    Genotypes,
    Table,
    match_samples,
    read_clinical,
    read_plink,
    read_table,
)

bed_reader = pytest.importorskip("bed_reader")

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


# ------------------------------------------------------------------------ fixtures
def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def clinical_csv(tmp_path):
    return write(tmp_path / "cohort.csv", (
        "pid,age,sex,smoker,chd\n"
        "007,50,M,0,1\n"
        "008,61,F,1,0\n"
        "009,NA,F,1,1\n"
        "010,47, M ,,0\n"
    ))


@pytest.fixture
def plink_fileset(tmp_path):
    """Three samples, four SNPs, two missing calls, written with bed_reader."""
    values = np.array([[0, 1, 2, np.nan], [2, 2, 0, 1], [1, np.nan, 0, 0]],
                      dtype=np.float32)
    properties = {"iid": ["s1", "s2", "s3"], "sid": ["rs1", "rs2", "rs3", "rs4"],
                  "chromosome": ["1", "1", "2", "X"], "bp_position": [10, 20, 30, 40],
                  "allele_1": ["A", "C", "G", "T"], "allele_2": ["G", "T", "A", "C"]}
    prefix = tmp_path / "geno"
    bed_reader.to_bed(prefix.with_suffix(".bed"), values, properties=properties)
    return prefix, values


def expected_bed_size(n_samples, n_snps):
    return 3 + n_snps * math.ceil(n_samples / 4)


# ----------------------------------------------------------------- clinical: happy
def test_read_clinical_types_ids_and_missing(clinical_csv):
    frame, y, ids = read_clinical(clinical_csv, target="chd", id_column="pid")
    assert ids.tolist() == ["007", "008", "009", "010"]  # leading zeros kept
    assert frame.index.tolist() == ids.tolist() and frame.index.name == "pid"
    assert y.dtype == np.int64 and y.tolist() == [1, 0, 1, 0]
    assert list(frame.columns) == ["age", "sex", "smoker"]
    assert frame["age"].dtype == np.float64 and np.isnan(frame["age"].iloc[2])
    # whitespace stripped: " M " is the level "M"
    assert isinstance(frame["sex"].dtype, pd.CategoricalDtype)
    assert list(frame["sex"].cat.categories) == ["F", "M"]
    assert frame["smoker"].dtype == np.float64  # few integer values stay numeric
    assert frame["smoker"].isna().sum() == 1
    assert frame.attrs["dropped_columns"] == {}


def test_declared_categorical_uses_float_levels(clinical_csv):
    frame, _, _ = read_clinical(clinical_csv, target="chd", id_column="pid",
                                categorical=["smoker"])
    assert list(frame["smoker"].cat.categories) == [0.0, 1.0]


def test_tsv_and_parquet_match_csv(tmp_path, clinical_csv):
    expected = read_clinical(clinical_csv, target="chd", id_column="pid")[0]
    tsv = write(tmp_path / "cohort.tsv", clinical_csv.read_text().replace(",", "\t"))
    pd.testing.assert_frame_equal(
        read_clinical(tsv, target="chd", id_column="pid")[0], expected)
    # A parquet file with typed columns and the id saved as the pandas index.
    table = pd.DataFrame({"pid": ["007", "008", "009", "010"],
                          "age": [50, 61, None, 47], "sex": ["M", "F", "F", "M"],
                          "smoker": [0, 1, 1, None], "chd": [1, 0, 1, 0]})
    path = tmp_path / "cohort.parquet"
    table.set_index("pid").to_parquet(path)
    frame, y, ids = read_clinical(path, target="chd", id_column="pid")
    pd.testing.assert_frame_equal(frame, expected)
    assert y.tolist() == [1, 0, 1, 0] and ids.tolist() == ["007", "008", "009", "010"]


def test_text_target_labels_are_kept(tmp_path):
    path = write(tmp_path / "t.csv", "id,x,out\na,1,yes\nb,2,no\nc,3,yes\n")
    _, y, _ = read_clinical(path, target="out", id_column="id")
    assert y.tolist() == ["yes", "no", "yes"]


# ------------------------------------------------------------ clinical: bad input
def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nothere\.csv' does not exist"):
        read_clinical(tmp_path / "nothere.csv", target="y", id_column="id")


def test_empty_file(tmp_path):
    path = write(tmp_path / "empty.csv", "")
    with pytest.raises(DataError, match=r"empty\.csv' is empty"):
        read_clinical(path, target="y", id_column="id")


def test_header_without_rows(tmp_path):
    path = write(tmp_path / "header.csv", "id,x,y\n")
    with pytest.raises(DataError, match=r"header\.csv' has a header but no data rows"):
        read_clinical(path, target="y", id_column="id")


def test_unsupported_extension(tmp_path):
    path = write(tmp_path / "cohort.xlsx", "id,y\n1,0\n")
    with pytest.raises(DataError, match=r"cohort\.xlsx' has an unsupported extension"):
        read_clinical(path, target="y", id_column="id")


def test_malformed_row(tmp_path):
    path = write(tmp_path / "bad.csv", "id,x,y\n1,2,0\n2,3,1,9\n")
    with pytest.raises(DataError, match=r"bad\.csv': line 3 has 4 field\(s\) but the "
                                        r"header has 3"):
        read_clinical(path, target="y", id_column="id")


@pytest.mark.parametrize("target, id_column, missing", [
    ("outcome", "pid", "outcome"), ("chd", "PatientID", "PatientID")])
def test_missing_target_or_id_column_lists_columns(clinical_csv, target, id_column,
                                                   missing):
    with pytest.raises(DataError) as info:
        read_clinical(clinical_csv, target=target, id_column=id_column)
    message = str(info.value)
    assert "cohort.csv" in message and f"no column '{missing}'" in message
    assert "['pid', 'age', 'sex', 'smoker', 'chd']" in message


def test_non_numeric_value_in_numeric_column(tmp_path):
    path = write(tmp_path / "labs.csv", "id,glucose,y\na,80,0\nb,high,1\nc,n.d.,0\n")
    with pytest.raises(DataError) as info:
        read_clinical(path, target="y", id_column="id", numeric=["glucose"])
    message = str(info.value)
    assert "labs.csv" in message and "'glucose'" in message
    assert "2 non-numeric value(s)" in message and "'high' at line 3 (id 'b')" in message


def test_infinite_feature_value(tmp_path):
    path = write(tmp_path / "inf.csv", "id,x,y\na,1,0\nb,inf,1\n")
    with pytest.raises(DataError, match=r"inf\.csv': column 'x' has an infinite value "
                                        r"at line 3 \(id 'b'\)"):
        read_clinical(path, target="y", id_column="id")


def test_duplicate_ids(tmp_path):
    path = write(tmp_path / "dup.csv", "id,x,y\na,1,0\nb,2,1\na,3,0\nc,4,1\nc,5,0\n")
    with pytest.raises(DataError) as info:
        read_clinical(path, target="y", id_column="id")
    message = str(info.value)
    assert "dup.csv" in message and "2 id(s) in column 'id'" in message
    assert "'a', 'c'" in message


def test_missing_id(tmp_path):
    path = write(tmp_path / "noid.csv", "id,x,y\na,1,0\n,2,1\n")
    with pytest.raises(DataError, match=r"noid\.csv': the id column 'id' is empty on 1 "
                                        r"row\(s\), at line\(s\) '3'"):
        read_clinical(path, target="y", id_column="id")


@pytest.mark.parametrize("cell, expected", [("", "is missing for 1 sample"),
                                            ("NaN", "is missing for 1 sample"),
                                            ("inf", "has an infinite value")])
def test_nan_or_inf_target(tmp_path, cell, expected):
    path = write(tmp_path / "target.csv", f"id,x,chd\na,1,0\nb,2,{cell}\nc,3,1\n")
    with pytest.raises(DataError) as info:
        read_clinical(path, target="chd", id_column="id")
    message = str(info.value)
    assert "target.csv" in message and "'chd'" in message and expected in message
    assert "'b'" in message


def test_single_class_target(tmp_path):
    path = write(tmp_path / "one.csv", "id,x,chd\na,1,0\nb,2,0\nc,3,0\n")
    with pytest.raises(DataError, match=r"one\.csv': the target column 'chd' has a "
                                        r"single value \(0\) in all 3 rows"):
        read_clinical(path, target="chd", id_column="id")


def test_all_missing_and_constant_columns_are_dropped(tmp_path):
    path = write(tmp_path / "drop.csv",
                 "id,empty,const,x,y\na,,5,1,0\nb,NA,5,2,1\nc,,5.0,3,0\n")
    with pytest.warns(DataWarning) as record:
        frame, _, _ = read_clinical(path, target="y", id_column="id")
    message = str(record[0].message)
    assert "drop.csv" in message and "'empty': all values missing" in message
    assert "'const': constant" in message
    assert list(frame.columns) == ["x"]
    assert set(frame.attrs["dropped_columns"]) == {"empty", "const"}


@pytest.mark.parametrize("text, expected", [
    (",x,y\n0,1,0\n1,2,1\n", "have no name"),
    ("id,x,x,y\na,1,2,0\nb,2,3,1\n", "duplicate column names ['x']"),
])
def test_bad_header(tmp_path, text, expected):
    path = write(tmp_path / "head.csv", text)
    with pytest.raises(DataError, match="head.csv") as info:
        read_clinical(path, target="y", id_column="id")
    assert expected in str(info.value)


@pytest.mark.parametrize("kwargs, expected", [
    ({"drop": ["nope"]}, "drop= names column(s) ['nope']"),
    ({"categorical": ["x"], "numeric": ["x"]}, "both categorical and numeric"),
    ({"categorical": ["y"]}, "target or id column"),
])
def test_bad_column_arguments(clinical_csv, tmp_path, kwargs, expected):
    path = write(tmp_path / "args.csv", "id,x,y\na,1,0\nb,2,1\n")
    with pytest.raises(DataError) as info:
        read_clinical(path, target="y", id_column="id", **kwargs)
    assert expected in str(info.value) and "args.csv" in str(info.value)


def test_not_a_parquet_file(tmp_path):
    path = write(tmp_path / "fake.parquet", "id,y\n1,0\n")
    with pytest.raises(DataError, match=r"fake\.parquet' is not a readable Parquet"):
        read_clinical(path, target="y", id_column="id")


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


# --------------------------------------------------------------------------- Table
def test_read_table_clinical_and_genotypes(tmp_path, plink_fileset):
    prefix, values = plink_fileset
    path = write(tmp_path / "c.csv", "id,age,y\ns3,50,1\nq,60,0\ns1,40,0\ns2,55,1\n")
    with pytest.warns(DataWarning, match="1 only in column 'id'"):
        table = read_table(path, target="y", id_column="id", plink_prefix=prefix,
                           min_samples=2)
    assert table.sample_ids.tolist() == ["s3", "s1", "s2"]
    assert table.y.tolist() == [1, 0, 1]
    assert table.clinical.index.tolist() == ["s3", "s1", "s2"]
    assert table.genotypes.sample_ids.tolist() == ["s3", "s1", "s2"]
    expected = np.where(np.isnan(values), -127, values).astype(np.int8)
    np.testing.assert_array_equal(table.genotypes.values, expected[[2, 0, 1]])
    assert table.summary()["sample_summary"]["only_clinical_examples"] == ["q"]
    half = table.subset([1, 2])
    assert half.sample_ids.tolist() == ["s1", "s2"]
    assert half.genotypes.sample_ids.tolist() == ["s1", "s2"]


def test_table_refuses_misaligned_rows():
    clinical = pd.DataFrame({"x": [1.0, 2.0]}, index=["a", "b"])
    with pytest.raises(DataError, match="not indexed by the table's sample ids"):
        Table(clinical=clinical, y=np.array([0, 1]), sample_ids=np.array(["b", "a"]),
              target_name="y")
    with pytest.raises(DataError, match="y has shape"):
        Table(clinical=clinical, y=np.array([0]), sample_ids=np.array(["a", "b"]),
              target_name="y")


# ---------------------------------------------------------------- real-file smoke
def test_framingham_teaching_file():
    path = SHARED_DATA / "framingham.csv"
    if not path.is_file():
        pytest.skip(f"Framingham teaching file not found at {path}")
    frame, y, ids = read_clinical(path, target="TenYearCHD", id_column="PatientID",
                                  categorical=["male", "education"])
    raw = pd.read_csv(path)
    assert frame.shape == (4240, 15) and y.shape == (4240,) and len(set(ids)) == 4240
    assert int(y.sum()) == 644
    # This copy has its missing values filled in (education 0 stands for missing);
    # whatever the file holds, the reader must keep each column's missing count.
    for column in frame.columns:
        assert frame[column].isna().sum() == raw[column].isna().sum()
    assert list(frame["education"].cat.categories) == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_framingham_exam1_rows_with_real_missing_values(tmp_path):
    """The NHLBI exam-1 rows hold the original gaps (388 missing glucose values)."""
    source = SHARED_DATA / "frmgham2.csv"
    if not source.is_file():
        pytest.skip(f"Framingham teaching file not found at {source}")
    raw = pd.read_csv(source)
    exam1 = raw[(raw.PERIOD == 1) & (raw.PREVCHD == 0)]
    exam1.to_csv(tmp_path / "exam1.csv", index=False)
    outcomes = ["DEATH", "ANGINA", "HOSPMI", "MI_FCHD", "STROKE", "CVD", "CHD", "TIME",
                "PREVAP", "PREVMI"]
    with pytest.warns(DataWarning) as record:
        frame, y, _ = read_clinical(tmp_path / "exam1.csv", target="ANYCHD",
                                    id_column="RANDID", drop=outcomes,
                                    categorical=["SEX", "educ"])
    assert len(frame) == 4240
    assert frame["GLUCOSE"].isna().sum() == 388 and frame["educ"].isna().sum() == 105
    assert frame["TOTCHOL"].isna().sum() == 50 and frame["BMI"].isna().sum() == 19
    dropped = frame.attrs["dropped_columns"]
    assert set(dropped) == {"HDLC", "LDLC", "PERIOD", "PREVCHD"}
    assert "HDLC" in str(record[0].message)
    assert set(np.unique(y)) == {0, 1}

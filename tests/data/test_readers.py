"""Tests of riata.data's readers of clinical tables (CSV, TSV, Parquet) and of read_table,
which joins them to PLINK filesets (the PLINK reader itself: test_plink_readers.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riata.data import (
    DataError,
    DataWarning,
    Table,
    read_clinical,
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
    # The lines of the first repeated id, counted as an editor does (header = 1).
    assert "'a' is on lines '2', '4' (line 1 is the header)" in message


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


# ------------------------------------------------- notation, markers, magnitudes
def test_decimal_commas_are_read_only_when_declared(tmp_path):
    path = write(tmp_path / "eu.tsv", "id\tbmi\ty\na\t27,5\t0\nb\t31,25\t1\nc\t-0,5\t0\n")
    with pytest.raises(DataError, match=r"column 'bmi' holds numbers in another "
                                        r"notation .* '27,5' at line 2 \(id 'a'\)"):
        read_clinical(path, target="y", id_column="id")
    frame, _, _ = read_clinical(path, target="y", id_column="id", decimal=",")
    assert frame["bmi"].tolist() == [27.5, 31.25, -0.5]
    assert frame.attrs["table_format"]["decimal"] == ","


@pytest.mark.parametrize("cell", ["1.234,5", "1 234", "1'234.5", "1,234"])
def test_thousands_separators_are_refused(tmp_path, cell):
    rows = "".join(f"{i},{v},{i % 2}\n" for i, v in enumerate(["5", "6", "7"]))
    path = write(tmp_path / "t.csv", f"id,x,y\n{rows}9,\"{cell}\",1\n")
    with pytest.raises(DataError, match="another notation"):
        read_clinical(path, target="y", id_column="id")


def test_separator_and_missing_markers_are_options(tmp_path):
    path = write(tmp_path / "semi.csv", "id;ca;y\na;1;0\nb;?;1\nc;3;0\nd;-9;1\n")
    with pytest.raises(DataError, match=r"separated by ';', not ','"):
        read_clinical(path, target="y", id_column="id")
    with pytest.raises(DataError, match=r"column 'ca' holds numbers and the marker\(s\) "
                                        r"'\?' \(1x\)"):
        read_clinical(path, target="y", id_column="id", separator=";")
    frame, _, _ = read_clinical(path, target="y", id_column="id", separator=";",
                                na_values=["?", "-9"])
    assert frame["ca"].isna().tolist() == [False, True, False, True]


def test_typos_in_a_mostly_numeric_column_are_refused(tmp_path):
    path = write(tmp_path / "typo.csv",
                 "id,age,y\na,50,0\nb,5O,1\nc,61,0\nd,old,1\n")
    with pytest.raises(DataError, match=r"column 'age' looks numeric \(2 of 4 values "
                                        r"are numbers.*'5O' at line 3 \(id 'b'\)"):
        read_clinical(path, target="y", id_column="id")
    frame, _, _ = read_clinical(path, target="y", id_column="id", categorical=["age"])
    assert isinstance(frame["age"].dtype, pd.CategoricalDtype)


def test_sentinel_numbers_and_marker_levels_are_reported(tmp_path):
    ages = [41, 52, 63, 44, 58, 67, -9, -9]
    rows = "".join(f"{i},{a},{s},{i % 2}\n" for i, (a, s) in enumerate(
        zip(ages, ["M", "F", "?", "M", "F", "M", "F", "?"])))
    path = write(tmp_path / "s.csv", "id,age,sex,y\n" + rows)
    with pytest.warns(DataWarning) as record:
        frame, _, _ = read_clinical(path, target="y", id_column="id")
    messages = " ".join(str(w.message) for w in record)
    assert "'age' has the value -9 2 times" in messages
    assert "'sex' has the level(s) '?' (2x)" in messages
    assert frame["age"].min() == -9  # reported, not changed


@pytest.mark.parametrize("cell", ["1e151", "-3e300", "1.7976931348623157e308"])
def test_values_beyond_the_standardizable_range_are_refused(tmp_path, cell):
    path = write(tmp_path / "big.csv", f"id,x,y\na,1,0\nb,{cell},1\nc,2,0\n")
    with pytest.raises(DataError, match=r"column 'x' has the value .* at line 3 "
                                        r"\(id 'b'\).*too large to standardize"):
        read_clinical(path, target="y", id_column="id")


def test_short_and_long_lines_are_refused_with_their_line(tmp_path):
    path = write(tmp_path / "short.csv", 'id,x,y\na,1,0\n\n"b",2\nc,3,1\n')
    with pytest.raises(DataError, match=r"line 4 has 2 field\(s\) but the header has 3"):
        read_clinical(path, target="y", id_column="id")
    path = write(tmp_path / "quote.csv", 'id,x,y\na,1,0\nb,"2,1\nc,3,1\n')
    with pytest.raises(DataError, match="the row starting at line 3 cannot be parsed"):
        read_clinical(path, target="y", id_column="id")


def test_blank_lines_and_quoted_line_breaks_keep_line_numbers(tmp_path):
    path = write(tmp_path / "q.csv",
                 'id,note,x,y\na,"two\nlines",1,0\n\nb,plain,x9,1\nc,z,3,0\n')
    with pytest.raises(DataError, match=r"'x9' at line 5 \(id 'b'\)"):
        read_clinical(path, target="y", id_column="id", numeric=["x"])


@pytest.mark.parametrize("labels, fragment", [
    (["0", "1", "yes", "no"], "mixes numbers"),
    (["case", "Case", "control", "control"], "'Case' / 'case'"),
    (["TRUE", "true", "FALSE", "FALSE"], "'TRUE' / 'true'"),
    (["n", "no", "yes", "yes"], "'n' and 'no', which mean the same (negative)"),
    (["1", "?", "0", "1"], "If they mark a missing outcome, remove those rows"),
])
# ------------------------------------------------------------------------ targets
def test_target_labels_of_more_than_one_coding_are_refused(tmp_path, labels,
                                                           fragment):
    rows = "".join(f"s{i},{i},{label}\n" for i, label in enumerate(labels))
    path = write(tmp_path / "labels.csv", "id,x,chd\n" + rows)
    with pytest.raises(DataError, match="target column 'chd'") as info:
        read_clinical(path, target="chd", id_column="id")
    assert fragment in str(info.value)


@pytest.mark.parametrize("labels, requested, expected, reason", [
    ([0, 1], None, 1, "the larger number"),
    ([1, 2], None, 2, "the larger number"),
    (["case", "control"], None, "case", "'case' names the positive class"),
    (["No", "Yes"], None, "Yes", "'Yes' names the positive class"),
    (["alive", "dead"], None, "dead", "'dead' names the positive class"),
    (["A", "B"], None, "B", "the second in sorted order"),
    (["case", "control"], "control", "control", "requested"),
    ([0, 1], "0", 0, "requested"),
    ([0, 1], "0.0", 0, "requested"),
])
def test_positive_label(labels, requested, expected, reason):
    from riata.data import positive_label

    assert positive_label(labels, requested) == (expected, reason)


def test_positive_label_refuses_an_unknown_class():
    from riata.data import positive_label

    with pytest.raises(DataError, match=r"--positive-class 'yes' is not a class"):
        positive_label(["case", "control"], "yes")


def test_read_table_keeps_the_requested_positive_class(tmp_path):
    path = write(tmp_path / "cc.csv", "id,x,chd\na,1,case\nb,2,control\nc,3,case\n")
    table = read_table(path, target="chd", id_column="id", positive_class="control")
    assert table.positive_class == "control"
    assert table.subset([0, 1]).positive_class == "control"
    with pytest.raises(DataError, match=r"positive class 'cases' .* its values are "
                                        r"'case', 'control'"):
        read_table(path, target="chd", id_column="id", positive_class="cases")


def test_repeated_variant_ids_are_refused_by_read_table(tmp_path, plink_fileset):
    prefix, _ = plink_fileset
    bim = prefix.with_suffix(".bim")
    bim.write_text(bim.read_text().replace("rs3", "rs1"))
    path = write(tmp_path / "c.csv", "id,x,y\ns1,1,0\ns2,2,1\ns3,3,0\n")
    with pytest.raises(DataError, match=r"'rs1' at lines '1', '3'.*plink2 --bfile"):
        read_table(path, target="y", id_column="id", plink_prefix=prefix, min_samples=1)


# ------------------------------------------------------------- broken containers
def test_gzip_problems_are_named(tmp_path):
    import gzip

    plain = write(tmp_path / "plain.csv.gz", "id,x,y\na,1,0\nb,2,1\n")
    with pytest.raises(DataError, match="is named .gz but is not a valid gzip file"):
        read_clinical(plain, target="y", id_column="id")
    data = gzip.compress(b"id,x,y\n" + b"".join(b"s%d,%d,%d\n" % (i, i, i % 2)
                                                 for i in range(2000)))
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="truncated gzip file"):
        read_clinical(cut, target="y", id_column="id")


def test_parquet_index_ids(tmp_path):
    frame = pd.DataFrame({"pid": ["a", "b", "c"], "x": [1.0, 2.0, 3.0],
                          "y": [0, 1, 0]})
    named = tmp_path / "named.parquet"
    frame.set_index("pid").to_parquet(named)
    _, _, ids = read_clinical(named, target="y", id_column="pid")
    assert ids.tolist() == ["a", "b", "c"]
    unnamed = tmp_path / "unnamed.parquet"
    frame.set_index("pid").rename_axis(None).to_parquet(unnamed)
    with pytest.raises(DataError, match=r"unnamed pandas index \('a', 'b', 'c'\)"):
        read_clinical(unnamed, target="y", id_column="pid")

"""Tests of riata.data.ClinicalEncoder, and a property test of reader + encoder."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from riata.data import ClinicalEncoder, DataError, DataWarning, read_clinical

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.fixture
def frame():
    """Six samples: a float-coded categorical, a text one, a number with a gap."""
    return pd.DataFrame(
        {"SEX": pd.Categorical([1.0, 2.0, 1.0, 2.0, 1.0, np.nan]),
         "EDUC": pd.Categorical(["4", "1", "4", None, "2", "1"]),
         "AGE": [40.0, 50.0, np.nan, 70.0, 45.0, 55.0]},
        index=[f"p{i}" for i in range(6)])


def test_names_and_groups(frame):
    encoder = ClinicalEncoder().fit(frame)
    assert encoder.get_feature_names_out().tolist() == [
        "SEX_1.0", "SEX_2.0", "EDUC_1", "EDUC_2", "EDUC_4", "AGE"]
    assert encoder.feature_groups_.tolist() == [0, 0, 1, 1, 1, 2]
    assert encoder.group_names_.tolist() == ["SEX", "EDUC", "AGE"]
    assert encoder.n_features_in_ == 3


def test_integer_column_listed_as_categorical_gets_float_names():
    data = pd.DataFrame({"educ": [1, 4, 2, 4], "age": [30.0, 40.0, 50.0, 60.0]})
    encoder = ClinicalEncoder(categorical=["educ"]).fit(data)
    assert encoder.get_feature_names_out().tolist() == [
        "educ_1.0", "educ_2.0", "educ_4.0", "age"]
    out = encoder.transform(data)
    np.testing.assert_array_equal(out[:, :3], [[1, 0, 0], [0, 0, 1], [0, 1, 0],
                                               [0, 0, 1]])


def test_fit_uses_training_rows_only(frame):
    train, held_out = frame.iloc[:4], frame.iloc[[4]]
    encoder = ClinicalEncoder().fit(train)
    age = train["AGE"].dropna()
    mean, sd = age.mean(), age.std(ddof=0)
    # EDUC level "2" exists only in the held-out row: all zeros, with a warning.
    with pytest.warns(DataWarning, match=r"Column 'EDUC': 1 row\(s\).*'2'"):
        out = encoder.transform(held_out)
    assert out[0, -1] == pytest.approx((45.0 - mean) / sd)
    np.testing.assert_array_equal(out[0, :2], [1, 0])  # SEX 1.0
    assert encoder.get_feature_names_out().tolist()[2:4] == ["EDUC_1", "EDUC_4"]
    np.testing.assert_array_equal(out[0, 2:4], [0, 0])
    # The training column itself is centred and scaled.
    observed = train[train["AGE"].notna()]
    np.testing.assert_allclose(encoder.transform(observed)[:, -1],
                               (observed["AGE"] - mean) / sd)


def test_impute_uses_training_median_and_mode(frame):
    encoder = ClinicalEncoder(missing="impute").fit(frame)
    out = encoder.transform(frame)
    assert not np.isnan(out).any()
    spec = {s["name"]: s for s in encoder.columns_}
    assert spec["AGE"]["fill"] == 50.0 and spec["SEX"]["fill"] == 1.0
    assert spec["EDUC"]["fill"] == "1"  # "1" and "4" tie; the first sorted level wins
    np.testing.assert_array_equal(out[5, :2], [1, 0])  # missing SEX -> mode 1.0
    np.testing.assert_array_equal(out[3, 2:5], [1, 0, 0])  # missing EDUC -> "1"
    assert out[2, -1] == pytest.approx((50.0 - spec["AGE"]["mean"])
                                       / spec["AGE"]["scale"])


def test_indicator_columns_join_their_variable_group(frame):
    encoder = ClinicalEncoder(missing="indicator").fit(frame)
    names = encoder.get_feature_names_out().tolist()
    assert names == ["SEX_1.0", "SEX_2.0", "SEX_missing", "EDUC_1", "EDUC_2", "EDUC_4",
                     "EDUC_missing", "AGE", "AGE_missing"]
    assert encoder.feature_groups_.tolist() == [0, 0, 0, 1, 1, 1, 1, 2, 2]
    out = encoder.transform(frame)
    np.testing.assert_array_equal(out[5, :3], [0, 0, 1])  # missing acts as a level
    np.testing.assert_array_equal(out[:, -1], [0, 0, 1, 0, 0, 0])
    assert not np.isnan(out).any()


def test_indicator_only_for_columns_with_training_gaps(frame):
    train = frame.iloc[:2]  # no gap in training
    encoder = ClinicalEncoder(missing="indicator").fit(train)
    assert not any(n.endswith("_missing") for n in encoder.get_feature_names_out())
    assert not np.isnan(encoder.transform(frame.iloc[[2]])).any()  # imputed instead


def test_missing_error_names_column_and_count(frame):
    with pytest.raises(DataError, match=r"Column 'SEX' has 1 missing value\(s\) at fit "
                                        r"\(e\.g\. sample\(s\) 'p5'\)"):
        ClinicalEncoder(missing="error").fit(frame)
    encoder = ClinicalEncoder(missing="error").fit(frame.iloc[:2])
    with pytest.raises(DataError, match=r"'AGE' has 1 missing value\(s\) at transform"):
        encoder.transform(frame.iloc[[2]])


def test_constant_training_column_gets_unit_scale():
    data = pd.DataFrame({"x": [3.0, 3.0, 3.0], "z": [1.0, 2.0, 3.0]})
    encoder = ClinicalEncoder().fit(data)
    np.testing.assert_array_equal(encoder.transform(data)[:, 0], 0.0)
    assert encoder.columns_[0]["scale"] == 1.0


def test_round_trip_through_json(frame):
    for missing in ("impute", "indicator"):
        encoder = ClinicalEncoder(missing=missing, categorical=["AGE"]).fit(frame)
        state = json.loads(json.dumps(encoder.to_dict(), allow_nan=False))
        restored = ClinicalEncoder.from_dict(state)
        np.testing.assert_array_equal(restored.transform(frame),
                                      encoder.transform(frame))
        assert restored.get_feature_names_out().tolist() == (
            encoder.get_feature_names_out().tolist())
        assert restored.feature_groups_.tolist() == encoder.feature_groups_.tolist()
        assert restored.get_params() == encoder.get_params()
    with pytest.raises(DataError, match="Not a saved ClinicalEncoder"):
        ClinicalEncoder.from_dict({"format": "pickle"})


@pytest.mark.parametrize("make, expected", [
    (lambda f: f.to_numpy(), "needs a pandas DataFrame"),
    (lambda f: f[[]], "no columns"),
    (lambda f: f.assign(AGE=np.where(f.AGE > 60, np.inf, f.AGE)),
     "'AGE' has an infinite value for sample 'p3'"),
    (lambda f: f.assign(EDUC=np.nan), "'EDUC' has no observed value"),
])
def test_bad_frames(frame, make, expected):
    with pytest.raises(DataError) as info:
        ClinicalEncoder().fit(make(frame))
    assert expected in str(info.value)


def test_transform_checks_columns(frame):
    encoder = ClinicalEncoder().fit(frame)
    with pytest.raises(DataError, match=r"lacks column\(s\) \['AGE'\]"):
        encoder.transform(frame.drop(columns="AGE"))
    with pytest.raises(DataError, match=r"'AGE' has the non-numeric value 'old' for "
                                        r"sample 'p0'"):
        encoder.transform(frame.assign(AGE=["old"] + [1.0] * 5))
    # Extra columns are ignored and order does not matter.
    shuffled = frame[["AGE", "EDUC", "SEX"]].assign(extra=1)
    np.testing.assert_array_equal(encoder.transform(shuffled), encoder.transform(frame))


def test_name_clash_is_an_error():
    data = pd.DataFrame({"A": ["x", "missing", None], "A_missing": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match=r"\['A_missing'\] occur twice"):
        ClinicalEncoder(missing="indicator").fit(data)


def test_scikit_learn_contract(frame):
    encoder = ClinicalEncoder(missing="indicator")
    assert clone(encoder).get_params() == {"categorical": None, "missing": "indicator"}
    out = clone(encoder).set_output(transform="pandas").fit_transform(frame)
    assert list(out.columns) == encoder.fit(frame).get_feature_names_out().tolist()
    with pytest.raises(ValueError, match="missing"):
        ClinicalEncoder(missing="drop").fit(frame)


def test_framingham_encoding():
    path = SHARED_DATA / "framingham.csv"
    if not path.is_file():
        pytest.skip(f"Framingham teaching file not found at {path}")
    frame, _, _ = read_clinical(path, target="TenYearCHD", id_column="PatientID",
                                categorical=["male", "education"])
    rng = np.random.default_rng(0)
    train = rng.permutation(len(frame))[:3000]
    encoder = ClinicalEncoder(missing="impute").fit(frame.iloc[train])
    out = encoder.transform(frame)
    assert out.shape == (4240, 20) and not np.isnan(out).any()
    assert len(encoder.group_names_) == 15
    assert np.unique(encoder.feature_groups_).tolist() == list(range(15))
    names = encoder.get_feature_names_out().tolist()
    assert "male_1.0" in names and "education_4.0" in names
    np.testing.assert_allclose(out[train][:, names.index("age")].mean(), 0, atol=1e-12)


# --------------------------------------------------------- property: no other error
_numbers = st.one_of(st.integers(-3, 3).map(str),
                     st.floats(-1e3, 1e3).map(str),
                     st.floats(allow_nan=True, allow_infinity=True).map(str))
_text = st.sampled_from(["x", "y ", "true", "-", "a,b", '"q"', "é", "  z"])
_gaps = st.sampled_from(["", "NA", "nan", "NULL", "  "])
# one_of picks each branch alike, so repeating a branch makes it more frequent:
# gaps are a quarter of the cells.
_cell_kinds = {
    "numbers": st.one_of(_numbers, _numbers, _numbers, _gaps),
    "codes": st.one_of(*[st.sampled_from(["1", "2", "3", "1.0"])] * 3, _gaps),
    "text": st.one_of(_text, _text, _text, _gaps),
    "mixed": st.one_of(_numbers, _text, _gaps, st.just("1e400")),
}


_FAULTS = ["duplicate id", "blank id", "blank header", "duplicate header",
           "ragged line", "bad target", "one class", "no rows"]


@st.composite
def malformed_tables(draw):
    """A small CSV with random column kinds and gaps, and up to two faults mixed in."""
    n_rows = draw(st.integers(2, 12))
    features = draw(st.lists(st.sampled_from("abcd"), unique=True, min_size=1,
                             max_size=4))
    kinds = [draw(st.sampled_from(sorted(_cell_kinds))) for _ in features]
    # Most tables carry no fault, so that many of them reach the encoder.
    n_faults = draw(st.sampled_from([0, 0, 0, 1, 2]))
    faults = {draw(st.sampled_from(_FAULTS)) for _ in range(n_faults)}
    names = ["id", "y"] + features
    if "blank header" in faults or "duplicate header" in faults:
        names[draw(st.integers(0, len(names) - 1))] = (
            "" if "blank header" in faults else names[-1])
    ids = [f"s{i}" for i in range(n_rows)]
    if "duplicate id" in faults or "blank id" in faults:
        ids[-1] = (ids[0] if "duplicate id" in faults
                   else draw(st.sampled_from(["", "NA"])))
    rows = []
    for i, sample in enumerate(ids):
        y = "0" if "one class" in faults else str(i % 2)
        rows.append([sample, y] + [draw(_cell_kinds[k]) for k in kinds])
    if "bad target" in faults:
        rows[draw(st.integers(0, n_rows - 1))][1] = draw(
            st.sampled_from(["", "nan", "inf", "x"]))
    if "ragged line" in faults:
        rows[draw(st.integers(0, n_rows - 1))].append("extra")
    if "no rows" in faults:
        rows = []
    declared = draw(st.lists(st.sampled_from(features), unique=True))
    return names, rows, declared


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=malformed_tables(), missing=st.sampled_from(["impute", "indicator",
                                                          "error"]),
       declare=st.sampled_from(["categorical", "numeric"]))
def test_malformed_tables_raise_only_data_error(tmp_path, table, missing, declare):
    names, rows, declared = table
    path = tmp_path / "random.csv"
    text = ",".join(names) + "\n"
    if rows:
        # pandas quotes cells holding commas; the ragged line stays ragged.
        lines = (pd.DataFrame([r]).to_csv(header=False, index=False).strip("\n")
                 for r in rows)
        text += "\n".join(lines) + "\n"
    path.write_text(text)
    with warnings.catch_warnings():
        # Anything but riata's own DataWarning (e.g. a numpy RuntimeWarning) fails.
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", DataWarning)
        try:
            data, y, ids = read_clinical(path, target="y", id_column="id",
                                         **{declare: declared})
        except DataError as err:
            event(f"read_clinical refused: {str(err).split(chr(39) + ' ', 1)[-1][:30]}")
            return
        assert len(data) == len(y) == len(ids) == len(set(ids)) > 0
        train = data.iloc[: max(1, len(data) // 2)]
        try:
            encoder = ClinicalEncoder(missing=missing).fit(train)
            out = encoder.transform(data)
        except DataError as err:
            event(f"encoder refused: {str(err)[:30]}")
            return
        event("encoded")
        assert out.shape == (len(data), len(encoder.feature_names_out_))
        if missing != "error":
            assert not np.isnan(out).any()

"""Tests of riata.io's model files: safetensors weights + JSON metadata, no pickle."""

from __future__ import annotations

import json
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from riata import (
    L1,
    ElasticNet,
    GroupLasso,
    SparseGroupLasso,
    SparseMLPClassifier,
    SparseMLPRegressor,
)
from riata.data import ClinicalEncoder, DataError
from riata.estimators import GenotypeEncoder
from riata.io import (
    METADATA_FILE,
    SCHEMA_VERSION,
    WEIGHTS_FILE,
    ModelVersionWarning,
    load_model,
    save_model,
)


# ------------------------------------------------------------------------ fixtures
@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


@pytest.fixture
def fitted(data):
    X, y = data
    return SparseMLPClassifier((5,), penalty=GroupLasso(alpha=0.01), max_epochs=4,
                               random_state=0).fit(X, y)


def _edit_json(directory: Path, change) -> None:
    path = directory / METADATA_FILE
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


FITTED_ATTRIBUTES = ("first_layer_weights_", "feature_importances_",
                     "first_layer_feature_names_", "selected_features_",
                     "kkt_violation_", "best_epoch_", "n_iter_", "monitor_")


def _assert_same_fit(a, b):
    for name in FITTED_ATTRIBUTES:
        left, right = getattr(a, name), getattr(b, name)
        if isinstance(left, np.ndarray):
            np.testing.assert_array_equal(left, right, err_msg=name)
        else:
            assert left == right, name
    assert a.history_ == b.history_ or all(
        (x == y) or (np.isnan(x) and np.isnan(y))
        for ra, rb in zip(a.history_, b.history_) for x, y in
        zip(ra.values(), rb.values()))
    assert a.get_params(deep=False).keys() == b.get_params(deep=False).keys()
    assert repr(a) == repr(b)


# ----------------------------------------------------------------------- round trip
def test_binary_classifier_round_trip_is_exact(tmp_path, fitted, data):
    X, _ = data
    save_model(tmp_path / "m", fitted)
    loaded, extras = load_model(tmp_path / "m")
    assert type(loaded) is SparseMLPClassifier
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))
    np.testing.assert_array_equal(loaded.classes_, fitted.classes_)
    _assert_same_fit(loaded, fitted)
    assert not loaded.model_.training
    assert extras["clinical_encoder"] is None and extras["genotype_stats"] is None
    assert extras["first_layer_feature_names"] == list(fitted.first_layer_feature_names_)


def test_multiclass_text_labels_encoder_and_sparse_group_lasso(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 8))
    y = np.array(["low", "mid", "high"], dtype=object)[np.argmax(X[:, :3], axis=1)]
    groups = ["g0", "g0", "g1", "a", "a", "b", "c", "d", "e"]  # 3 genetic units + 6
    est = SparseMLPClassifier(
        (6, 3), activation="tanh", dropout=0.2,
        penalty=SparseGroupLasso(alpha=0.005, l1_ratio=0.3, groups=groups),
        encoder=GenotypeEncoder(n_features=2, dim=3, penalty=GroupLasso(alpha=0.001)),
        skip_connection=True, max_epochs=4, random_state=3).fit(X, y)
    save_model(tmp_path / "m", est)
    loaded, extras = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))
    assert loaded.predict(X).tolist() == est.predict(X).tolist()
    assert loaded.classes_.tolist() == ["high", "low", "mid"]
    assert loaded.penalty.groups == groups and loaded.penalty.l1_ratio == 0.3
    assert isinstance(loaded.encoder.penalty, GroupLasso)
    assert repr(loaded.encoder) == repr(est.encoder)
    np.testing.assert_array_equal(loaded.encoder_.weights_, est.encoder_.weights_)
    assert extras["groups"] == groups
    _assert_same_fit(loaded, est)


@pytest.mark.parametrize("y_shape", ["1d", "2d"])
def test_linear_regressor_round_trip(tmp_path, data, y_shape):
    X, _ = data
    y = X[:, 0] - 2 * X[:, 2] if y_shape == "1d" else X[:, :2] @ np.ones((2, 2))
    est = SparseMLPRegressor((), penalty=ElasticNet(alpha=0.01, l1_ratio=0.7,
                                                     penalty_factor=np.arange(6.0)),
                             max_epochs=4, dtype="float64", random_state=0).fit(X, y)
    save_model(tmp_path / "m", est)
    loaded, _ = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    np.testing.assert_array_equal(loaded.coef_, est.coef_)
    np.testing.assert_array_equal(np.asarray(loaded.intercept_), np.asarray(est.intercept_))
    np.testing.assert_array_equal(loaded.penalty.penalty_factor, np.arange(6.0))
    assert loaded.model_.input_layer.weight.dtype == torch.float64


def test_extras_round_trip(tmp_path, fitted):
    frame = pd.DataFrame({"SEX": pd.Categorical([1.0, 2.0, 1.0, np.nan]),
                          "AGE": [40.0, 50.0, np.nan, 61.0]})
    encoder = ClinicalEncoder(missing="indicator").fit(frame)
    stats = {"snp_names": np.array(["rs1", "rs2"]), "mean": np.array([0.5, 1.25]),
             "scale": np.array([0.1, 1.0]), "allele_1": np.array(["A", "C"])}
    meta = {"target": "chd", "alpha": float("nan"), "sizes": (1, 2), "nested": {"a": [1]}}
    save_model(tmp_path / "m", fitted, clinical_encoder=encoder, genotype_stats=stats,
               metadata=meta)
    _, extras = load_model(tmp_path / "m")
    np.testing.assert_array_equal(extras["clinical_encoder"].transform(frame),
                                  encoder.transform(frame))
    for key in ("snp_names", "mean", "scale", "allele_1"):
        np.testing.assert_array_equal(extras["genotype_stats"][key], stats[key])
    assert extras["metadata"]["sizes"] == (1, 2)
    assert np.isnan(extras["metadata"]["alpha"])
    assert extras["metadata"]["nested"] == {"a": [1]}
    assert extras["versions"]["riata"]


def test_files_are_safetensors_and_plain_json(tmp_path, fitted):
    from safetensors.torch import load_file

    save_model(tmp_path / "m", fitted)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [METADATA_FILE,
                                                                   WEIGHTS_FILE]
    tensors = load_file(tmp_path / "m" / WEIGHTS_FILE)
    assert set(tensors) == set(fitted.model_.state_dict())
    document = json.loads((tmp_path / "m" / METADATA_FILE).read_text())
    assert document["format"] == "riata.model"
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["estimator"]["params"]["penalty"]["class"] == "GroupLasso"
    assert set(document["versions"]) >= {"riata", "torch", "numpy", "scikit-learn"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary left


def test_loading_never_unpickles(tmp_path, fitted, data, monkeypatch):
    save_model(tmp_path / "m", fitted)

    def refuse(*args, **kwargs):
        raise AssertionError("load_model must not unpickle")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    loaded, _ = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(data[0]),
                                  fitted.predict_proba(data[0]))


def test_save_into_existing_directory_replaces_the_model(tmp_path, fitted, data):
    X, y = data
    other = SparseMLPClassifier((3,), max_epochs=2, random_state=5).fit(X, y)
    save_model(tmp_path / "m", other)
    save_model(tmp_path / "m", fitted)
    loaded, _ = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [METADATA_FILE,
                                                                   WEIGHTS_FILE]


# --------------------------------------------------------------------------- errors
def test_save_refuses_unfitted_and_unsaveable_estimators(tmp_path, data):
    with pytest.raises(ValueError, match="not fitted"):
        save_model(tmp_path / "m", SparseMLPClassifier())
    est = SparseMLPClassifier((2,), max_epochs=1,
                              random_state=np.random.RandomState(0)).fit(*data)
    with pytest.raises(ValueError, match="random_state"):
        save_model(tmp_path / "m", est)
    with pytest.raises(ValueError, match="riata estimators"):
        save_model(tmp_path / "m", object())
    assert not (tmp_path / "m").exists()


def test_load_missing_directory_or_file(tmp_path, fitted):
    with pytest.raises(DataError, match="does not exist"):
        load_model(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=METADATA_FILE):
        load_model(tmp_path / "empty")
    save_model(tmp_path / "m", fitted)
    (tmp_path / "m" / WEIGHTS_FILE).unlink()
    with pytest.raises(DataError, match=WEIGHTS_FILE):
        load_model(tmp_path / "m")


def test_load_malformed_json_names_the_file(tmp_path, fitted):
    save_model(tmp_path / "m", fitted)
    (tmp_path / "m" / METADATA_FILE).write_text("{not json")
    with pytest.raises(DataError, match=r"model\.json.*not valid JSON"):
        load_model(tmp_path / "m")


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(format="other"), "not a riata model file"),
    (lambda d: d.update(schema_version=SCHEMA_VERSION + 1), "newer than"),
    (lambda d: d.update(schema_version="1"), "invalid schema_version"),
    (lambda d: d.pop("estimator"), "lacks the 'estimator' section"),
    (lambda d: d["estimator"].update({"class": "os.system"}), "estimator class"),
    (lambda d: d["estimator"]["params"]["penalty"].update({"class": "Popen"}),
     "names the class 'Popen'"),
    (lambda d: d["estimator"]["params"].update(bogus=1), r"no parameter\(s\) \['bogus'\]"),
    (lambda d: d["estimator"]["params"].update(max_epochs=-3), "max_epochs"),
    (lambda d: d["estimator"]["fitted"].update(n_features_in_=7), "tensor"),
    (lambda d: d["estimator"]["fitted"].pop("classes_"), "classes_"),
    (lambda d: d["weights"].update(sha256="0" * 64), "SHA-256"),
])
def test_load_checks_the_schema(tmp_path, fitted, change, message):
    save_model(tmp_path / "m", fitted)
    _edit_json(tmp_path / "m", change)
    with pytest.raises(DataError, match=message) as info:
        load_model(tmp_path / "m")
    assert str(tmp_path / "m") in str(info.value)


def test_load_rejects_a_corrupt_weights_file(tmp_path, fitted):
    import hashlib

    save_model(tmp_path / "m", fitted)
    weights = tmp_path / "m" / WEIGHTS_FILE
    weights.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00garbage")
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    _edit_json(tmp_path / "m", lambda d: d["weights"].update(sha256=digest))
    with pytest.raises(DataError, match="not a readable safetensors file"):
        load_model(tmp_path / "m")


def test_load_warns_when_riata_version_differs(tmp_path, fitted, data):
    save_model(tmp_path / "m", fitted)
    _edit_json(tmp_path / "m", lambda d: d["versions"].update(riata="0.0.1"))
    with pytest.warns(ModelVersionWarning, match="0.0.1"):
        loaded, _ = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(data[0]), fitted.predict(data[0]))


def test_same_version_loads_without_warning(tmp_path, fitted):
    save_model(tmp_path / "m", fitted)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(tmp_path / "m")


def test_l1_penalty_and_no_penalty_round_trip(tmp_path, data):
    X, y = data
    for penalty in (None, L1(alpha=0.02, penalty_factor=[0, 1, 1, 1, 1, 1])):
        est = SparseMLPClassifier((4,), penalty=penalty, max_epochs=3,
                                  random_state=1).fit(X, y)
        save_model(tmp_path / "m", est)
        loaded, _ = load_model(tmp_path / "m")
        np.testing.assert_array_equal(loaded.decision_function(X),
                                      est.decision_function(X))


# ------------------------------------------------------- damaged or foreign files
def _rehash(directory: Path) -> None:
    import hashlib

    digest = hashlib.sha256((directory / WEIGHTS_FILE).read_bytes()).hexdigest()
    _edit_json(directory, lambda d: d["weights"].update(sha256=digest))


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused_at_save_and_at_load(tmp_path, fitted, value):
    from safetensors.torch import load_file, save_file

    save_model(tmp_path / "m", fitted)
    weights = tmp_path / "m" / WEIGHTS_FILE
    tensors = load_file(str(weights))
    tensors["input_layer.bias"][0] = value
    save_file(tensors, str(weights))
    _rehash(tmp_path / "m")
    with pytest.raises(DataError, match=r"the weights \['input_layer.bias'\] hold NaN "
                                        r"or infinite values"):
        load_model(tmp_path / "m")
    with torch.no_grad():
        fitted.model_.input_layer.bias[0] = value
    with pytest.raises(ValueError, match="a diverged fit cannot be saved"):
        save_model(tmp_path / "m2", fitted)
    assert not (tmp_path / "m2").exists()


def test_model_files_linked_from_outside_are_refused(tmp_path, fitted):
    import shutil

    save_model(tmp_path / "m", fitted)
    for name in (WEIGHTS_FILE, METADATA_FILE):
        shutil.copytree(tmp_path / "m", tmp_path / "copy", dirs_exist_ok=True)
        (tmp_path / "copy" / name).unlink()
        (tmp_path / "copy" / name).symlink_to(tmp_path / "m" / name)
        with pytest.raises(DataError, match=rf"{name}' is a link to .* outside the "
                                            "model directory"):
            load_model(tmp_path / "copy")
        shutil.rmtree(tmp_path / "copy")


def test_json_nested_beyond_the_recursion_limit_is_refused(tmp_path, fitted):
    save_model(tmp_path / "m", fitted)
    deep = "[" * 5000 + "]" * 5000
    text = (tmp_path / "m" / METADATA_FILE).read_text()
    (tmp_path / "m" / METADATA_FILE).write_text(text.replace('"metadata": null',
                                                             f'"metadata": {deep}'))
    with pytest.raises(DataError, match="too deeply"):
        load_model(tmp_path / "m")


@pytest.mark.parametrize("key, value, message", [
    ("scale", 0.0, r"genotypes.scale of SNP 'rs1' is 0.0"),
    ("scale", -1.0, r"genotypes.scale of SNP 'rs1' is -1.0"),
    ("mean", "inf", r"genotypes.mean of SNP 'rs1' is inf"),
])
def test_genotype_statistics_must_be_usable(tmp_path, fitted, key, value, message):
    stats = {"snp_names": ["rs1", "rs2"], "mean": [1.0, 0.5], "scale": [0.7, 0.5]}
    save_model(tmp_path / "m", fitted, genotype_stats=stats)
    _edit_json(tmp_path / "m", lambda d: d["genotypes"][key].__setitem__(0, value))
    with pytest.raises(DataError, match=message):
        load_model(tmp_path / "m")


def test_repeated_snp_names_in_a_model_are_refused(tmp_path, fitted):
    stats = {"snp_names": ["rs1", "rs2"], "mean": [1.0, 0.5], "scale": [0.7, 0.5]}
    save_model(tmp_path / "m", fitted, genotype_stats=stats)
    _edit_json(tmp_path / "m", lambda d: d["genotypes"]["snp_names"].__setitem__(1,
                                                                                 "rs1"))
    with pytest.raises(DataError, match=r"snp_names repeats \['rs1'\]"):
        load_model(tmp_path / "m")


@pytest.mark.parametrize("key, value", [("scale", 0.0), ("scale", "abc"),
                                        ("mean", None), ("fill", float("nan"))])
def test_encoder_statistics_must_be_usable(tmp_path, fitted, key, value):
    frame = pd.DataFrame({"age": [50.0, 61.0, 47.0], "sex": pd.Categorical(
        ["F", "M", "F"])})
    encoder = ClinicalEncoder().fit(frame)
    save_model(tmp_path / "m", fitted, clinical_encoder=encoder)

    def change(document):
        spec = document["clinical_encoder"]["columns"][0]
        spec[key] = value

    path = tmp_path / "m" / METADATA_FILE
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))  # NaN is written as JSON's NaN token
    with pytest.raises(DataError, match=rf"column 'age' has {key} .*; it must be a "
                                        "finite number"):
        load_model(tmp_path / "m")


def test_save_into_a_directory_leaves_no_temporary(tmp_path, fitted):
    save_model(tmp_path / "m", fitted)
    save_model(tmp_path / "m", fitted)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["m", METADATA_FILE,
                                                           WEIGHTS_FILE]

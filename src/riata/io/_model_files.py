"""Saving and loading fitted riata models: safetensors weights plus JSON metadata.

A saved model is a directory with two files:

``model.safetensors``
    Every tensor of the network's ``state_dict``, under its ``state_dict`` name
    (``input_layer.weight``, ``encoder.weight``, ``body.1.bias`` ...), contiguous and
    on the CPU. safetensors stores raw tensor bytes and a JSON header; reading it
    executes nothing.
``model.json``
    Everything else, as plain JSON: the schema version, the package versions, the
    estimator class and its constructor parameters (penalties as
    ``{"class": name, "params": {...}}``), the fitted attributes that are not weights
    (``classes_``, ``n_features_in_``, the training history ...), the names of the
    inputs and of the first-layer rows, the penalty groups, the clinical encoder's
    statistics, the genotype mean and scale, the SHA-256 of the weights file and the
    caller's training metadata.

Nothing is ever unpickled: the estimator and its penalties are rebuilt from a
whitelist of riata classes, and any other class name is refused.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import os
import platform
import warnings
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from .. import __version__
from .._files import atomic_directory, atomic_write, atomic_write_text, is_inside
from ..data import ClinicalEncoder, DataError
from ..estimators import ESTIMATORS, GenotypeEncoder
from ..penalties import CONSTRAINED_PENALTIES, PENALTIES, Penalty

__all__ = [
    "save_model",
    "load_model",
    "ModelVersionWarning",
    "SCHEMA",
    "SCHEMA_VERSION",
    "WEIGHTS_FILE",
    "METADATA_FILE",
]

#: ``format`` field of ``model.json``.
SCHEMA = "riata.model"
#: Version of the ``model.json`` layout this riata writes (it reads 1 and 2).
#: 2: the genotype encoder is one parameter (a ``GenotypeEncoder``), and the fitted
#: state is the estimator's own ``fitted_state()``.
SCHEMA_VERSION = 2
WEIGHTS_FILE = "model.safetensors"
METADATA_FILE = "model.json"

# Constructor parameters that hold a riata component (a penalty or an encoder), and
# the classes rebuilt there: a whitelist, so that no other class is ever instantiated.
_COMPONENT_PARAMS = ("penalty", "encoder")
_COMPONENTS = {cls.__name__: cls for cls in (*PENALTIES, *CONSTRAINED_PENALTIES,
                                               GenotypeEncoder)}
_GENOTYPE_ARRAYS = {"mean": np.float64, "scale": np.float64}
_GENOTYPE_TEXT = ("snp_names", "allele_1", "allele_2", "chromosome")


class ModelVersionWarning(UserWarning):
    """A saved model was written by another riata version; it loaded, but check it."""


# ----------------------------------------------------------------------- JSON codec
def _encode(value, where: str):
    """A parameter or attribute as JSON data, tagged where JSON would lose its type.

    Tuples, numpy arrays and non-finite floats get tags (``{"__tuple__": [...]}``,
    ``{"__ndarray__": [...], "dtype": "float64", "shape": [3]}``,
    ``{"__float__": "nan"}``) so that the round trip is exact; a riata penalty is
    ``{"class": name, "params": {...}}``. Anything else is refused: nothing is
    pickled.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, (Penalty, GenotypeEncoder)):
        params = value.get_params(deep=False)
        return {"class": type(value).__name__,
                "params": {k: _encode(v, f"{where}.{k}") for k, v in params.items()}}
    if isinstance(value, np.ndarray):
        kind = value.dtype.kind
        items = value.ravel().tolist()
        if kind == "f":
            items = [v if math.isfinite(v) else repr(v) for v in items]
            dtype = str(value.dtype)
        elif kind in "biu":
            dtype = str(value.dtype)
        elif kind in "USO":
            if not all(isinstance(v, (str, int, float, bool)) for v in items):
                raise TypeError(f"{where}: an object array holds values that are not "
                                "text or numbers; it cannot be saved without pickle.")
            items = [_encode(v, where) for v in items]
            dtype = "object" if kind == "O" else "str"
        else:
            raise TypeError(f"{where}: arrays of dtype {value.dtype} cannot be saved.")
        return {"__ndarray__": items, "dtype": dtype, "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, where) for v in value]}
    if isinstance(value, list):
        return [_encode(v, where) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"{where}: only dicts with text keys can be saved.")
        return {k: _encode(v, f"{where}.{k}") for k, v in value.items()}
    raise TypeError(f"{where}: a value of type {type(value).__name__} cannot be saved "
                    "as JSON (riata never pickles); use plain numbers, text, lists or "
                    "numpy arrays.")


def _decode(value, where: str, source: Path, *, penalty: bool = False):
    """Inverse of :func:`_encode`.

    A ``{"class", "params"}`` object is rebuilt as a component only where ``penalty``
    is True (the estimator's penalty and encoder parameters, and a component's own
    penalty), and only for riata's own classes.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(v, where, source) for v in value]
    if not isinstance(value, dict):  # pragma: no cover - json yields no other type
        raise DataError(f"Model file '{source}': {where} holds an unexpected "
                        f"{type(value).__name__}.")
    keys = set(value)
    try:
        if keys == {"__float__"}:
            return float(value["__float__"])
        if keys == {"__tuple__"}:
            return tuple(_decode(v, where, source) for v in value["__tuple__"])
        if keys == {"__ndarray__", "dtype", "shape"}:
            return _decode_array(value, where, source)
    except (TypeError, ValueError) as err:
        if isinstance(err, DataError):
            raise
        raise DataError(f"Model file '{source}': {where} is malformed ({err}).") from err
    if penalty and keys == {"class", "params"}:
        return _decode_penalty(value, where, source)
    return {k: _decode(v, f"{where}.{k}", source) for k, v in value.items()}


def _decode_array(value: dict, where: str, source: Path) -> np.ndarray:
    dtype, items = value["dtype"], value["__ndarray__"]
    if not isinstance(items, list):
        raise TypeError("the values must be a list")
    if dtype in ("object", "str"):
        array = np.array([_decode(v, where, source) for v in items],
                         dtype=object if dtype == "object" else str)
    else:
        np_dtype = np.dtype(dtype)
        if np_dtype.kind not in "biuf":
            raise TypeError(f"dtype {dtype} is not one riata writes")
        array = np.array([float(v) if isinstance(v, str) else v for v in items],
                         dtype=np_dtype)
    return array.reshape([int(s) for s in value["shape"]])


def _decode_penalty(value: dict, where: str, source: Path):
    classes = _COMPONENTS
    name = value["class"]
    if name not in classes:
        raise DataError(f"Model file '{source}': {where} names the class {name!r}; "
                        f"riata rebuilds only its own components {sorted(classes)}.")
    params = value["params"]
    if not isinstance(params, dict):
        raise DataError(f"Model file '{source}': {where}.params must be an object.")
    decoded = {k: _decode(v, f"{where}.{k}", source, penalty=k in _COMPONENT_PARAMS)
               for k, v in params.items()}
    try:
        return classes[name](**decoded)
    except (TypeError, ValueError) as err:
        raise DataError(f"Model file '{source}': {where} ({name}) has invalid "
                        f"parameters: {err}") from err


# ----------------------------------------------------------------------------- save
def _versions() -> dict:
    def version(package):
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {"riata": __version__, "torch": version("torch"), "numpy": np.__version__,
            "scikit-learn": version("scikit-learn"),
            "safetensors": version("safetensors"), "python": platform.python_version()}


def _estimator_classes() -> dict:
    return {cls.__name__: cls for cls in ESTIMATORS}


def _genotype_section(stats) -> dict | None:
    if stats is None:
        return None
    if not isinstance(stats, dict) or "snp_names" not in stats:
        raise ValueError("genotype_stats must be a dict with at least 'snp_names', "
                         "'mean' and 'scale'.")
    names = np.asarray(stats["snp_names"], dtype=str)
    out = {"snp_names": names.tolist()}
    for key, dtype in _GENOTYPE_ARRAYS.items():
        array = np.asarray(stats[key], dtype=dtype)
        if array.shape != names.shape:
            raise ValueError(f"genotype_stats['{key}'] has shape {array.shape}; "
                             f"expected one value per SNP, {names.shape}.")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"genotype_stats['{key}'] has non-finite values.")
        out[key] = array.tolist()
    for key in _GENOTYPE_TEXT[1:]:
        if stats.get(key) is not None:
            out[key] = np.asarray(stats[key], dtype=str).tolist()
    return out


def save_model(directory, estimator, *, clinical_encoder=None, genotype_stats=None,
               metadata=None) -> Path:
    """Save a fitted riata estimator and its preprocessing to a directory.

    Writes ``model.safetensors`` (the network's tensors by ``state_dict`` name) and
    ``model.json`` (see the module docstring). A new directory is written under a
    temporary name beside it and renamed into place; into an existing directory the
    files are written under temporary names and moved over the old ones with
    :func:`os.replace`, ``model.json`` last. ``model.json`` records the SHA-256 of the
    weights, so a reader can never pair weights and metadata from different saves.
    Weights that are not finite (NaN or infinite) are refused.

    Parameters
    ----------
    directory : str or path-like
        Destination directory (created if needed).
    estimator : SparseMLPClassifier or SparseMLPRegressor
        A fitted estimator.
    clinical_encoder : riata.data.ClinicalEncoder, default=None
        The fitted encoder of the clinical columns (saved with ``to_dict``).
    genotype_stats : dict, default=None
        ``snp_names``, ``mean`` and ``scale`` (one per SNP, from the training split),
        optionally ``allele_1`` (the counted allele), ``allele_2`` and ``chromosome``.
    metadata : dict, default=None
        Anything JSON can hold (training configuration, column names ...), stored
        as is under ``"metadata"``.

    Returns
    -------
    pathlib.Path
        The directory.

    Raises
    ------
    ValueError
        If the estimator is not a fitted riata estimator, or a value cannot be
        stored without pickle.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from riata import SparseMLPClassifier
    >>> X = np.random.default_rng(0).normal(size=(60, 3)); y = (X[:, 0] > 0).astype(int)
    >>> clf = SparseMLPClassifier((4,), max_epochs=3, random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = save_model(tmp + "/m", clf)
    ...     clone, extras = load_model(tmp + "/m")
    >>> bool(np.array_equal(clone.predict_proba(X), clf.predict_proba(X)))
    True
    """
    # Exact classes only: load_model rebuilds these and nothing else.
    if type(estimator) not in ESTIMATORS:
        raise ValueError(f"save_model saves riata estimators "
                         f"({sorted(_estimator_classes())}); got "
                         f"{type(estimator).__name__}.")
    if not hasattr(estimator, "model_"):
        raise ValueError(f"This {type(estimator).__name__} is not fitted yet; call fit "
                         "before save_model.")
    if estimator.random_state is not None and not isinstance(
            estimator.random_state, (int, np.integer)):
        raise ValueError("save_model needs random_state to be an int or None (a "
                         "RandomState instance cannot be saved without pickle).")
    if clinical_encoder is not None and not isinstance(clinical_encoder, ClinicalEncoder):
        raise ValueError("clinical_encoder must be a fitted riata.data.ClinicalEncoder.")
    try:
        params = {k: _encode(v, f"params.{k}")
                  for k, v in estimator.get_params(deep=False).items()}
        fitted = {k: _encode(v, k) for k, v in estimator.fitted_state().items()}
        meta = None if metadata is None else _encode(dict(metadata), "metadata")
    except TypeError as err:
        raise ValueError(str(err)) from err
    tensors = {name: t.detach().to("cpu").contiguous().clone()
               for name, t in estimator.model_.state_dict().items()}
    bad = _non_finite(tensors)
    if bad:
        raise ValueError(f"The estimator's weights {bad} hold NaN or infinite values; "
                         "a diverged fit cannot be saved.")
    document = {
        "format": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "versions": _versions(),
        "estimator": {"class": type(estimator).__name__, "params": params,
                      "fitted": fitted},
        "weights": {"file": WEIGHTS_FILE, "sha256": None,
                    "tensors": {k: {"dtype": str(v.dtype).removeprefix("torch."),
                                    "shape": list(v.shape)} for k, v in tensors.items()}},
        "first_layer_feature_names": [str(n) for n in
                                      estimator.first_layer_feature_names_],
        # Group of each first-layer row, as the penalty has it (None: one per row).
        "groups": _encode(getattr(estimator.penalty, "groups", None), "groups"),
        "clinical_encoder": (None if clinical_encoder is None
                             else clinical_encoder.to_dict()),
        "genotypes": _genotype_section(genotype_stats),
        "metadata": meta,
    }
    directory = Path(os.fspath(directory))
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"Cannot save a model to '{directory}': it exists and is not "
                         "a directory.")
    weights = save(tensors, metadata={"format": SCHEMA})
    document["weights"]["sha256"] = hashlib.sha256(weights).hexdigest()
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    if directory.exists():
        # Into an existing directory: each file replaced atomically, model.json last
        # (it names the weights' hash, so a reader never pairs files of two saves).
        atomic_write(directory / WEIGHTS_FILE, lambda handle: handle.write(weights))
        atomic_write_text(directory / METADATA_FILE, text)
    else:
        with atomic_directory(directory) as stage:
            stage.mkdir()
            atomic_write(stage / WEIGHTS_FILE, lambda handle: handle.write(weights))
            atomic_write_text(stage / METADATA_FILE, text)
    return directory


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- load
def _read_document(directory: Path) -> tuple[dict, Path]:
    if not directory.exists():
        raise DataError(f"Model directory '{directory}' does not exist (working "
                        f"directory: '{os.getcwd()}').")
    if not directory.is_dir():
        raise DataError(f"Model path '{directory}' is not a directory; pass the "
                        f"directory that holds {METADATA_FILE} and {WEIGHTS_FILE}.")
    path = directory / METADATA_FILE
    if not path.is_file():
        raise DataError(f"Model directory '{directory}' has no {METADATA_FILE}; it is "
                        "not a saved riata model (or the save did not finish).")
    _refuse_outside_link(path, directory)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"Model file '{path}' is not valid JSON: {err}.") from err
    except RecursionError as err:
        raise DataError(f"Model file '{path}' nests its JSON too deeply to be a riata "
                        "model file; save the model again.") from err
    if not isinstance(document, dict) or document.get("format") != SCHEMA:
        raise DataError(f"Model file '{path}' is not a riata model file (expected "
                        f"\"format\": \"{SCHEMA}\").")
    version = document.get("schema_version")
    if not isinstance(version, int) or version < 1:
        raise DataError(f"Model file '{path}' has an invalid schema_version "
                        f"{version!r}.")
    if version > SCHEMA_VERSION:
        raise DataError(f"Model file '{path}' has schema version {version}, newer than "
                        f"this riata reads ({SCHEMA_VERSION}); upgrade riata.")
    for key, kind in (("estimator", dict), ("weights", dict), ("versions", dict),
                      ("first_layer_feature_names", list)):
        if not isinstance(document.get(key), kind):
            raise DataError(f"Model file '{path}' lacks the '{key}' section (expected "
                            f"a JSON {'object' if kind is dict else 'array'}).")
    return document, path


def _refuse_outside_link(path: Path, directory: Path) -> None:
    """Refuse a model file that is a link to somewhere outside its directory.

    The SHA-256 in model.json cannot vouch for such a file: whoever can place the
    link can place the hash beside it. A model directory is self-contained.
    """
    if path.is_symlink() and not is_inside(path, directory):
        raise DataError(f"Model file '{path}' is a link to '{os.path.realpath(path)}', "
                        f"outside the model directory '{directory}'; riata reads only "
                        "files inside it. Copy the file into the directory instead.")


def _non_finite(tensors: dict) -> list:
    return [name for name, t in tensors.items()
            if t.is_floating_point() and not bool(t.isfinite().all())]


def _load_tensors(directory: Path, document: dict, json_path: Path) -> dict:
    path = directory / WEIGHTS_FILE
    if not path.is_file():
        raise DataError(f"Model directory '{directory}' has no {WEIGHTS_FILE}.")
    _refuse_outside_link(path, directory)
    expected = document["weights"].get("sha256")
    if expected != _sha256(path):
        raise DataError(f"Model file '{path}' does not match {json_path.name} (SHA-256 "
                        "differs): the weights were changed or come from another "
                        "save. Save the model again.")
    try:
        tensors = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise DataError(f"Model file '{path}' is not a readable safetensors file: "
                        f"{err}.") from err
    bad = _non_finite(tensors)
    if bad:
        raise DataError(f"Model file '{path}': the weights {bad} hold NaN or infinite "
                        "values, so every prediction would be NaN. The model diverged "
                        "or the file was altered; fit and save it again.")
    return tensors


def load_model(directory):
    """Load a model saved by :func:`save_model`, without unpickling anything.

    Checks the schema version (a newer one is refused), the SHA-256 of the weights,
    the estimator and penalty classes (only riata's own are rebuilt) and every
    tensor's name, shape and dtype; warns with :class:`ModelVersionWarning` when the
    model was saved by another riata version.

    Parameters
    ----------
    directory : str or path-like
        The directory written by :func:`save_model`.

    Returns
    -------
    estimator : SparseMLPClassifier or SparseMLPRegressor
        Fitted, in eval mode; predictions equal those of the saved estimator.
    extras : dict
        ``clinical_encoder`` (a fitted :class:`~riata.data.ClinicalEncoder` or None),
        ``genotype_stats`` (dict with ``snp_names``, ``mean``, ``scale`` as arrays,
        and the alleles when saved, or None), ``metadata`` (the dict given to
        :func:`save_model`), ``first_layer_feature_names``, ``groups``, ``versions``
        and ``path`` (the ``model.json`` read).

    Raises
    ------
    DataError
        If a file is missing or malformed, the schema is unknown or newer, the
        weights do not match the metadata, or a class is not riata's. The message
        names the file.
    """
    directory = Path(os.fspath(directory))
    try:
        return _load(directory)
    except RecursionError as err:
        raise DataError(f"Model file '{directory / METADATA_FILE}' nests its values too "
                        "deeply to be a riata model file; save the model again."
                        ) from err


def _load(directory: Path):
    document, json_path = _read_document(directory)
    saved_versions = document["versions"]
    if saved_versions.get("riata") != __version__:
        warnings.warn(f"Model file '{json_path}' was saved by riata "
                      f"{saved_versions.get('riata')}; this is riata {__version__}. "
                      "Check its predictions, or fit and save it again.",
                      ModelVersionWarning, stacklevel=2)
    saved_schema = document["schema_version"]
    section = document["estimator"]
    classes = _estimator_classes()
    name = section.get("class")
    if name not in classes:
        raise DataError(f"Model file '{json_path}' names the estimator class {name!r}; "
                        f"riata rebuilds only {sorted(classes)}.")
    cls = classes[name]
    params = section.get("params")
    fitted = section.get("fitted")
    if not isinstance(params, dict) or not isinstance(fitted, dict):
        raise DataError(f"Model file '{json_path}': estimator.params and "
                        "estimator.fitted must be JSON objects.")
    if saved_schema == 1:
        params, fitted = _from_schema_1(params, fitted)
    accepted = set(cls().get_params(deep=False))
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise DataError(f"Model file '{json_path}': {name} has no parameter(s) "
                        f"{unknown}; it accepts {sorted(accepted)}.")
    decoded = {k: _decode(v, f"estimator.params.{k}", json_path,
                          penalty=k in _COMPONENT_PARAMS) for k, v in params.items()}
    for key, kind in (("penalty", Penalty), ("encoder", GenotypeEncoder)):
        if decoded.get(key) is not None and not isinstance(decoded[key], kind):
            raise DataError(f"Model file '{json_path}': estimator.params.{key} must be "
                            f"a riata {kind.__name__} or null.")
    estimator = cls(**decoded)
    state = {k: _decode(v, f"estimator.fitted.{k}", json_path) for k, v in fitted.items()}
    tensors = _load_tensors(directory, document, json_path)
    try:
        estimator.restore(state, tensors)
    except ValueError as err:
        raise DataError(f"Model file '{json_path}': the estimator cannot be rebuilt "
                        f"from its parameters, fitted state and weights "
                        f"({directory / WEIGHTS_FILE}): {err}") from err

    extras = {
        "clinical_encoder": None, "genotype_stats": None,
        "metadata": None, "groups": None, "path": json_path,
        "first_layer_feature_names": [str(n) for n in
                                      document["first_layer_feature_names"]],
        "versions": dict(saved_versions),
    }
    if document.get("groups") is not None:
        extras["groups"] = _decode(document["groups"], "groups", json_path)
    if document.get("metadata") is not None:
        extras["metadata"] = _decode(document["metadata"], "metadata", json_path)
    if document.get("clinical_encoder") is not None:
        try:
            extras["clinical_encoder"] = ClinicalEncoder.from_dict(
                document["clinical_encoder"])
        except (DataError, KeyError, TypeError, ValueError, AttributeError) as err:
            raise DataError(f"Model file '{json_path}': the clinical encoder cannot be "
                            f"rebuilt: {err}") from err
    if document.get("genotypes") is not None:
        extras["genotype_stats"] = _read_genotype_section(document["genotypes"],
                                                          json_path)
    return estimator, extras


def _from_schema_1(params: dict, fitted: dict) -> tuple[dict, dict]:
    """A schema-1 model's parameters and fitted state in schema 2's terms.

    Schema 1 spelled the encoder as four flags (``n_encoded_features``,
    ``encoder_dim``, ``encoder_penalty``, ``encoder_kernel``) and kept two private
    attributes of a regressor.
    """
    params = dict(params)
    n_encoded = params.pop("n_encoded_features", 0)
    dim = params.pop("encoder_dim", 20)
    penalty = params.pop("encoder_penalty", None)
    kernel = params.pop("encoder_kernel", None)
    if n_encoded:
        params["encoder"] = {"class": "GenotypeEncoder", "params": {
            "n_features": None if kernel else n_encoded, "dim": dim, "penalty": penalty,
            "kernel": kernel}}
    fitted = dict(fitted)
    fitted["n_encoded"] = n_encoded
    renamed = {"_n_targets": "n_targets", "_y_ndim": "target_ndim"}
    for old, new in renamed.items():
        if old in fitted:
            fitted[new] = fitted.pop(old)
    return params, fitted


def _read_genotype_section(section, json_path: Path) -> dict:
    if not isinstance(section, dict) or "snp_names" not in section:
        raise DataError(f"Model file '{json_path}': the genotypes section needs "
                        "snp_names, mean and scale.")
    names = np.asarray(section["snp_names"], dtype=str)
    out = {"snp_names": names}
    repeated = sorted({n for n in names.tolist() if (names == n).sum() > 1})
    if repeated:
        raise DataError(f"Model file '{json_path}': genotypes.snp_names repeats "
                        f"{repeated[:5]}; each SNP must have its own name.")
    for key, dtype in _GENOTYPE_ARRAYS.items():
        try:
            array = np.asarray(section[key], dtype=dtype)
        except (KeyError, TypeError, ValueError) as err:
            raise DataError(f"Model file '{json_path}': genotypes.{key} is missing or "
                            "not a list of numbers.") from err
        if array.shape != names.shape:
            raise DataError(f"Model file '{json_path}': genotypes.{key} has "
                            f"{array.size} values for {names.size} SNPs.")
        invalid = ~np.isfinite(array) if key == "mean" else ~(np.isfinite(array)
                                                               & (array > 0))
        if invalid.any():
            j = int(np.flatnonzero(invalid)[0])
            raise DataError(f"Model file '{json_path}': genotypes.{key} of SNP "
                            f"{str(names[j])!r} is {float(array[j])!r}; a {key} must be "
                            "a finite "
                            + ("number." if key == "mean" else "number above 0 (it "
                               "divides). Save the model again."))
        out[key] = array
    for key in _GENOTYPE_TEXT[1:]:
        if section.get(key) is not None:
            out[key] = np.asarray(section[key], dtype=str)
    return out

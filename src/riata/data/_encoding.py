"""Encoding clinical columns for a network: one-hot groups and standardization."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ._errors import DataError, DataWarning, examples_of

__all__ = ["ClinicalEncoder"]

_FORMAT = "riata.data.ClinicalEncoder"
_VERSION = 1


def _format_level(level) -> str:
    # repr(1.0) == "1.0": the spelling pandas.get_dummies gives a float column, and the
    # one the original study's heat maps show (SEX_1.0, EDUC_4.0).
    return repr(level) if isinstance(level, float) else str(level)


def _level_sort_key(level):
    return (0, level, "") if isinstance(level, float) else (1, 0.0, str(level))


def _normalize_level(value):
    """One spelling per category: numbers as float, everything else as text."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return str(value)


def _category_keys(series: pd.Series) -> np.ndarray:
    """Normalized category of each cell (object array), ``None`` where missing."""
    codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    normalized = np.array([_normalize_level(u) for u in uniques] + [None], dtype=object)
    return normalized[codes]  # code -1 picks the trailing None


def _median(values: np.ndarray) -> float:
    """Median that cannot overflow: halves are added, not the two middle values."""
    ordered = np.sort(values)
    low, high = ordered[(ordered.size - 1) // 2], ordered[ordered.size // 2]
    return float(low / 2 + high / 2)


class ClinicalEncoder(TransformerMixin, BaseEstimator):
    """One-hot encode categorical and standardize numeric clinical columns.

    Each original variable becomes one *group* of output columns, so that a group
    lasso on the first layer keeps or drops a whole variable:

    - a numeric column ``c`` gives ``(x - mean) / sd`` with the training mean and
      standard deviation (``ddof=0``; ``sd`` is replaced by 1 when it is 0);
    - a categorical column ``c`` gives one 0/1 column ``c_level`` per training level,
      with **all** levels kept (no reference level is dropped: the group penalty
      selects the categorical as a whole, and dropping a level would make the choice
      of reference change the penalty). Numeric levels are spelled as floats,
      ``SEX_1.0``, as ``pandas.get_dummies`` names them;
    - with ``missing="indicator"``, a variable with missing training values also gets
      a 0/1 column ``c_missing`` in the same group.

    One-hot columns are left as 0/1, not standardized. A standardized dummy is
    ``1 / sqrt(p (1 - p))`` for a level of prevalence ``p``, so rare levels would get
    large inputs and the penalty would shrink them less; 0/1 keeps each weight the
    effect of being in that level and keeps an all-zero row meaning "no known level"
    (the encoding of an unseen category). Group sizes differ between variables; the
    group lasso's ``sqrt(p_g)`` weights account for that.

    Every statistic is learned in :meth:`fit`, which must see the training rows only;
    :meth:`transform` applies them unchanged to validation and test rows.

    Parameters
    ----------
    categorical : list of str, default=None
        Columns to encode as categorical whatever their dtype. Otherwise a column is
        numeric when its dtype is numeric (not bool) and categorical when it is
        ``category``, ``object``, string or bool, as :func:`read_clinical` leaves them.
    missing : {"impute", "indicator", "error"}, default="impute"
        - ``"impute"``: a missing numeric value becomes the training median, a missing
          category the training mode (most frequent level; ties go to the first level
          in sorted order); both before standardization / encoding;
        - ``"indicator"``: as ``"impute"`` for numeric values, plus a ``c_missing``
          column; a missing category sets ``c_missing`` = 1 and leaves its level
          columns at 0 (missing acts as a level). Indicators are added for variables
          with missing training values (as scikit-learn's ``MissingIndicator``);
          a variable without one is imputed at transform time;
        - ``"error"``: a missing value raises :class:`DataError` naming the column and
          the count, at fit and at transform.

    Attributes
    ----------
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
    n_features_in_ : int
    feature_names_out_ : ndarray of str, shape (n_features_out,)
    feature_groups_ : ndarray of int, shape (n_features_out,)
        Group label of each output column: the position of its original variable in
        ``feature_names_in_``.
    group_names_ : ndarray of str, shape (n_features_in_,)
        The original variable of each group.
    columns_ : list of dict
        Per input column, the learned statistics (``kind``, ``mean``, ``scale``,
        ``fill``, ``levels``, ``indicator``); see :meth:`to_dict`.

    Notes
    -----
    A category not seen in training encodes as an all-zero row of that variable's
    level columns, with a :class:`DataWarning` giving the column and the values.
    Columns of ``X`` that were not seen in ``fit`` are ignored at transform time;
    missing ones raise :class:`DataError`.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"SEX": pd.Categorical([1.0, 2.0, 1.0]),
    ...                       "AGE": [40.0, 50.0, 60.0]})
    >>> encoder = ClinicalEncoder().fit(train)
    >>> encoder.get_feature_names_out().tolist()
    ['SEX_1.0', 'SEX_2.0', 'AGE']
    >>> encoder.feature_groups_.tolist()
    [0, 0, 1]
    >>> encoder.transform(pd.DataFrame({"SEX": [2.0], "AGE": [50.0]})).tolist()
    [[0.0, 1.0, 0.0]]
    """

    _parameter_constraints: dict = {
        "categorical": ["array-like", None],
        "missing": [StrOptions({"impute", "indicator", "error"})],
    }

    def __init__(self, *, categorical=None, missing: str = "impute"):
        self.categorical = categorical
        self.missing = missing

    # ------------------------------------------------------------------------- fit
    def fit(self, X, y=None):
        """Learn levels, fill values, means and scales from the training rows.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            Training rows only; the index (sample ids) appears in messages.
        y : ignored

        Returns
        -------
        self : ClinicalEncoder
        """
        self._validate_params()
        X = self._check_frame(X)
        if X.shape[0] == 0:
            raise DataError("ClinicalEncoder.fit got no rows.")
        names = [str(c) for c in X.columns]
        forced = [] if self.categorical is None else [str(c) for c in self.categorical]
        unknown = sorted(set(forced) - set(names))
        if unknown:
            raise DataError(f"categorical= names column(s) {unknown} that are not in "
                            f"the data; available: {names}.")
        columns = []
        for name, column in zip(names, X.columns):
            series = X[column]
            numeric = (name not in forced
                       and pd.api.types.is_numeric_dtype(series.dtype)
                       and not pd.api.types.is_bool_dtype(series.dtype))
            spec = (self._fit_numeric(name, series) if numeric
                    else self._fit_categorical(name, series))
            columns.append(spec)
        self._set_outputs(columns, names)
        return self

    def _check_missing(self, name, missing, index, stage):
        if self.missing == "error" and missing.any():
            raise DataError(
                f"Column '{name}' has {int(missing.sum())} missing value(s) at {stage} "
                f"(e.g. sample(s) {examples_of(index[missing])}) and "
                "missing='error'. Fill them in, or use missing='impute' or 'indicator'."
            )

    def _fit_numeric(self, name, series) -> dict:
        values = self._numbers(name, series)
        missing = np.isnan(values)
        self._check_missing(name, missing, series.index, "fit")
        observed = values[~missing]
        if observed.size == 0:
            raise DataError(f"Column '{name}' has no observed value in the training "
                            "rows; drop the column or split the data differently.")
        # Scaled by the largest magnitude first, so that values near the float
        # limit (a unit error, a sentinel like 1e300) cannot overflow the squares.
        size = float(np.abs(observed).max())
        unit = observed / size if size > 0 else observed
        mean, sd = size * float(unit.mean()), size * float(unit.std())
        return {"name": name, "kind": "numeric", "mean": mean,
                "scale": sd if sd > 0 else 1.0, "fill": _median(observed),
                "indicator": bool(self.missing == "indicator" and missing.any())}

    def _fit_categorical(self, name, series) -> dict:
        keys = _category_keys(series)
        missing = np.array([k is None for k in keys], dtype=bool)
        self._check_missing(name, missing, series.index, "fit")
        observed = keys[~missing]
        if observed.size == 0:
            raise DataError(f"Column '{name}' has no observed value in the training "
                            "rows; drop the column or split the data differently.")
        levels = sorted(set(observed.tolist()), key=_level_sort_key)
        counts = pd.Series(observed).value_counts()
        mode = max(levels, key=lambda level: counts[level])  # first maximum wins
        return {"name": name, "kind": "categorical", "levels": levels, "fill": mode,
                "indicator": bool(self.missing == "indicator" and missing.any())}

    def _set_outputs(self, columns, names):
        out, groups = [], []
        for group, spec in enumerate(columns):
            if spec["kind"] == "numeric":
                block = [spec["name"]]
            else:
                block = [f"{spec['name']}_{_format_level(v)}" for v in spec["levels"]]
            if spec["indicator"]:
                block.append(f"{spec['name']}_missing")
            out += block
            groups += [group] * len(block)
        encoded = pd.Index(out)
        clashes = encoded[encoded.duplicated()].unique().tolist()
        if clashes:
            raise DataError(f"Encoded column names {clashes[:5]} occur twice (a level "
                            "spelled like another column or like '_missing'); rename "
                            "the level or the column.")
        self.columns_ = columns
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        self.feature_names_out_ = np.asarray(out, dtype=object)
        self.feature_groups_ = np.asarray(groups, dtype=np.int64)
        self.group_names_ = np.asarray(names, dtype=object)

    # ------------------------------------------------------------------- transform
    def transform(self, X):
        """Encode rows with the statistics learned in :meth:`fit`.

        Parameters
        ----------
        X : DataFrame with (at least) the columns seen in fit

        Returns
        -------
        ndarray of float64, shape (n_samples, n_features_out)
        """
        check_is_fitted(self, "columns_")
        X = self._check_frame(X)
        by_name = {str(c): c for c in X.columns}
        absent = [s["name"] for s in self.columns_ if s["name"] not in by_name]
        if absent:
            raise DataError(f"The data to transform lacks column(s) {absent} that the "
                            f"encoder was fitted on; it has {list(by_name)}.")
        blocks = []
        for spec in self.columns_:
            series = X[by_name[spec["name"]]]
            if spec["kind"] == "numeric":
                blocks.append(self._transform_numeric(spec, series))
            else:
                blocks.append(self._transform_categorical(spec, series))
        if not blocks:  # pragma: no cover - fit refuses frames without columns
            return np.zeros((X.shape[0], 0))
        return np.column_stack(blocks).astype(np.float64, copy=False)

    def _transform_numeric(self, spec, series) -> np.ndarray:
        values = self._numbers(spec["name"], series)
        missing = np.isnan(values)
        self._check_missing(spec["name"], missing, series.index, "transform")
        filled = np.where(missing, spec["fill"], values)
        # x / s - m / s rather than (x - m) / s: the difference of two huge values
        # could overflow where the scaled ones do not.
        with np.errstate(over="ignore"):
            standardized = filled / spec["scale"] - spec["mean"] / spec["scale"]
        if np.isinf(standardized).any():
            first = np.flatnonzero(np.isinf(standardized))[0]
            raise DataError(
                f"Column '{spec['name']}': the value {float(values[first])!r} for "
                f"sample {str(series.index[first])!r} lies beyond the float range "
                f"after standardization (training SD {spec['scale']:.3g}); check "
                "its units."
            )
        block = [standardized]
        if spec["indicator"]:
            block.append(missing.astype(float))
        return np.column_stack(block)

    def _transform_categorical(self, spec, series) -> np.ndarray:
        keys = _category_keys(series)
        missing = np.array([k is None for k in keys], dtype=bool)
        self._check_missing(spec["name"], missing, series.index, "transform")
        if not spec["indicator"]:
            keys = np.where(missing, spec["fill"], keys)
        position = {level: i for i, level in enumerate(spec["levels"])}
        codes = np.array([position.get(k, -1) if k is not None else -1 for k in keys],
                         dtype=np.intp)
        unseen = (codes < 0) & ~missing
        if unseen.any():
            new = examples_of(np.unique(keys[unseen].astype(str)))
            warnings.warn(
                f"Column '{spec['name']}': {int(unseen.sum())} row(s) have categories "
                f"not seen in training ({new}); they are encoded as all zeros in "
                "that variable's level columns.",
                DataWarning, stacklevel=3)
        block = np.zeros((len(keys), len(spec["levels"]) + spec["indicator"]))
        rows = np.flatnonzero(codes >= 0)
        block[rows, codes[rows]] = 1.0
        if spec["indicator"]:
            block[:, -1] = missing
        return block

    # --------------------------------------------------------------------- helpers
    @staticmethod
    def _check_frame(X) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise DataError("ClinicalEncoder needs a pandas DataFrame with named "
                            "columns (as read_clinical returns); got "
                            f"{type(X).__name__}.")
        if X.shape[1] == 0:
            raise DataError("ClinicalEncoder got a table with no columns: there are no "
                            "clinical variables to encode.")
        names = [str(c) for c in X.columns]
        if len(set(names)) != len(names):
            dups = sorted({n for n in names if names.count(n) > 1})
            raise DataError(f"Column names {dups} occur more than once.")
        return X

    @staticmethod
    def _numbers(name, series) -> np.ndarray:
        if (pd.api.types.is_numeric_dtype(series.dtype)
                and not pd.api.types.is_bool_dtype(series.dtype)):
            values = series.to_numpy(dtype=float, na_value=np.nan)
        else:
            values = pd.to_numeric(series.astype(object), errors="coerce").to_numpy(
                dtype=float, na_value=np.nan)
            bad = np.isnan(values) & ~series.isna().to_numpy()
            if bad.any():
                first = np.flatnonzero(bad)[0]
                raise DataError(f"Numeric column '{name}' has the non-numeric value "
                                f"{series.iloc[first]!r} for sample "
                                f"{str(series.index[first])!r}.")
        if np.isinf(values).any():
            first = np.flatnonzero(np.isinf(values))[0]
            raise DataError(f"Numeric column '{name}' has an infinite value for sample "
                            f"{str(series.index[first])!r}; replace it or leave it "
                            "missing.")
        return values

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns (``AGE``, ``SEX_1.0``, ``SEX_missing``, ...).

        Parameters
        ----------
        input_features : ignored
            Present for scikit-learn compatibility.

        Returns
        -------
        ndarray of str, shape (n_features_out,)
        """
        check_is_fitted(self, "columns_")
        return self.feature_names_out_.copy()

    # ------------------------------------------------------------- persistence
    def to_dict(self) -> dict:
        """Everything needed to rebuild the fitted encoder, as plain JSON data.

        Returns
        -------
        dict
            ``format``, ``version``, ``params`` and ``columns`` (one record per input
            column with its kind and statistics; levels are floats or strings), plus
            ``feature_names_out``, ``feature_groups`` and ``group_names`` for readers
            that do not rebuild the encoder. No pickle is involved.
        """
        check_is_fitted(self, "columns_")
        categorical = None if self.categorical is None else [str(c) for c in
                                                              self.categorical]
        return {
            "format": _FORMAT, "version": _VERSION,
            "params": {"categorical": categorical, "missing": self.missing},
            "columns": [dict(spec, levels=list(spec["levels"])) if "levels" in spec
                        else dict(spec) for spec in self.columns_],
            "feature_names_out": self.feature_names_out_.tolist(),
            "feature_groups": self.feature_groups_.tolist(),
            "group_names": self.group_names_.tolist(),
        }

    @classmethod
    def from_dict(cls, state: dict) -> ClinicalEncoder:
        """Rebuild a fitted encoder from :meth:`to_dict` output.

        Parameters
        ----------
        state : dict
            As returned by :meth:`to_dict` (possibly through ``json.dumps`` /
            ``json.loads``).

        Returns
        -------
        ClinicalEncoder
        """
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise DataError("Not a saved ClinicalEncoder (expected format "
                            f"'{_FORMAT}').")
        if state.get("version") != _VERSION:
            raise DataError("Saved ClinicalEncoder has version "
                            f"{state.get('version')}; this riata reads version "
                            f"{_VERSION}.")
        encoder = cls(**state["params"])
        columns = []
        for spec in state["columns"]:
            spec = dict(spec)
            _check_saved_spec(spec)
            if spec["kind"] == "categorical":
                # JSON keeps 1.0 a float and "1" a string, so levels come back intact.
                spec["levels"] = [_normalize_level(v) for v in spec["levels"]]
                spec["fill"] = _normalize_level(spec["fill"])
            columns.append(spec)
        encoder._set_outputs(columns, [spec["name"] for spec in columns])
        if encoder.feature_names_out_.tolist() != list(state["feature_names_out"]):
            raise DataError("Saved ClinicalEncoder is inconsistent: its columns do not "
                            "give the saved output names.")
        return encoder


def _check_saved_spec(spec: dict) -> None:
    """Refuse saved statistics that would divide by zero or give NaN inputs."""
    name = spec.get("name")
    kind = spec.get("kind")
    if not isinstance(name, str) or kind not in ("numeric", "categorical"):
        raise DataError(f"Saved ClinicalEncoder has a column record without a name or "
                        f"with an unknown kind: {str(spec)[:200]}.")
    if kind == "numeric":
        for key, positive in (("mean", False), ("scale", True), ("fill", False)):
            value = spec.get(key)
            ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
                  and math.isfinite(value) and (value > 0 or not positive))
            if not ok:
                need = "a finite number above 0 (it divides)" if positive else (
                    "a finite number")
                shown = value if isinstance(value, (int, float)) else str(value)[:50]
                raise DataError(f"Saved ClinicalEncoder: column '{name}' has {key} "
                                f"{shown!r}; it must be {need}.")
    else:
        levels = spec.get("levels")
        if not isinstance(levels, list) or not levels:
            raise DataError(f"Saved ClinicalEncoder: column '{name}' has no levels.")
        if spec.get("fill") not in levels:
            raise DataError(f"Saved ClinicalEncoder: column '{name}' fills missing "
                            f"values with {str(spec.get('fill'))[:50]!r}, which is not "
                            "one of its levels.")

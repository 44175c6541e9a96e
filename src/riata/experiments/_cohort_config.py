"""Settings of a fit on a researcher's own cohort, validated when they are built."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from numbers import Integral, Real

from ..penalties import PENALTY_NAMES

__all__ = ["NETWORK_DEFAULTS", "CohortFitConfig"]

#: Network settings under the estimator's own parameter names, with the defaults of
#: :func:`fit_cohort`; every other estimator parameter
#: keeps the estimator's default unless ``CohortFitConfig.network`` sets it.
NETWORK_DEFAULTS = {
    "hidden_layer_sizes": (20,), "max_epochs": 100, "learning_rate_init": 3e-3,
    "batch_size": 128, "n_iter_no_change": 10, "encoder_dim": 20,
}
#: Estimator parameters that the data or the run decide, not the user.
_FIXED_PARAMETERS = ("penalty", "encoder_penalty", "encoder_kernel", "n_encoded_features",
                     "warm_start", "verbose")
_CHOICES = {"missing": ("impute", "indicator", "error"),
            "task": ("auto", "classification", "regression"),
            "penalty": PENALTY_NAMES}


@dataclass(kw_only=True)
class CohortFitConfig:
    """What :func:`fit_cohort` reads, how it splits and encodes it, and what it fits.

    Every value is checked when the object is built; the error names the setting,
    the accepted values and the value given.

    Parameters
    ----------
    clinical : str or path-like
        Clinical table: ``.csv``, ``.tsv`` (optionally ``.gz``) or ``.parquet``.
    target : str
        Outcome column.
    id_column : str
        Sample id column (matched to the ``.fam`` individual ids of ``genotypes``).
    genotypes : str or path-like, default=None
        Prefix of a PLINK 1 binary fileset (``PREFIX.bed/.bim/.fam``).
    categorical : sequence of str, default=()
        Columns to one-hot encode even if numeric; text columns are categorical
        anyway.
    numeric : sequence of str, default=()
        Columns that must be numeric (a text value is an error).
    drop : sequence of str, default=()
        Columns to ignore.
    missing : {"impute", "indicator", "error"}, default="impute"
        Policy for missing clinical values: the training median or mode, the same
        plus a ``VARIABLE_missing`` column, or refuse them.
    min_samples : int, default=20
        Fewest samples that must remain after matching clinical and genotype ids.
    task : {"auto", "classification", "regression"}, default="auto"
        ``"auto"``: classification for text labels or integer labels with at most
        ``max_classes`` values, else regression.
    max_classes : int >= 2, default=10
        Most classes a classification target may have.
    penalty : {"none", "l1", "l2", "elastic-net", "group-lasso", \
"sparse-group-lasso"}, default="group-lasso"
        Penalty on the first-layer weights (see :func:`riata.penalties.make_penalty`);
        the groups are one per clinical variable and one per genetic unit.
    alpha : float >= 0, default=None
        Fixed penalty strength; None: a path of ``n_alphas`` values from
        ``alpha_max`` down to ``eps * alpha_max``, chosen on the validation split.
    l1_ratio : float in [0, 1], default=0.5
        L1 share of ``"elastic-net"`` and ``"sparse-group-lasso"``.
    n_alphas : int, default=8
        Points on the penalty path.
    eps : float in (0, 1), default=0.02
        Smallest alpha of the path as a fraction of ``alpha_max``.
    test_size, valid_size : float in (0, 1), default=0.2
        Test and validation shares of the samples (their sum below 1).
    seed : int, default=0
        Seed of the split and, unless ``network`` sets ``random_state``, of the
        network.
    network : dict, default={}
        Estimator parameters (see :meth:`network_parameter_names`) over
        :data:`NETWORK_DEFAULTS`, e.g. ``{"hidden_layer_sizes": (8,),
        "max_epochs": 50}``.

    Raises
    ------
    ValueError
        If a setting has the wrong type or is out of range, or ``network`` holds an
        unknown or invalid estimator parameter.

    Examples
    --------
    >>> from riata.experiments import CohortFitConfig
    >>> config = CohortFitConfig(clinical="cohort.csv", target="chd", id_column="pid",
    ...                          penalty="l1", alpha=0.01, network={"max_epochs": 50})
    >>> config.estimator_params()["max_epochs"], config.estimator_params()["random_state"]
    (50, 0)
    >>> CohortFitConfig(clinical="cohort.csv", target="chd", id_column="pid", eps=2)
    Traceback (most recent call last):
    ...
    ValueError: 'eps' must be a number in (0, 1); got 2.
    """

    clinical: str | os.PathLike
    genotypes: str | os.PathLike | None = None
    target: str
    id_column: str
    categorical: tuple = ()
    numeric: tuple = ()
    drop: tuple = ()
    missing: str = "impute"
    min_samples: int = 20
    task: str = "auto"
    max_classes: int = 10
    penalty: str = "group-lasso"
    alpha: float | None = None
    l1_ratio: float = 0.5
    n_alphas: int = 8
    eps: float = 0.02
    test_size: float = 0.2
    valid_size: float = 0.2
    seed: int = 0
    network: dict = field(default_factory=dict)

    def __post_init__(self):
        for key in ("categorical", "numeric", "drop"):
            value = getattr(self, key)
            if isinstance(value, (list, tuple)):
                setattr(self, key, tuple(value))
        self._check()
        self.network = dict(self.network)
        self._check_network()

    # -- validation -------------------------------------------------------------------
    def _bad(self, key: str, expected: str) -> ValueError:
        return ValueError(f"'{key}' must be {expected}; got {getattr(self, key)!r}.")

    def _check(self) -> None:
        for key in ("clinical", "genotypes", "target", "id_column"):
            value = getattr(self, key)
            if value is None and key == "genotypes":
                continue
            paths = (str, os.PathLike) if key in ("clinical", "genotypes") else str
            if not isinstance(value, paths) or not str(value).strip():
                raise self._bad(key, "a non-empty text")
        for key in ("categorical", "numeric", "drop"):
            value = getattr(self, key)
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise self._bad(key, "a list of column names")
        for key, choices in _CHOICES.items():
            if getattr(self, key) not in choices:
                raise self._bad(key, f"one of {list(choices)}")
        for key, low in (("min_samples", 1), ("max_classes", 2), ("n_alphas", 1)):
            if not _is_int(getattr(self, key)) or getattr(self, key) < low:
                raise self._bad(key, f"an integer >= {low}")
        if not _is_int(self.seed):
            raise self._bad("seed", "an integer")
        for key in ("test_size", "valid_size", "eps"):
            if not _is_number(getattr(self, key)) or not 0 < getattr(self, key) < 1:
                raise self._bad(key, "a number in (0, 1)")
        if self.test_size + self.valid_size >= 1:
            raise ValueError(f"test_size + valid_size must be below 1; got "
                             f"{self.test_size} + {self.valid_size}.")
        if not _is_number(self.l1_ratio) or not 0 <= self.l1_ratio <= 1:
            raise self._bad("l1_ratio", "a number in [0, 1]")
        if self.alpha is not None:
            if not _is_number(self.alpha) or not (math.isfinite(self.alpha)
                                                  and self.alpha >= 0):
                raise self._bad("alpha", "a finite number >= 0")
            if self.penalty == "none":
                raise ValueError(f"alpha={self.alpha} was given with penalty 'none'; "
                                 "choose a penalty or leave alpha out.")

    def _check_network(self) -> None:
        from ..estimators import SparseMLPClassifier

        if not isinstance(self.network, dict):
            raise self._bad("network", "a dict of estimator parameters")
        accepted = self.network_parameter_names()
        unknown = sorted(set(self.network) - set(accepted))
        if unknown:
            raise ValueError(f"'network': unknown estimator parameter(s) {unknown}; "
                             f"accepted: {accepted}.")
        params = self.estimator_params()
        hidden = params["hidden_layer_sizes"]
        if not isinstance(hidden, tuple) or not all(_is_int(h) and h >= 1
                                                    for h in hidden):
            raise ValueError("'hidden_layer_sizes' must be a list of positive integers; "
                             f"got {hidden!r}.")
        SparseMLPClassifier(**params)._validate_params()

    # -- derived ----------------------------------------------------------------------
    @staticmethod
    def network_parameter_names() -> list[str]:
        """The estimator parameters that ``network`` may set, sorted.

        Every parameter of :class:`~riata.SparseMLPClassifier` except those the data
        or the run decide (``penalty``, ``encoder_penalty``, ``n_encoded_features``,
        ``warm_start``, ``verbose``).
        """
        from ..estimators import SparseMLPClassifier

        return sorted(set(SparseMLPClassifier().get_params(deep=False))
                      - set(_FIXED_PARAMETERS))

    def estimator_params(self) -> dict:
        """The network's parameters: :data:`NETWORK_DEFAULTS`, then ``network``.

        ``hidden_layer_sizes`` given as a list becomes a tuple, and ``random_state``
        defaults to ``seed``.
        """
        params = {**NETWORK_DEFAULTS, **self.network}
        if isinstance(params["hidden_layer_sizes"], list):
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        params.setdefault("random_state", self.seed)
        return params


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)

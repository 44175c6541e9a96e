"""Settings of a fit on a researcher's own cohort, validated when they are built."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from numbers import Integral, Real

from ..estimators import PATH_RULES
from ..penalties import PENALTY_NAMES
from ..pipeline import TASKS, PipelineSettings

__all__ = ["CohortFitConfig"]

#: Estimator parameters that the data or the run decide, not the user.
_FIXED_PARAMETERS = ("penalty", "encoder", "warm_start", "verbose")
_CHOICES = {"missing": ("impute", "indicator", "error"), "task": TASKS,
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
    separator : str, default=None
        Field separator of a text table (None: ``,`` for .csv, tab for .tsv).
    decimal : {".", ","}, default="."
        Decimal mark of the numbers in the clinical file.
    na_values : sequence of str, default=()
        Cells that mark a missing value besides the usual ones (empty, ``NA``,
        ``NaN``, ``null`` ...), e.g. ``("?", "-9")``.
    positive_class : str, default=None
        The positive class of a binary target, for which AUROC, AP and the Brier
        score are reported (None: the larger number, the label that names the
        positive class such as ``case`` or ``yes``, else the second in sorted order,
        with a warning).
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
"sparse-group-lasso", "hierarchical"}, default="group-lasso"
        Penalty on the first-layer weights (see :func:`riata.penalties.make_penalty`);
        the groups are one per clinical variable and one per genetic unit.
    alpha : float >= 0, default=None
        Fixed penalty strength; None: a path of ``n_alphas`` values from
        ``alpha_max`` down to ``eps * alpha_max``, chosen on the validation split.
    l1_ratio : float in [0, 1], default=None
        L1 share of ``"elastic-net"`` and ``"sparse-group-lasso"`` (None: the
        penalties' default, 0.5).
    n_alphas : int, default=None
        Points on the penalty path (None: :func:`riata.estimators.fit_alpha_path`'s
        default).
    eps : float in (0, 1), default=None
        Smallest alpha of the path as a fraction of ``alpha_max`` (None: the path's
        default).
    alpha_rule : {"best", "1se"}, default=None
        How alpha is chosen from the held-out losses (None: the path's default, the
        one-standard-error rule).
    cv : int >= 2 or None, default=5
        Choose alpha by K-fold cross-validation over the training rows (glmnet's
        ``cv.glmnet``); the validation rows then choose the classification threshold.
        None: choose alpha on the validation rows.
    polish : bool, default=True
        Finish the chosen network's optimization at its alpha, so that every zero it
        reports is certified by the KKT conditions (``zeros_certified`` in results.csv).
    stability : int >= 0, default=20
        Half-samples of the training rows on which the network is refitted at its
        alpha to measure how often it keeps each variable (stability selection,
        Meinshausen & Buhlmann 2010); 0 skips it.
    encoder_dim : int, default=None
        Units of the genotype encoder of a kernel network (None: its default).
    test_size, valid_size : float in (0, 1), default=0.2
        Test and validation shares of the samples (their sum below 1).
    seed : int, default=0
        Seed of the split and, unless ``network`` sets ``random_state``, of the
        network.
    network : dict, default={}
        Estimator parameters (see :meth:`network_parameter_names`) over the
        estimator's defaults, e.g. ``{"hidden_layer_sizes": (8,), "max_epochs": 50}``.

    Raises
    ------
    ValueError
        If a setting has the wrong type or is out of range, or ``network`` holds an
        unknown or invalid estimator parameter.

    Examples
    --------
    >>> from riata.workflows import CohortFitConfig
    >>> config = CohortFitConfig(clinical="cohort.csv", target="chd", id_column="pid",
    ...                          penalty="l1", alpha=0.01, network={"max_epochs": 50})
    >>> dict(config.settings().network)
    {'max_epochs': 50}
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
    separator: str | None = None
    decimal: str = "."
    na_values: tuple = ()
    positive_class: str | None = None
    missing: str = "impute"
    min_samples: int = 20
    task: str = "auto"
    max_classes: int = 10
    penalty: str = "group-lasso"
    alpha: float | None = None
    l1_ratio: float | None = None
    n_alphas: int | None = None
    eps: float | None = None
    alpha_rule: str | None = None
    cv: int | None = 5
    polish: bool = True
    stability: int = 20
    encoder_dim: int | None = None
    test_size: float = 0.2
    valid_size: float = 0.2
    seed: int = 0
    network: dict = field(default_factory=dict)

    def __post_init__(self):
        for key in ("categorical", "numeric", "drop", "na_values"):
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
        for key in ("categorical", "numeric", "drop", "na_values"):
            value = getattr(self, key)
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise self._bad(key, "a list of column names" if key != "na_values"
                                else "a list of texts")
        if self.decimal not in (".", ","):
            raise self._bad("decimal", "'.' or ','")
        if self.separator is not None and (not isinstance(self.separator, str)
                                           or len(self.separator) != 1
                                           or self.separator in '"\r\n'
                                           or self.separator == self.decimal):
            raise self._bad("separator", "one character other than a quote, a line "
                            "break or the decimal mark")
        if self.positive_class is not None and (
                not isinstance(self.positive_class, (str, int))
                or isinstance(self.positive_class, bool)
                or not str(self.positive_class).strip()):
            raise self._bad("positive_class", "a class label (text)")
        for key, choices in _CHOICES.items():
            if getattr(self, key) not in choices:
                raise self._bad(key, f"one of {list(choices)}")
        for key, low in (("min_samples", 1), ("max_classes", 2), ("n_alphas", 1),
                         ("encoder_dim", 1)):
            value = getattr(self, key)
            if key in ("n_alphas", "encoder_dim") and value is None:
                continue
            if not _is_int(value) or value < low:
                raise self._bad(key, f"an integer >= {low}")
        if not _is_int(self.seed):
            raise self._bad("seed", "an integer")
        for key in ("test_size", "valid_size", "eps"):
            value = getattr(self, key)
            if key == "eps" and value is None:
                continue
            if not _is_number(value) or not 0 < value < 1:
                raise self._bad(key, "a number in (0, 1)")
        if self.alpha_rule is not None and self.alpha_rule not in PATH_RULES:
            raise self._bad("alpha_rule", f"one of {list(PATH_RULES)}")
        if self.cv is not None and (not _is_int(self.cv) or self.cv < 2):
            raise self._bad("cv", "an integer >= 2, or none")
        if not isinstance(self.polish, bool):
            raise self._bad("polish", "true or false")
        if not _is_int(self.stability) or self.stability < 0:
            raise self._bad("stability", "an integer >= 0")
        if self.test_size + self.valid_size >= 1:
            raise ValueError(f"test_size + valid_size must be below 1; got "
                             f"{self.test_size} + {self.valid_size}.")
        if self.l1_ratio is not None and (not _is_number(self.l1_ratio)
                                          or not 0 <= self.l1_ratio <= 1):
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
        hidden = self.network.get("hidden_layer_sizes", ())
        if isinstance(hidden, list):
            hidden = self.network["hidden_layer_sizes"] = tuple(hidden)
        if not isinstance(hidden, tuple) or not all(_is_int(h) and h >= 1
                                                    for h in hidden):
            raise ValueError("'hidden_layer_sizes' must be a list of positive integers; "
                             f"got {hidden!r}.")
        SparseMLPClassifier(**self.network)._validate_params()
        self._check_penalty_needs()

    def _check_penalty_needs(self) -> None:
        """Refuse, before any file is read, network settings the penalty cannot train
        (``pipeline.PENALTY_PARAMS``: what the penalty sets, e.g. the hierarchical
        penalty's skip path and full-batch steps)."""
        from ..pipeline import PENALTY_PARAMS

        needs = PENALTY_PARAMS.get(self.penalty, {})
        if needs and self.network.get("hidden_layer_sizes", (None,)) == ():
            raise ValueError(f"penalty '{self.penalty}' needs a hidden layer (its "
                             "constraint ties each input's hidden weights to its linear "
                             "skip weight); give --hidden a size.")
        if needs.get("skip_connection") and self.network.get("skip_connection") is False:
            raise ValueError(f"penalty '{self.penalty}' acts on the skip path, which it "
                             "turns on; remove skip_connection = false.")
        solver = self.network.get("solver")
        if needs.get("solver") == "fista" and solver not in (None, "fista", "sgd"):
            raise ValueError(f"penalty '{self.penalty}' takes one step for the whole "
                             f"first layer, not {solver!r}'s per-coordinate steps; use "
                             "solver 'fista' (its default here) or 'sgd'.")

    # -- derived ----------------------------------------------------------------------
    @staticmethod
    def network_parameter_names() -> list[str]:
        """The estimator parameters that ``network`` may set, sorted.

        Every parameter of :class:`~riata.SparseMLPClassifier` except those the data
        or the run decide (``penalty``, ``encoder``, ``warm_start``, ``verbose``).
        """
        from ..estimators import SparseMLPClassifier

        return sorted(set(SparseMLPClassifier().get_params(deep=False))
                      - set(_FIXED_PARAMETERS))

    def settings(self) -> PipelineSettings:
        """The pipeline's overrides: path, penalty and network settings of this config.

        ``random_state`` of the network defaults to ``seed``.
        """
        network = dict(self.network)
        return PipelineSettings(alpha=self.alpha, l1_ratio=self.l1_ratio,
                                n_alphas=self.n_alphas, eps=self.eps,
                                rule=self.alpha_rule, cv=self.cv, polish=self.polish,
                                network=tuple(network.items()),
                                encoder_dim=self.encoder_dim)


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)

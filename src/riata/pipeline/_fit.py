"""Fitting one model spec on prepared inputs: the same code for every workflow."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..estimators import (
    GenotypeEncoder,
    SparseMLPClassifier,
    SparseMLPRegressor,
    fit_alpha_path,
    fit_genotype_path,
)
from ..penalties import L2, make_penalty
from ._inputs import PreparedInputs
from ._notes import Notes
from ._specs import KIND_PARAMS, PENALTY_PARAMS, ModelSpec

__all__ = ["PipelineSettings", "FittedModel", "fit_model"]

logger = logging.getLogger("riata")


@dataclass(frozen=True)
class PipelineSettings:
    """How a run fits its models: overrides only, every default has one home.

    A None keeps the default of the function or class that owns the setting: the
    estimator's (network hyperparameters), :class:`riata.estimators.GenotypeEncoder`'s
    (encoder width and ridge) and :func:`riata.estimators.fit_alpha_path`'s (path).

    Attributes
    ----------
    alpha : float or None
        A fixed penalty strength for the networks; None walks a path.
    l1_ratio : float or None
        L1 share of elastic net and sparse group lasso (``make_penalty``'s default).
    n_alphas, eps, rule, n_alphas_no_change : or None
        Path settings (:func:`riata.estimators.fit_alpha_path`).
    cv : int or None
        Choose alpha by K-fold cross-validation over the training rows (the
        validation rows are then left for the threshold and the calibration);
        None: on the validation rows.
    polish : bool
        After alpha is chosen, finish the network's optimization at that alpha
        (:meth:`riata.estimators.BaseSparseMLP.polish`), so that its zeros are
        certified by the KKT conditions.
    network : tuple of (str, object)
        Estimator parameters for every network of the run.
    encoder_dim : int or None
        Units of the genotype encoder of kernel networks.
    encoder_alpha : float or None
        Ridge strength of that encoder (None: the estimator's ``hidden_alpha``).
    hold_hidden_norm : bool or None
        SNP networks: bound the deeper layers' norms along the SNPs' path by their
        values at its start (None: :func:`riata.estimators.fit_genotype_path`'s
        default, True).
    """

    alpha: float | None = None
    l1_ratio: float | None = None
    n_alphas: int | None = None
    eps: float | None = None
    rule: str | None = None
    n_alphas_no_change: int | None = None
    cv: int | None = None
    polish: bool = False
    network: tuple = ()
    encoder_dim: int | None = None
    encoder_alpha: float | None = None
    hold_hidden_norm: bool | None = None

    def path_kwargs(self) -> dict:
        names = ("n_alphas", "eps", "rule", "n_alphas_no_change")
        return {k: getattr(self, k) for k in names if getattr(self, k) is not None}


@dataclass(frozen=True, eq=False)
class FittedModel:
    """A spec fitted on the training rows, its alpha chosen on the validation rows.

    Attributes
    ----------
    spec : ModelSpec
    estimator : estimator
        Reads :meth:`inputs_of` a split.
    clinical : bool
        Whether its inputs start with the encoded clinical columns.
    kernel : bool
        Whether its inputs include the genotype kernel (a kernel encoder).
    snp_columns : ndarray of int
        The SNP columns of its trailing inputs (SNP networks and lasso models).
    input_names : ndarray of str
        The first-layer (or coefficient) inputs: ``genetic_k`` units, clinical
        columns, SNP names.
    input_groups : ndarray of str
        The variable of each input: a clinical variable, ``"genetics"`` for the
        genetic units, the SNP's name for a SNP.
    weights : ndarray of shape (n_inputs, n_rows) or None
        First-layer weights, one row per input (heat maps); coefficients of a linear
        model.
    alpha : float
        The chosen penalty strength (NaN without a penalty).
    paths : dict of str to AlphaPath
        ``"path"``: the path that chose alpha; ``"clinical_path"``: the clinical stage
        of a SNP network.
    seconds : float
    """

    spec: ModelSpec
    estimator: object
    clinical: bool
    kernel: bool
    snp_columns: np.ndarray
    input_names: np.ndarray
    input_groups: np.ndarray
    weights: np.ndarray | None
    alpha: float
    paths: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def norms(self) -> np.ndarray:
        """Norm of each input's weights (0: the input is not used)."""
        if self.weights is None:
            return np.zeros(len(self.input_names))
        return np.linalg.norm(self.weights, axis=1)

    def inputs_of(self, inputs: PreparedInputs, split: str) -> np.ndarray:
        return inputs.design(split, clinical=self.clinical, kernel=self.kernel,
                             snp_columns=self.snp_columns)

    def predict(self, inputs: PreparedInputs, split: str = "test") -> dict:
        """``{"proba": ...}`` (classifiers) or ``{"prediction": ...}`` on a split."""
        X = self.inputs_of(inputs, split)
        if hasattr(self.estimator, "predict_proba"):
            return {"proba": self.estimator.predict_proba(X),
                    "classes": self.estimator.classes_}
        return {"prediction": self.estimator.predict(X)}

    @property
    def selected_snps(self) -> np.ndarray:
        """Positions in ``snp_columns`` of the SNPs with a nonzero weight."""
        n = len(self.snp_columns)
        if not n:
            return np.zeros(0, dtype=np.intp)
        return np.flatnonzero(self.norms[len(self.input_names) - n:] > 0)


# --------------------------------------------------------------------------- building
def _estimator(spec: ModelSpec, inputs: PreparedInputs, settings: PipelineSettings,
               groups, encoder=None):
    cls = SparseMLPClassifier if inputs.task == "classification" else SparseMLPRegressor
    l1 = {} if settings.l1_ratio is None else {"l1_ratio": settings.l1_ratio}
    alpha = 1.0 if settings.alpha is None else float(settings.alpha)
    params = dict(KIND_PARAMS[spec.kind])
    if spec.is_network:
        params.update(PENALTY_PARAMS.get(spec.penalty, {}))
        params.update(dict(settings.network))
    params.update(dict(spec.params))
    params.setdefault("random_state", spec.seed)
    nested = {k: params.pop(k) for k in list(params) if "__" in k}  # e.g. penalty__...
    est = cls(penalty=make_penalty(spec.penalty, alpha, groups=list(groups), **l1),
              encoder=encoder, **params)
    return est.set_params(**nested) if nested else est


def _kernel_encoder(settings: PipelineSettings) -> GenotypeEncoder:
    params = {"kernel": "precomputed"}
    if settings.encoder_dim is not None:
        params["dim"] = settings.encoder_dim
    if settings.encoder_alpha is not None:
        params["penalty"] = L2(alpha=settings.encoder_alpha)
    return GenotypeEncoder(**params)


# ----------------------------------------------------------------------------- kinds
def _fit_logistic(spec, inputs: PreparedInputs, settings, notes: Notes):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LinearRegression, LogisticRegression

    X = inputs.design("train")
    model = (LogisticRegression(C=np.inf, max_iter=5000)
             if inputs.task == "classification" else LinearRegression())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X, inputs.target("train"))
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        notes.add(f"baseline '{spec.key}' did not converge in 5000 iterations; its "
                  "scores are those of the last iterate.")
    coef = np.atleast_2d(model.coef_).T
    return dict(estimator=model, clinical=True, kernel=False,
                snp_columns=np.zeros(0, dtype=np.intp),
                input_names=np.asarray(inputs.clinical_names, dtype=object),
                input_groups=np.asarray(inputs.clinical_groups, dtype=object),
                weights=coef, alpha=math.nan, paths={})


def _part(checkpoint, name):
    return None if checkpoint is None else checkpoint.child(name)


def _fit_path_or_once(est, X, y, validation, settings: PipelineSettings,
                      checkpoint=None):
    """One fit (no penalty, or a fixed alpha), or the penalty's path: alpha chosen on
    the validation rows, or by cross-validation over the training rows (saved to
    and resumed from ``checkpoint``)."""
    if est.penalty is None or settings.alpha is not None:
        est.fit(X, y, validation_data=validation, checkpoint=_part(checkpoint, "epochs"))
        return est, (math.nan if est.penalty is None else float(settings.alpha)), {}
    chooser = ({"cv": settings.cv} if settings.cv else {"validation_data": validation})
    path = fit_alpha_path(est, X, y, callback=_progress, **chooser,
                          checkpoint=checkpoint, **settings.path_kwargs())
    return path.best_estimator, path.best_alpha, {"path": path}


def _fit_network(spec, inputs: PreparedInputs, settings, checkpoint=None):
    clinical = spec.inputs != "genetic" and inputs.n_clinical > 0
    kernel = spec.inputs != "clinical" and inputs.n_snps > 0
    encoder = _kernel_encoder(settings) if kernel else None
    dim = encoder.dim if encoder is not None else 0
    genetic = [f"genetic_{k}" for k in range(dim)]
    clinical_groups = list(inputs.clinical_groups) if clinical else []
    groups = [f"genetic:{k}" for k in range(dim)] + [f"clinical:{g}"
                                                     for g in clinical_groups]
    est = _estimator(spec, inputs, settings, groups, encoder)
    X = inputs.design("train", clinical=clinical, kernel=kernel)
    validation = (inputs.design("valid", clinical=clinical, kernel=kernel),
                  inputs.target("valid"))
    est, alpha, paths = _fit_path_or_once(est, X, inputs.target("train"), validation,
                                          settings, checkpoint)
    names = genetic + (list(inputs.clinical_names) if clinical else [])
    return dict(estimator=est, clinical=clinical, kernel=kernel,
                snp_columns=np.zeros(0, dtype=np.intp),
                input_names=np.asarray(names, dtype=object),
                input_groups=np.asarray(["genetics"] * dim + clinical_groups,
                                        dtype=object),
                weights=est.first_layer_weights_, alpha=alpha, paths=paths)


def _genotype_path(est, inputs: PreparedInputs, groups, plain_alpha,
                   settings: PipelineSettings, checkpoint=None):
    chooser = ({"cv": settings.cv} if settings.cv and settings.alpha is None else
               {"validation_data": (inputs.design("valid"), inputs.target("valid")),
                "valid_rows": inputs.split.valid})
    return fit_genotype_path(
        est, inputs.design("train"), inputs.target("train"), genotypes=inputs.genotypes,
        train_rows=inputs.split.train, mean=inputs.genotype_mean,
        scale=inputs.genotype_scale, plain_groups=groups, plain_alpha=plain_alpha,
        alphas=None if settings.alpha is None else [float(settings.alpha)],
        callback=_progress, checkpoint=checkpoint, **chooser, **settings.path_kwargs(),
        **({} if settings.hold_hidden_norm is None
           else {"hold_hidden_norm": settings.hold_hidden_norm}))


def _selecting(spec, inputs: PreparedInputs, settings, two_stage: bool,
               checkpoint=None):
    """A lasso or SNP network: clinical inputs and SNPs on working sets.

    The SNP network first walks the clinical path (its alpha chosen on validation),
    then the SNPs' path with the clinical alpha kept (``plain_alpha``); the lasso
    walks one alpha over all inputs.
    """
    groups = [f"clinical:{g}" for g in inputs.clinical_groups]
    est = _estimator(spec, inputs, settings, groups)
    y_train, y_valid = inputs.target("train"), inputs.target("valid")
    paths, plain_alpha = {}, None
    if two_stage and inputs.n_clinical:
        est, plain_alpha, stage = _fit_path_or_once(
            est, inputs.design("train"), y_train,
            (inputs.design("valid"), y_valid), settings, _part(checkpoint, "clinical"))
        if stage:
            paths["clinical_path"] = stage["path"]
    if not inputs.n_snps:
        if not two_stage:
            est, plain_alpha, stage = _fit_path_or_once(
                est, inputs.design("train"), y_train, (inputs.design("valid"), y_valid),
                settings, _part(checkpoint, "clinical"))
            paths.update(stage)
        names = np.asarray(inputs.clinical_names, dtype=object)
        return dict(estimator=est, clinical=True, kernel=False,
                    snp_columns=np.zeros(0, dtype=np.intp), input_names=names,
                    input_groups=np.asarray(inputs.clinical_groups, dtype=object),
                    weights=est.first_layer_weights_, alpha=plain_alpha, paths=paths)
    path = _genotype_path(est, inputs, groups, plain_alpha, settings,
                          _part(checkpoint, "snps"))
    paths["path"] = path
    best, columns = path.best_estimator, path.best_columns
    snps = [str(s) for s in inputs.snp_names[columns]]
    return dict(estimator=best, clinical=inputs.n_clinical > 0, kernel=False,
                snp_columns=columns,
                input_names=np.asarray(list(inputs.clinical_names) + snps, dtype=object),
                input_groups=np.asarray(list(inputs.clinical_groups) + snps,
                                        dtype=object),
                weights=best.first_layer_weights_, alpha=path.best_alpha, paths=paths)


def _progress(i, record) -> None:
    extra = f", {record.n_snps} SNP(s)" if record.working_set else ""
    logger.info("  alpha %d = %.4g: validation loss %.4f, %d input(s)%s", i + 1,
                record.alpha, record.valid_loss, record.n_selected, extra)


def fit_model(spec: ModelSpec, inputs: PreparedInputs,
              settings: PipelineSettings | None = None,
              notes: Notes | None = None, checkpoint=None) -> FittedModel:
    """Fit ``spec`` on the training rows, choosing alpha on the validation rows.

    ``"logistic"``: scikit-learn's unpenalized logistic (least-squares) regression on
    the clinical columns. ``"network"``: a riata network on the clinical columns and
    (with genotypes and ``inputs`` not "clinical") a kernel-form genotype encoder; its
    penalty's alpha path (:func:`riata.estimators.fit_alpha_path`) or one fit.
    ``"lasso"``: riata's linear model with the spec's penalty over the clinical groups
    and every SNP, one alpha, on working sets of SNPs
    (:func:`riata.estimators.fit_genotype_path`). ``"snp_network"``: the clinical path
    first, then the SNPs' path with the clinical alpha kept. The test rows are never
    read here.

    With ``checkpoint`` (a :class:`riata.io.PathCheckpoint`) every path saves its state
    after each alpha under ``<spec.key>/<stage>`` and resumes from what an
    interrupted call with the same inputs saved there.

    Returns
    -------
    FittedModel
    """
    settings = PipelineSettings() if settings is None else settings
    if spec.kind == "lasso":  # a baseline chooses its own alpha
        settings = dataclasses.replace(settings, alpha=None)
    if spec.path:
        settings = dataclasses.replace(settings, **dict(spec.path))
    notes = Notes() if notes is None else notes
    started = time.perf_counter()
    checkpoint = _part(checkpoint, spec.key)
    if spec.kind == "logistic":
        parts = _fit_logistic(spec, inputs, settings, notes)
    elif spec.kind == "network":
        parts = _fit_network(spec, inputs, settings, checkpoint)
    else:
        parts = _selecting(spec, inputs, settings,
                           two_stage=spec.kind == "snp_network" and spec.clinical_first,
                           checkpoint=checkpoint)
    if settings.polish and spec.is_network and parts["estimator"].penalty is not None:
        _polish(parts, inputs)
    seconds = time.perf_counter() - started
    logger.info("%-45s fitted in %.1f s", spec.label, seconds)
    return FittedModel(spec=spec, seconds=seconds, **parts)


def _polish(parts: dict, inputs: PreparedInputs) -> None:
    """Finish the chosen network's optimization on its training rows (see
    :class:`PipelineSettings`); its weights and certificates are updated."""
    est = parts["estimator"]
    X = inputs.design("train", clinical=parts["clinical"], kernel=parts["kernel"],
                      snp_columns=parts["snp_columns"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the inputs' scale is riata's
        est.polish(X, inputs.target("train"))
    parts["weights"] = est.first_layer_weights_

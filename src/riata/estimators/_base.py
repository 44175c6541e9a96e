"""Shared machinery of the scikit-learn estimators: one fit for every task."""

from __future__ import annotations

import copy
import math
import warnings
from fnmatch import fnmatchcase
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..models import ACTIVATIONS, ENCODER_WEIGHT, INPUT_LAYER_WEIGHT, MLP
from ..optim import PENALTY_MODES, ProxAdam, ProxSGD, penalized_param_groups
from ..penalties import L2, Penalty
from ..training import train_full_batch, train_module
from ._encoder import GenotypeEncoder
from ._hooks import SolverHooks
from ._tensors import DTYPES as _DTYPES
from ._tensors import as_tensor as _as_tensor

__all__ = ["BaseSparseMLP"]


def _warn_unscaled(X, names) -> None:
    """Warn when input columns are far from standardized (see the estimators' Notes).

    A penalty on weights depends on the units of the inputs: the same effect is a
    weight 22 times smaller on systolic pressure in mmHg (SD 22) than on a standardized
    one, so unscaled columns are penalized unequally (issue 10 measured a classifier
    that dropped ``male`` and kept ``totChol`` for their units). 0/1 columns are fine.
    """
    if X.shape[0] < 2 or X.shape[1] == 0 or X.shape[1] > 100_000:
        return
    values = np.asarray(X, dtype=np.float64)
    sd = values.std(axis=0)
    mean = values.mean(axis=0)
    binary = np.all((values == 0) | (values == 1), axis=0)
    far = ~binary & ((sd > 10) | ((sd > 0) & (sd < 0.1)) | (np.abs(mean) > 10))
    if far.any():
        shown = ", ".join(f"{names[j]} (mean {mean[j]:.3g}, SD {sd[j]:.3g})"
                          for j in np.flatnonzero(far)[:3])
        warnings.warn(
            f"{int(far.sum())} input column(s) are far from standardized, e.g. {shown}. "
            "A penalty on weights depends on the units of the inputs: standardize them "
            "(sklearn.preprocessing.StandardScaler, fitted on the training rows) so that "
            "every input is penalized on the same scale.", UserWarning, stacklevel=3)


class BaseSparseMLP(SolverHooks, BaseEstimator):
    """Fit logic shared by :class:`SparseMLPClassifier` and :class:`SparseMLPRegressor`.

    Subclasses define the task: how targets become tensors (``_encode_targets``), the
    output width, the loss, the best constant output and the validation scores.

    Besides scikit-learn's ``fit`` / ``predict``, the estimators offer documented hooks
    for path solvers (:func:`riata.estimators.fit_alpha_path`,
    :func:`riata.estimators.fit_genotype_path`): :meth:`fit_null`,
    :meth:`loss_gradient`, :meth:`first_layer_output_gradient` and
    :meth:`select_inputs`.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [tuple, list],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "penalty": [Penalty, None],
        "penalty_mode": [StrOptions(set(PENALTY_MODES))],
        "shrink_clip": ["boolean"],
        "skip_connection": ["boolean"],
        "encoder": [GenotypeEncoder, None],
        "solver": [StrOptions({"adam", "sgd", "fista"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "dtype": [StrOptions(set(_DTYPES))],
        "warm_start": ["boolean"],
        "hidden_alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"penalty"})],
        "hidden_max_norm": [Interval(Real, 0, None, closed="left"), "array-like", None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(20,),
        *,
        activation="relu",
        dropout=0.0,
        penalty=None,
        penalty_mode="proximal",
        shrink_clip=False,
        skip_connection=False,
        encoder=None,
        solver="adam",
        learning_rate_init=1e-3,
        momentum=0.9,
        batch_size="auto",
        max_epochs=200,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        monitor="auto",
        dtype="float32",
        warm_start=False,
        hidden_alpha=1e-4,
        hidden_max_norm=None,
        random_state=None,
        verbose=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.penalty = penalty
        self.penalty_mode = penalty_mode
        self.shrink_clip = shrink_clip
        self.skip_connection = skip_connection
        self.encoder = encoder
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.monitor = monitor
        self.dtype = dtype
        self.warm_start = warm_start
        self.hidden_alpha = hidden_alpha
        self.hidden_max_norm = hidden_max_norm
        self.random_state = random_state
        self.verbose = verbose

    # -- task hooks (subclasses) ---------------------------------------------------------
    _monitors: tuple = ("auto", "loss")
    _stratify: bool = False

    def _encode_targets(self, y, reset: bool):  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample_losses(self, outputs, targets):  # pragma: no cover - abstract
        raise NotImplementedError

    def _loss(self, outputs, targets, weights=None):
        """The (weighted) mean training loss of a batch: what ``fit`` minimizes, without
        the penalty; ``sum_i w_i l_i / sum_i w_i`` with weights."""
        losses = self._sample_losses(outputs, targets)
        if weights is None:
            return losses.mean()
        return (losses * weights).sum() / weights.sum()

    def _null_output(self, targets) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def _score_fn(self, monitor: str, y_valid: np.ndarray):  # pragma: no cover
        raise NotImplementedError

    # -- validation and data ---------------------------------------------------------------
    def _check_settings(self) -> None:
        self._validate_params()
        if self.monitor not in self._monitors:
            raise ValueError(
                f"monitor of {type(self).__name__} must be one of {list(self._monitors)}; "
                f"got {self.monitor!r}."
            )
        if self.skip_connection and len(self.hidden_layer_sizes) == 0:
            raise ValueError("skip_connection=True needs a hidden layer; with "
                             "hidden_layer_sizes=() the model is already linear.")
        if self.solver == "fista" and (self.penalty_mode != "proximal" or self.dropout):
            raise ValueError(
                "solver='fista' minimizes a deterministic objective with exact prox "
                f"steps: it needs penalty_mode='proximal' and dropout=0; got "
                f"penalty_mode={self.penalty_mode!r}, dropout={self.dropout!r}.")
        if self.solver == "fista" and self.encoder is not None and self.encoder.kernel:
            raise ValueError("solver='fista' takes Euclidean proximal steps, which are "
                             "not those of a kernel encoder's dual coefficients; use "
                             "solver='sgd' or 'adam' with GenotypeEncoder(kernel=...).")

    def _validated(self, X, y):
        """Checked ``X`` and encoded targets; sets ``n_features_in_`` and the classes."""
        X, y = validate_data(self, X, y, reset=True, dtype=[np.float64, np.float32],
                             multi_output=True, y_numeric=not self._stratify)
        return X, self._encode_targets(y, reset=True)

    def _split(self, X, y, rng):
        """Carve the validation set out of the training data (stratified if possible)."""
        n = X.shape[0]
        n_valid = max(1, int(math.ceil(self.validation_fraction * n)))
        if n - n_valid < 1:
            raise ValueError(
                f"early_stopping needs a validation set, but {n} sample(s) leave none "
                "for training; pass more samples or early_stopping=False."
            )
        stratify = None
        if self._stratify:
            _, counts = np.unique(y, return_counts=True)
            if counts.min() >= 2 and counts.size <= min(n_valid, n - n_valid):
                stratify = y
        idx_train, idx_valid = train_test_split(
            np.arange(n), test_size=n_valid, stratify=stratify,
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
        return idx_train, idx_valid

    def _target_tensor(self, t, dtype):
        return torch.as_tensor(t, dtype=dtype)

    def _n_encoded(self, X) -> int:
        """Trailing columns of ``X`` read by the encoder (0 without one)."""
        return 0 if self.encoder is None else self.encoder.check_block(X)

    # -- fit ------------------------------------------------------------------------------
    def _prepare_fit(self, X, y, sample_weight):
        """What every fit starts from: the checked settings, validated inputs, the
        (scaled) targets and sample weights, the encoder's input width, the random
        state and the torch seed drawn from it."""
        self._check_settings()
        X, targets = self._validated(X, y)
        weights = self._fit_weights(sample_weight, targets, "sample_weight")
        targets = self._scale_targets(targets, weights)
        n_encoded = self._n_encoded(X)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        return X, targets, weights, n_encoded, rng, seed

    def fit(self, X, y, sample_weight=None, *, validation_data=None, checkpoint=None):
        """Fit the network; keep the best validation epoch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            numpy array or pandas DataFrame (column names become ``feature_names_in_``).
            With an ``encoder``, its columns come last.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Each sample's weight (finite, >= 0): the training loss is the weighted mean
            ``sum_i w_i l_i / sum_i w_i``, so integer weights act as repeated rows.
            Multiplied by the class weights of ``class_weight`` (classifiers).
        validation_data : tuple (X_valid, y_valid) or (X_valid, y_valid, w_valid)
            Held-out data for choosing the best epoch. If None and ``early_stopping``,
            a ``validation_fraction`` of ``X`` is held out (stratified for classifiers).
        checkpoint : riata.io.PathCheckpoint, optional
            Save the training state as it goes and resume from the one saved there,
            bit for bit: after every epoch with ``solver="adam"`` or ``"sgd"``
            (:func:`riata.training.train_module`), every 50 iterations with
            ``"fista"`` (:func:`riata.training.train_full_batch`).

        Returns
        -------
        self
        """
        X, targets, weights, n_encoded, rng, seed = self._prepare_fit(X, y, sample_weight)
        _warn_unscaled(X[:, :X.shape[1] - n_encoded], self._raw_names())
        data = self._fit_data(X, targets, weights, validation_data, rng)
        self.penalty_ = None if self.penalty is None else clone(self.penalty)
        # The encoder's block of fit's own samples (the kernel among them).
        gram = (_as_tensor(X[:, X.shape[1] - n_encoded:], _DTYPES[self.dtype])
                if n_encoded else None)
        # All randomness (initial weights, dropout, batch order) comes from
        # random_state; fork_rng keeps torch's global generator untouched.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = self._build_model(X.shape[1], n_encoded, _DTYPES[self.dtype])
            if self.encoder is not None:
                self.encoder.initialize(model.encoder, data.rows, X.shape[0])
            if not (self.warm_start and self._same_architecture(model)):
                self.model_ = model
                self._start_at_best_constant(data)
            forward = (None if self.encoder is None
                       else self.encoder.training_forward(data.rows))
            if self.solver == "fista":
                result = self._fit_full_batch(data, forward, checkpoint)
            else:
                result = self._fit_minibatch(data, forward, gram, seed, checkpoint)
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.best_score_ = result.best_score
        self.n_iter_ = len(result.history)
        self.monitor_ = data.monitor if data.validation is not None else None
        self._set_weight_attributes(n_encoded)
        self._set_kkt_certificate(data.X, data.targets, data.weights)
        return self

    def _fit_weights(self, sample_weight, targets, name: str):
        """The weights of the rows (sample weights times class weights), or None."""
        class_weight = self._class_weights(targets)
        if sample_weight is None:
            return class_weight
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.shape != (len(targets),):
            raise ValueError(f"{name} must have one value per sample ({len(targets)}); "
                             f"got shape {w.shape}.")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
            raise ValueError(f"{name} must be finite and >= 0, not all zero; "
                             f"got min {w.min()!r}, sum {w.sum()!r}.")
        return w if class_weight is None else w * class_weight

    def _class_weights(self, targets):  # the classifier's class_weight; none here
        return None

    def _scale_targets(self, targets, weights):  # the regressor standardizes its target
        return targets

    def _fit_data(self, X, targets, weights, validation_data, rng) -> SimpleNamespace:
        """Training rows, validation data and monitor as tensors (see :meth:`fit`)."""
        dtype = _DTYPES[self.dtype]
        rows = np.arange(X.shape[0])
        validation = None
        if validation_data is not None:
            X_valid, y_valid, *w_valid = validation_data
            X_valid = validate_data(self, X_valid, reset=False,
                                    dtype=[np.float64, np.float32])
            t_valid = self._encode_targets(np.asarray(y_valid), reset=False)
            w_valid = self._fit_weights(w_valid[0] if w_valid else None, t_valid,
                                        "the validation weights")
            validation = (X_valid, t_valid, w_valid)
        elif self.early_stopping and self.solver != "fista":
            rows, idx_valid = self._split(X, targets, rng)
            validation = (X[idx_valid], targets[idx_valid],
                          None if weights is None else weights[idx_valid])
        t_valid = None if validation is None else validation[1]
        data = SimpleNamespace(
            rows=rows, t_valid=t_valid, monitor=self._resolve_monitor(t_valid),
            X=_as_tensor(X[rows] if rows.size < X.shape[0] else X, dtype),
            targets=self._target_tensor(targets[rows], dtype),
            weights=None if weights is None else torch.as_tensor(weights[rows],
                                                                 dtype=dtype),
            validation=None)
        if validation is not None:
            tensors = [_as_tensor(validation[0], dtype),
                       self._target_tensor(validation[1], dtype)]
            if validation[2] is not None:
                tensors.append(torch.as_tensor(validation[2], dtype=dtype))
            data.validation = tuple(tensors)
        return data

    def _start_at_best_constant(self, data) -> None:
        """Shift the output bias so that the mean initial output is the best constant.

        The (weighted) log-odds of the class frequencies, or the target's mean: a fresh
        network then starts where a model without inputs would end, instead of
        spending its first epochs moving the intercept (with ``class_weight``, or a
        rare outcome, that is a long way for Adam's lr-sized steps).
        """
        model = self.model_
        with torch.no_grad():
            was_training = model.training
            model.eval()
            out = model(data.X)
            model.train(was_training)
            if data.weights is None:
                mean = out.mean(dim=0)
            else:
                w = data.weights[:, None]
                mean = (out * w).sum(dim=0) / w.sum()
            best = self._null_output(data.targets, data.weights)
            model.output_bias().add_((best - mean).to(out.dtype))

    def _fit_minibatch(self, data, forward, gram, seed, checkpoint=None):
        """``solver="adam"`` / ``"sgd"``: mini-batch epochs, best validation epoch."""
        n_train = data.X.shape[0]
        batch_size = min(200 if self.batch_size == "auto" else self.batch_size, n_train)
        return train_module(
            self.model_, self._make_optimizer(self.model_), self._loss, data.X,
            data.targets, validation=data.validation,
            score_fn=(None if data.monitor == "loss"
                      else self._score_fn(data.monitor, data.t_valid)),
            penalty_value=lambda: self._penalty_value(gram), max_epochs=self.max_epochs,
            batch_size=batch_size, n_iter_no_change=self.n_iter_no_change, tol=self.tol,
            generator=torch.Generator().manual_seed(seed), verbose=bool(self.verbose),
            description=type(self).__name__, forward=forward,
            sample_weight=data.weights, checkpoint=checkpoint)

    def _fit_full_batch(self, data, forward, checkpoint=None):
        """``solver="fista"``: to convergence on the training objective, full batch.

        No early stopping: the fit ends at a stationary point, whose zeros the KKT
        certificate can confirm; the validation data only score the result.
        """
        groups = penalized_param_groups(self.model_, self._penalties(self.model_))
        result = train_full_batch(self.model_, self._loss, data.X, data.targets, groups,
                                  max_iter=self.max_epochs, tol=self.tol,
                                  n_iter_no_change=self.n_iter_no_change,
                                  forward=forward, sample_weight=data.weights,
                                  checkpoint=checkpoint)
        validation = data.validation
        if validation is not None:
            with torch.no_grad():
                out = self.model_(validation[0])
                loss = float(self._loss(out, *validation[1:]))
            result.best_score = (-loss if data.monitor == "loss" else float(
                self._score_fn(data.monitor, data.t_valid)(out.cpu().numpy(),
                                                           validation[1].cpu().numpy())))
            result.history[-1]["valid_loss"] = loss
        return result

    def _build_model(self, n_features: int, n_encoded: int, dtype) -> MLP:
        n_outputs = self._n_outputs()
        skip = n_outputs if self.skip_connection else 0
        encoder = (None if not n_encoded else
                   self.encoder.build_module(n_encoded, skip))
        return MLP(
            n_features - n_encoded, n_outputs, self.hidden_layer_sizes, self.activation,
            self.dropout, encoder=encoder, skip_connection=self.skip_connection,
        ).to(dtype)

    def _same_architecture(self, model: MLP) -> bool:
        """Whether warm_start may continue from the current ``model_``."""
        old = getattr(self, "model_", None)
        if old is None or type(old.encoder) is not type(model.encoder):
            return False
        shapes = [p.shape for p in model.parameters()]
        return shapes == [p.shape for p in old.parameters()] and (
            next(old.parameters()).dtype == next(model.parameters()).dtype
        )

    def _penalties(self, model: MLP) -> dict:
        """Penalty per parameter-name pattern (first match wins; biases never)."""
        hidden = self.hidden_alpha
        if hidden == "penalty":
            # The deeper layers' ridge follows the first-layer alpha: rescaling a hidden
            # unit (first-layer row x c, its outgoing weights / c) then costs the same
            # on both sides, and the network's use of an input is penalized on the
            # scale of its skip weight (see the hidden_alpha docstring).
            hidden = 0.0 if self.penalty_ is None else float(self.penalty_.alpha)
        ridge = L2(alpha=hidden) if hidden > 0 else None
        skip_rows = (None if self.penalty_ is None
                     else self.penalty_.get_params().get("skip_rows"))
        if skip_rows is not None and int(skip_rows) != model.n_skip:
            raise ValueError(
                f"{type(self.penalty_).__name__} penalizes a first layer with "
                f"{int(skip_rows)} skip row(s), but this network has {model.n_skip} "
                "(skip_connection=True gives one per output); set skip_connection=True "
                "or the penalty's skip_rows.")
        penalties = {INPUT_LAYER_WEIGHT: self.penalty_}
        if model.encoder is not None:
            penalties[ENCODER_WEIGHT] = self.encoder.weight_penalty(ridge)
        if len(self.hidden_layer_sizes) > 0:
            penalties.update(self._hidden_penalties(model, ridge))
        return penalties

    def _hidden_penalties(self, model: MLP, ridge) -> dict:
        """``ridge`` on the weights after the first layer, each bounded in norm by
        ``hidden_max_norm`` when it is set."""
        if self.hidden_max_norm is None:
            return {"body.*.weight": ridge}
        names = [name for name, _ in model.hidden_weights()]
        bounds = np.atleast_1d(np.asarray(self.hidden_max_norm, dtype=float))
        if bounds.ndim != 1 or bounds.size not in (1, len(names)):
            raise ValueError(
                f"hidden_max_norm needs one number, or one per weight after the first "
                f"layer ({len(names)} here); got {self.hidden_max_norm!r}.")
        if self.solver != "fista" and self.penalty_mode != "proximal":
            raise ValueError(
                "hidden_max_norm is applied by the prox: it needs solver='fista' or "
                f"penalty_mode='proximal'; got solver={self.solver!r}, "
                f"penalty_mode={self.penalty_mode!r}.")
        bounds = np.broadcast_to(bounds, (len(names),))
        alpha = 0.0 if ridge is None else ridge.alpha
        return {name: L2(alpha=alpha, max_norm=float(bound))
                for name, bound in zip(names, bounds)}

    def _make_optimizer(self, model):
        groups = penalized_param_groups(
            model, self._penalties(model), penalty_mode=self.penalty_mode,
            shrink_clip=self.shrink_clip,
        )
        if self.solver == "sgd":
            return ProxSGD(groups, lr=self.learning_rate_init, momentum=self.momentum)
        return ProxAdam(groups, lr=self.learning_rate_init)

    def _penalty_value(self, gram=None) -> float:
        """The penalty part of the objective at the current weights."""
        params = dict(self.model_.named_parameters())
        total = 0.0
        with torch.no_grad():
            for pattern, penalty in self._penalties(self.model_).items():
                if penalty is None:
                    continue
                if pattern == ENCODER_WEIGHT:
                    total += self.encoder.penalty_value(self.model_.encoder, penalty, gram)
                    continue
                total += sum(float(penalty.value(p)) for name, p in params.items()
                             if fnmatchcase(name, pattern))
        return total

    # -- fitted attributes ------------------------------------------------------------
    def _set_weight_attributes(self, n_encoded: int = 0) -> None:
        """The attributes derived from the weights alone (also used on reload)."""
        weight = self.model_.input_layer.weight.detach()
        self.first_layer_weights_ = weight.T.cpu().numpy().copy()
        self.feature_importances_ = torch.linalg.vector_norm(weight, dim=0).cpu().numpy()
        support = (weight != 0).any(dim=0).cpu().numpy()
        names = self._input_names(n_encoded)
        self.first_layer_feature_names_ = names
        self.selected_features_ = names[support]
        if self.encoder is not None and self.model_.encoder is not None:
            self.encoder_ = clone(self.encoder)
            self.encoder_.set_fitted(self.model_.encoder, n_encoded,
                                     self._raw_names()[self.n_features_in_ - n_encoded:])
        elif hasattr(self, "encoder_"):
            del self.encoder_
        if len(self.hidden_layer_sizes) == 0:
            self._set_linear_attributes(weight, self.model_.input_layer.bias.detach())

    def _set_kkt_certificate(self, tX, tT, weights=None) -> None:
        """``kkt_violation_``: the optimality certificate of the zero inputs.

        From the full-batch gradient of the training data loss at the returned weights
        (dropout off); a ratio <= 1 means that input's zero is a KKT point.
        """
        weight = self.model_.input_layer.weight.detach()
        self.model_.zero_grad(set_to_none=True)
        with torch.enable_grad():
            self._loss(self.model_(tX), tT, weights).backward()
        grad = self.model_.input_layer.weight.grad.detach()
        self.model_.zero_grad(set_to_none=True)
        if self.penalty_ is None:
            support = (weight != 0).any(dim=0).cpu().numpy()
            self.kkt_violation_ = np.where(support, np.nan, np.inf)
        else:
            self.kkt_violation_ = self.penalty_.kkt_ratio(weight, grad).cpu().numpy()

    def _set_linear_attributes(self, weight, bias):
        self.coef_ = weight.cpu().numpy().copy()
        self.intercept_ = bias.cpu().numpy().copy()

    def _raw_names(self) -> np.ndarray:
        if hasattr(self, "feature_names_in_"):
            return np.asarray(self.feature_names_in_, dtype=object)
        return np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)

    def _input_names(self, n_encoded: int) -> np.ndarray:
        """Names of the first layer's inputs: ``genetic_k`` units, then plain columns."""
        names = self._raw_names()
        if not n_encoded:
            return names
        genetic = [f"genetic_{k}" for k in range(self.model_.n_encoder_units)]
        plain = names[: self.n_features_in_ - n_encoded]
        return np.asarray(genetic + list(plain), dtype=object)

    def _forward(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        # Inference runs in float64 on a copy of the network, whatever the training
        # dtype: float32 GEMMs give results that depend on the batch composition (BLAS
        # blocking), and a prediction must not depend on which other rows came with it.
        # Rows go through in chunks of ~256 MB so that a genotype matrix is never
        # copied whole to float64.
        model = copy.deepcopy(self.model_).double()
        X = np.asarray(X)
        rows = max(1, (1 << 25) // max(1, X.shape[1]))
        outs = []
        with torch.no_grad():
            for start in range(0, X.shape[0], rows):
                chunk = torch.as_tensor(X[start:start + rows], dtype=torch.float64)
                outs.append(model(chunk).cpu().numpy())
        if not outs:
            return np.empty((0, self._n_outputs()))
        return np.concatenate(outs, axis=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags

"""Shared machinery of the scikit-learn estimators: one fit for every task."""

from __future__ import annotations

import copy
import math
import warnings
from fnmatch import fnmatchcase
from numbers import Integral, Real

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

__all__ = ["BaseSparseMLP"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _as_tensor(array, dtype) -> torch.Tensor:
    """A tensor sharing memory with ``array`` where the dtype allows (no copy of X).

    Read-only arrays (pandas 3 hands them out) make torch warn that writing would be
    undefined; riata never writes into its inputs, so the warning is silenced rather
    than paid for with a copy of a possibly multi-GB genotype matrix.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.as_tensor(np.asarray(array), dtype=dtype)


class BaseSparseMLP(BaseEstimator):
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
        "hidden_alpha": [Interval(Real, 0, None, closed="left")],
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
        self.random_state = random_state
        self.verbose = verbose

    # -- task hooks (subclasses) ---------------------------------------------------------
    _monitors: tuple = ("auto", "loss")
    _stratify: bool = False

    def _encode_targets(self, y, reset: bool):  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample_losses(self, outputs, targets):  # pragma: no cover - abstract
        raise NotImplementedError

    def _loss(self, outputs, targets):
        """The mean training loss of a batch (what ``fit`` minimizes, without penalty)."""
        return self._sample_losses(outputs, targets).mean()

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
    def fit(self, X, y, *, validation_data=None):
        """Fit the network; keep the best validation epoch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            numpy array or pandas DataFrame (column names become ``feature_names_in_``).
            With an ``encoder``, its columns come last.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        validation_data : tuple (X_valid, y_valid), optional
            Held-out data for choosing the best epoch. If None and ``early_stopping``,
            a ``validation_fraction`` of ``X`` is held out (stratified for classifiers).

        Returns
        -------
        self
        """
        self._check_settings()
        X, targets = self._validated(X, y)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        fit_rows = np.arange(X.shape[0])
        if validation_data is not None:
            X_valid, y_valid = validation_data
            X_valid = validate_data(self, X_valid, reset=False,
                                    dtype=[np.float64, np.float32])
            validation = (X_valid, self._encode_targets(np.asarray(y_valid), reset=False))
        elif self.early_stopping and self.solver != "fista":
            fit_rows, idx_valid = self._split(X, targets, rng)
            validation = (X[idx_valid], targets[idx_valid])
        else:
            validation = None
        n_encoded = self._n_encoded(X)
        self.penalty_ = None if self.penalty is None else clone(self.penalty)
        dtype = _DTYPES[self.dtype]
        tX = _as_tensor(X[fit_rows] if fit_rows.size < X.shape[0] else X, dtype)
        tT = self._target_tensor(targets[fit_rows], dtype)
        t_valid = None
        if validation is not None:
            t_valid = validation[1]
            validation = (_as_tensor(validation[0], dtype),
                          self._target_tensor(validation[1], dtype))
        monitor = self._resolve_monitor(t_valid)
        n_train = tX.shape[0]
        batch_size = min(200 if self.batch_size == "auto" else self.batch_size, n_train)
        # The encoder's block of fit's own samples (the kernel among them).
        gram = _as_tensor(X[:, X.shape[1] - n_encoded:], dtype) if n_encoded else None
        # All randomness (initial weights, dropout, batch order) comes from
        # random_state; fork_rng keeps torch's global generator untouched.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = self._build_model(X.shape[1], n_encoded, dtype)
            if self.encoder is not None:
                self.encoder.initialize(model.encoder, fit_rows, X.shape[0])
            if not (self.warm_start and self._same_architecture(model)):
                self.model_ = model
            forward = (None if self.encoder is None
                       else self.encoder.training_forward(fit_rows))
            if self.solver == "fista":
                result = self._fit_full_batch(tX, tT, validation, monitor, t_valid,
                                              forward)
            else:
                result = train_module(
                    self.model_, self._make_optimizer(self.model_), self._loss, tX, tT,
                    validation=validation,
                    score_fn=(None if monitor == "loss"
                              else self._score_fn(monitor, t_valid)),
                    penalty_value=lambda: self._penalty_value(gram),
                    max_epochs=self.max_epochs,
                    batch_size=batch_size, n_iter_no_change=self.n_iter_no_change,
                    tol=self.tol, generator=torch.Generator().manual_seed(seed),
                    verbose=bool(self.verbose), description=type(self).__name__,
                    forward=forward,
                )
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.best_score_ = result.best_score
        self.n_iter_ = len(result.history)
        self.monitor_ = monitor if validation is not None else None
        self._set_weight_attributes(n_encoded)
        self._set_kkt_certificate(tX, tT)
        return self

    def _fit_full_batch(self, tX, tT, validation, monitor, t_valid, forward):
        """``solver="fista"``: to convergence on the training objective, full batch.

        No early stopping: the fit ends at a stationary point, whose zeros the KKT
        certificate can confirm; the validation data only score the result.
        """
        groups = penalized_param_groups(self.model_, self._penalties(self.model_))
        result = train_full_batch(self.model_, self._loss, tX, tT, groups,
                                  max_iter=self.max_epochs, tol=self.tol,
                                  n_iter_no_change=self.n_iter_no_change,
                                  forward=forward)
        if validation is not None:
            with torch.no_grad():
                out = self.model_(validation[0])
                loss = float(self._loss(out, validation[1]))
            result.best_score = (-loss if monitor == "loss" else float(
                self._score_fn(monitor, t_valid)(out.cpu().numpy(),
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
        ridge = L2(alpha=self.hidden_alpha) if self.hidden_alpha > 0 else None
        penalties = {INPUT_LAYER_WEIGHT: self.penalty_}
        if model.encoder is not None:
            penalties[ENCODER_WEIGHT] = self.encoder.weight_penalty(ridge)
        if len(self.hidden_layer_sizes) > 0:
            penalties["body.*.weight"] = ridge
        return penalties

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

    # -- hooks for path solvers -----------------------------------------------------------
    def fit_null(self, X, y):
        """Fit the null model: every first-layer weight zero, the intercept optimal.

        Builds the network as ``fit`` would (same ``random_state``), sets the first-layer
        weight (skip rows included) to zero, makes the first hidden layer's biases
        positive (their absolute value: with a zero first layer a ReLU unit with a
        negative bias would pass no gradient and stay dead along a path) and sets the
        output bias so that the network's constant output is the best constant for the
        training targets (the log-odds of the class frequencies, or the target mean).
        The penalized first-layer weights are then at the optimum of every
        ``alpha >= alpha_max``, and :meth:`loss_gradient` there gives the exact
        ``alpha_max`` of a linear model (glmnet's null model). A following ``fit`` with
        ``warm_start=True`` starts from here. Deeper layers keep their random
        initialization, so for a network alpha_max is that of this start.

        Returns
        -------
        self
        """
        self._check_settings()
        X, targets = self._validated(X, y)
        n_encoded = self._n_encoded(X)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        dtype = _DTYPES[self.dtype]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = self._build_model(X.shape[1], n_encoded, dtype)
        with torch.no_grad():
            model.input_layer.weight.zero_()
            if len(self.hidden_layer_sizes) > 0:
                model.input_layer.bias.abs_()
            best = self._null_output(self._target_tensor(targets, dtype))
            model.output_bias().add_(best - model.output_offset())
        model.eval()
        self.penalty_ = None if self.penalty is None else clone(self.penalty)
        self.model_ = model
        self._set_weight_attributes(n_encoded)
        return self

    def loss_gradient(self, X, y) -> dict:
        """Gradient of the mean training loss for every weight, at the current weights.

        The data term only (no penalty), with dropout off: what the optimality (KKT)
        conditions compare with the penalty. Nothing is changed.

        Returns
        -------
        dict of str to Tensor
            Parameter name (``"input_layer.weight"``, ``"encoder.weight"``, ...) ->
            gradient of that parameter's shape.
        """
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        dtype = next(self.model_.parameters()).dtype
        targets = self._target_tensor(self._encode_targets(np.asarray(y), reset=False),
                                      dtype)
        model = copy.deepcopy(self.model_).eval()
        with torch.enable_grad():
            loss = self._loss(model(_as_tensor(X, dtype)), targets)
            names, params = zip(*model.named_parameters())
            grads = torch.autograd.grad(loss, params, allow_unused=True)
        return {name: (torch.zeros_like(p) if g is None else g.detach())
                for name, p, g in zip(names, params, grads)}

    def loss_samples(self, X, y) -> np.ndarray:
        """Per-sample loss of the fitted model: log-loss, or half squared error.

        The terms whose mean is the training loss (:meth:`fit`'s objective without
        the penalty), evaluated in float64 on ``(X, y)``; the path solvers choose alpha
        from them on validation data (:func:`riata.estimators.choose_alpha`).

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "model_")
        targets = self._target_tensor(self._encode_targets(np.asarray(y), reset=False),
                                      torch.float64)
        outputs = torch.as_tensor(self._forward(X), dtype=torch.float64)
        return self._sample_losses(outputs, targets).numpy()

    def first_layer_output_gradient(self, X, y) -> np.ndarray:
        """Gradient of the mean training loss with respect to the first layer's outputs.

        ``G`` of shape ``(n_samples, n_first_rows)`` at the current weights, dropout
        off (skip rows included). The gradient of the first-layer weight column of any
        input ``z`` of shape ``(n_samples,)`` is ``G.T @ z``, whether or not ``z`` is a
        column of ``X``: a working-set solver checks the inputs it left out with it
        (:func:`riata.estimators.fit_genotype_path`). Not for models with an encoder.
        """
        check_is_fitted(self, "model_")
        if self.model_.encoder is not None:
            raise ValueError("first_layer_output_gradient is for networks without an "
                             "encoder (the encoder's outputs enter the first layer).")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        dtype = next(self.model_.parameters()).dtype
        targets = self._target_tensor(self._encode_targets(np.asarray(y), reset=False),
                                      dtype)
        model = copy.deepcopy(self.model_).eval()
        x = _as_tensor(X, dtype)
        with torch.enable_grad():
            first = model.input_layer(x).detach().requires_grad_(True)
            hidden = first.shape[1] - model.n_skip
            out = model.body(first[:, :hidden])
            if model.n_skip:
                out = out + first[:, hidden:]
            (grad,) = torch.autograd.grad(self._loss(out, targets), first)
        return grad.detach().cpu().numpy()

    def select_inputs(self, source) -> BaseSparseMLP:
        """Change the plain input columns of the fitted network, keeping its weights.

        ``source[i]`` is the current input column whose first-layer weights new column
        ``i`` takes over, or -1 for a new input, whose weights start at zero. A
        following ``fit`` with ``warm_start=True`` on the new columns continues from
        here. Used by working-set solvers as their set of inputs changes.

        Returns
        -------
        self
        """
        check_is_fitted(self, "model_")
        source = np.asarray(source, dtype=np.int64)
        old = self.model_
        if old.encoder is not None:
            raise ValueError("select_inputs is for networks without an encoder.")
        if source.ndim != 1 or (source >= old.n_features).any() or (source < -1).any():
            raise ValueError(f"source must list current columns (0..{old.n_features - 1})"
                             f" or -1; got {source.tolist()[:10]}.")
        dtype = next(old.parameters()).dtype
        model = MLP(source.size, self._n_outputs(), self.hidden_layer_sizes,
                    self.activation, self.dropout,
                    skip_connection=self.skip_connection).to(dtype)
        state = {k: v.clone() for k, v in old.state_dict().items()}
        weight = old.input_layer.weight.detach()
        new_weight = weight.new_zeros(weight.shape[0], source.size)
        kept = np.flatnonzero(source >= 0)
        new_weight[:, torch.as_tensor(kept)] = weight[:, torch.as_tensor(source[kept])]
        state[INPUT_LAYER_WEIGHT] = new_weight
        model.load_state_dict(state)
        model.eval()
        self.model_ = model
        self.n_features_in_ = int(source.size)
        if hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        if hasattr(self, "kkt_violation_"):
            # A kept column keeps its certificate; a new one has none until a fit.
            old_ratio = np.asarray(self.kkt_violation_, dtype=float)
            self.kkt_violation_ = np.where(source >= 0, old_ratio[np.maximum(source, 0)],
                                           np.nan)
        self._set_weight_attributes(0)
        return self

    # -- saving and loading (riata.io) ---------------------------------------------------
    #: Fitted attributes that are not weights; everything else is derived from them.
    _STATE_ATTRIBUTES = ("n_features_in_", "feature_names_in_", "best_epoch_",
                         "best_score_", "monitor_", "history_", "n_iter_",
                         "kkt_violation_")

    def fitted_state(self) -> dict:
        """The fitted attributes that are not weights, as plain data (for model files).

        Together with ``model_.state_dict()`` this is everything :meth:`restore` needs:
        attributes derived from the weights (``first_layer_weights_``,
        ``selected_features_``, ``coef_``, ``encoder_`` ...) are recomputed, not stored.
        """
        check_is_fitted(self, "model_")
        state = {k: getattr(self, k) for k in self._STATE_ATTRIBUTES if hasattr(self, k)}
        state["n_encoded"] = 0 if self.model_.encoder is None else int(
            self.model_.encoder.in_features)
        state.update(self._task_state())
        return state

    def restore(self, state: dict, tensors: dict):
        """Make this (unfitted) estimator the fitted one of ``state`` and ``tensors``.

        The network is rebuilt from the constructor parameters and ``state``, and
        ``tensors`` (a ``state_dict``) must match it name for name, shape and dtype.

        Raises
        ------
        ValueError
            If ``state`` lacks an attribute, or the tensors do not fit the network;
            the message names the attribute or tensor.
        """
        self._check_settings()
        for key in ("n_features_in_", "n_encoded"):
            if key not in state:
                raise ValueError(f"the fitted state lacks {key!r}.")
        for key in self._STATE_ATTRIBUTES:
            if key in state:
                setattr(self, key, state[key])
        self.n_features_in_ = int(self.n_features_in_)
        self._restore_task_state(state)
        n_encoded = int(state["n_encoded"])
        dtype = _DTYPES[self.dtype]
        with torch.random.fork_rng(devices=[]):
            model = self._build_model(self.n_features_in_, n_encoded, dtype)
        expected = model.state_dict()
        if set(tensors) != set(expected):
            raise ValueError(f"the weights hold tensors {sorted(tensors)}, but the "
                             f"network described has {sorted(expected)}.")
        for key, tensor in tensors.items():
            if tensor.shape != expected[key].shape or tensor.dtype != expected[key].dtype:
                raise ValueError(
                    f"tensor '{key}' has shape {tuple(tensor.shape)} and dtype "
                    f"{tensor.dtype}; the network needs {tuple(expected[key].shape)} "
                    f"and {expected[key].dtype}.")
        model.load_state_dict(tensors, strict=True)
        model.eval()
        self.penalty_ = None if self.penalty is None else clone(self.penalty)
        self.model_ = model
        self._set_weight_attributes(n_encoded)
        return self

    def _task_state(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _restore_task_state(self, state: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

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

    def _set_kkt_certificate(self, tX, tT) -> None:
        """``kkt_violation_``: the optimality certificate of the zero inputs.

        From the full-batch gradient of the training data loss at the returned weights
        (dropout off); a ratio <= 1 means that input's zero is a KKT point.
        """
        weight = self.model_.input_layer.weight.detach()
        self.model_.zero_grad(set_to_none=True)
        with torch.enable_grad():
            self._loss(self.model_(tX), tT).backward()
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

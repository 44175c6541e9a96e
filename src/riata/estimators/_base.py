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

from ..models import MLP
from ..models._mlp import ACTIVATIONS, ENCODER_WEIGHT, INPUT_LAYER_WEIGHT
from ..optim import PENALTY_MODES, ProxAdam, ProxSGD, penalized_param_groups
from ..penalties import L2, Penalty
from ..training import train_module

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
    output width, the loss and the validation scores.
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [tuple, list],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "penalty": [Penalty, None],
        "penalty_mode": [StrOptions(set(PENALTY_MODES))],
        "shrink_clip": ["boolean"],
        "solver": [StrOptions({"adam", "sgd"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "dtype": [StrOptions(set(_DTYPES))],
        "n_encoded_features": [Interval(Integral, 0, None, closed="left")],
        "encoder_dim": [Interval(Integral, 1, None, closed="left")],
        "encoder_penalty": [Penalty, None],
        "encoder_kernel": [StrOptions({"precomputed"}), None],
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
        n_encoded_features=0,
        encoder_dim=20,
        encoder_penalty=None,
        encoder_kernel=None,
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
        self.n_encoded_features = n_encoded_features
        self.encoder_dim = encoder_dim
        self.encoder_penalty = encoder_penalty
        self.encoder_kernel = encoder_kernel
        self.warm_start = warm_start
        self.hidden_alpha = hidden_alpha
        self.random_state = random_state
        self.verbose = verbose

    # -- task hooks (subclasses) ---------------------------------------------------------
    _monitors: tuple = ("auto", "loss")
    _stratify: bool = False

    def _encode_targets(self, y, reset: bool):  # pragma: no cover - abstract
        raise NotImplementedError

    def _loss(self, outputs, targets):  # pragma: no cover - abstract
        raise NotImplementedError

    def _score_fn(self, monitor: str, y_valid: np.ndarray):  # pragma: no cover
        raise NotImplementedError

    # -- fit ------------------------------------------------------------------------------
    def _check_monitor(self):
        if self.monitor not in self._monitors:
            raise ValueError(
                f"monitor of {type(self).__name__} must be one of {list(self._monitors)}; "
                f"got {self.monitor!r}."
            )

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

    def fit(self, X, y, *, validation_data=None):
        """Fit the network; keep the best validation epoch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            numpy array or pandas DataFrame (column names become ``feature_names_in_``).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        validation_data : tuple (X_valid, y_valid), optional
            Held-out data for choosing the best epoch. If None and ``early_stopping``,
            a ``validation_fraction`` of ``X`` is held out (stratified for classifiers).

        Returns
        -------
        self
        """
        self._validate_params()
        self._check_monitor()
        X, y = validate_data(self, X, y, reset=True, dtype=[np.float64, np.float32],
                             multi_output=True, y_numeric=not self._stratify)
        targets = self._encode_targets(y, reset=True)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if validation_data is not None:
            X_valid, y_valid = validation_data
            X_valid = validate_data(self, X_valid, reset=False,
                                    dtype=[np.float64, np.float32])
            X_train, t_train = X, targets
            t_valid = self._encode_targets(np.asarray(y_valid), reset=False)
        elif self.early_stopping:
            idx_train, idx_valid = self._split(X, targets, rng)
            X_train, t_train = X[idx_train], targets[idx_train]
            X_valid, t_valid = X[idx_valid], targets[idx_valid]
        else:
            X_train, t_train, X_valid, t_valid = X, targets, None, None
        if self.n_encoded_features > X.shape[1]:
            raise ValueError(
                f"n_encoded_features={self.n_encoded_features} exceeds the "
                f"{X.shape[1]} columns of X."
            )
        # The rows of X that train (the kernel columns of a kernel encoder's batches).
        internal_split = validation_data is None and self.early_stopping
        kernel_columns = idx_train if internal_split else np.arange(X.shape[0])
        self._check_kernel_input(X)
        self.penalty_ = None if self.penalty is None else clone(self.penalty)
        self.encoder_penalty_ = (
            None if self.encoder_penalty is None else clone(self.encoder_penalty)
        )
        dtype = _DTYPES[self.dtype]
        to_tensor = lambda a: _as_tensor(a, dtype)  # noqa: E731
        tX, tT = to_tensor(X_train), self._target_tensor(t_train, dtype)
        validation = None
        if X_valid is not None:
            validation = (to_tensor(X_valid), self._target_tensor(t_valid, dtype))
        monitor = self._resolve_monitor(t_valid)
        batch_size = min(200, tX.shape[0]) if self.batch_size == "auto" else min(
            self.batch_size, tX.shape[0])
        # All randomness (initial weights, dropout, batch order) comes from
        # random_state; fork_rng keeps torch's global generator untouched.
        forward, gram = None, None
        if self.encoder_kernel is not None:
            # The kernel columns of the training rows: the row-span gradient of each
            # batch lands on its own samples' dual coefficients.
            columns = torch.as_tensor(kernel_columns, dtype=torch.long)
            forward = lambda model, xb, idx: model(xb, kernel_columns=columns[idx])  # noqa: E731
            gram = to_tensor(X[:, X.shape[1] - self.n_encoded_features:])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = self._build_model(X.shape[1], dtype)
            if self.encoder_kernel is not None and kernel_columns.size < X.shape[0]:
                # Samples held out for early stopping never get a gradient on their
                # own coefficients: start them at 0, or their random start would stay
                # in their encoder outputs (unlike any new sample's).
                held_out = np.setdiff1d(np.arange(X.shape[0]), kernel_columns)
                with torch.no_grad():
                    model.encoder.weight[:, torch.as_tensor(held_out)] = 0.0
            if not (self.warm_start and self._same_architecture(model)):
                self.model_ = model
            optimizer = self._make_optimizer(self.model_)
            generator = torch.Generator().manual_seed(seed)
            result = train_module(
                self.model_, optimizer, self._loss, tX, tT, validation=validation,
                score_fn=None if monitor == "loss" else self._score_fn(monitor, t_valid),
                penalty_value=lambda: self._penalty_value(gram),
                max_epochs=self.max_epochs,
                batch_size=batch_size, n_iter_no_change=self.n_iter_no_change,
                tol=self.tol, generator=generator, verbose=bool(self.verbose),
                description=type(self).__name__, forward=forward,
            )
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.best_score_ = result.best_score
        self.n_iter_ = len(result.history)
        self.monitor_ = monitor if validation is not None else None
        self._set_weight_attributes()
        self._set_kkt_certificate(tX, tT)
        return self

    def _check_kernel_input(self, X) -> None:
        """The contract of ``encoder_kernel="precomputed"`` (see the class docstring)."""
        if self.encoder_kernel is None:
            return
        n_ref = self.n_encoded_features
        if n_ref != X.shape[0]:
            raise ValueError(
                f"encoder_kernel='precomputed' reads the last n_encoded_features columns "
                f"of X as the kernel between fit's own samples, so n_encoded_features "
                f"must equal the number of samples passed to fit ({X.shape[0]}); got "
                f"{n_ref}. Build the columns with riata.data.genotype_kernel."
            )
        gram = np.asarray(X[:, X.shape[1] - n_ref:])
        scale = max(float(np.abs(np.diagonal(gram)).max()), np.finfo(gram.dtype).tiny)
        if not np.allclose(gram, gram.T, rtol=0, atol=1e-4 * scale):
            raise ValueError(
                "encoder_kernel='precomputed': the last n_encoded_features columns of X "
                "in fit must be the kernel among fit's own samples, in the same order as "
                "the rows (a symmetric matrix); this block is not symmetric. Were the "
                "rows reordered without the kernel columns?"
            )
        pen = self.encoder_penalty
        if pen is not None and (not isinstance(pen, L2) or pen.penalty_factor is not None):
            raise ValueError(
                f"encoder_kernel='precomputed' trains the encoder in the span of the "
                f"training samples, which is exact only for no encoder penalty or a plain "
                f"L2 (no penalty_factor); got encoder_penalty={pen!r}. A per-SNP penalty "
                f"needs the SNP weights: use encoder_kernel=None."
            )

    def _target_tensor(self, t, dtype):
        return torch.as_tensor(t, dtype=dtype)

    def _build_model(self, n_features: int, dtype) -> MLP:
        return MLP(
            n_features, self._n_outputs(), self.hidden_layer_sizes, self.activation,
            self.dropout, n_encoded=self.n_encoded_features, encoder_dim=self.encoder_dim,
            encoder_kernel=self.encoder_kernel is not None,
        ).to(dtype)

    def _same_architecture(self, model: MLP) -> bool:
        """Whether warm_start may continue from the current ``model_``."""
        old = getattr(self, "model_", None)
        if old is None:
            return False
        shapes = [p.shape for p in model.parameters()]
        if type(old.encoder) is not type(model.encoder):
            return False
        return shapes == [p.shape for p in old.parameters()] and (
            next(old.parameters()).dtype == next(model.parameters()).dtype
        )

    def initial_gradient(self, X, y, *, parameter: str = INPUT_LAYER_WEIGHT) -> torch.Tensor:
        """Gradient of the training loss for a weight (the first layer's) at zero.

        The network is built as ``fit`` would build it (same ``random_state``), its
        first-layer weight set to zero, and the mean training loss differentiated; the
        result feeds ``penalty.alpha_max``. For a network the deeper layers are at
        their initial values, so the alpha_max this gives is where a path *starts*
        with every first-layer group zero, not a bound that holds after training.
        The network is left in ``model_``, so that a following ``fit`` with
        ``warm_start=True`` starts from the zero first layer. The first-layer biases
        are made positive there (their absolute value), so that no ReLU unit starts
        dead: at a zero first layer a unit with a negative bias would get no gradient.

        Parameters
        ----------
        X, y : array-like
            Training data.
        parameter : {"input_layer.weight", "encoder.weight"}, default="input_layer.weight"
            The weight set to zero and differentiated.

        Returns
        -------
        Tensor of the parameter's shape
        """
        X, y = validate_data(self, X, y, reset=True, dtype=[np.float64, np.float32],
                             multi_output=True, y_numeric=not self._stratify)
        self._check_kernel_input(X)
        targets = self._encode_targets(y, reset=True)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        dtype = _DTYPES[self.dtype]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = self._build_model(X.shape[1], dtype)
        if parameter == ENCODER_WEIGHT and self.encoder_kernel is not None:
            raise ValueError(
                "With encoder_kernel='precomputed' the encoder weight holds dual "
                "coefficients, not one column per SNP: it has no SNP-level gradient or "
                "alpha_max. Use encoder_kernel=None for an encoder penalty path."
            )
        weight = dict(model.named_parameters()).get(parameter)
        if weight is None:
            raise ValueError(
                f"parameter must name a weight of the network, one of "
                f"{[n for n, _ in model.named_parameters()]}; got {parameter!r}."
            )
        with torch.no_grad():
            weight.zero_()
            if parameter == INPUT_LAYER_WEIGHT and len(self.hidden_layer_sizes) > 0:
                # With a zero first layer a hidden unit sees only its bias; a ReLU unit
                # with a negative bias would pass no gradient and stay dead along the
                # whole path. Positive biases keep every unit alive at the start.
                model.input_layer.bias.abs_()
        loss = self._loss(model(_as_tensor(X, dtype)),
                          self._target_tensor(targets, dtype))
        (grad,) = torch.autograd.grad(loss, weight)
        self.model_ = model
        return grad.detach()

    def _penalties(self, model) -> dict:
        """Penalty per parameter-name pattern (first match wins; biases never)."""
        ridge = L2(alpha=self.hidden_alpha) if self.hidden_alpha > 0 else None
        penalties = {INPUT_LAYER_WEIGHT: self.penalty_}
        if model.encoder is not None:
            penalties[ENCODER_WEIGHT] = (
                self.encoder_penalty_ if self.encoder_penalty is not None else ridge)
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
        """The penalty part of the objective at the current weights.

        ``gram`` (kernel encoders) is the kernel among the reference samples: the
        encoder's ridge is then ``alpha / 2 * ||E||^2 = alpha / 2 * tr(W K W^T)``, the
        value of the explicit encoder, not of its dual coefficients.
        """
        params = dict(self.model_.named_parameters())
        total = 0.0
        with torch.no_grad():
            for pattern, penalty in self._penalties(self.model_).items():
                if penalty is None:
                    continue
                if pattern == ENCODER_WEIGHT and gram is not None:
                    total += 0.5 * float(penalty.alpha) * float(
                        self.model_.encoder.squared_norm(gram))
                    continue
                total += sum(float(penalty.value(p)) for name, p in params.items()
                             if fnmatchcase(name, pattern))
        return total

    # -- fitted attributes ------------------------------------------------------------
    def _set_weight_attributes(self) -> None:
        """The attributes derived from the weights alone (also used on reload)."""
        weight = self.model_.input_layer.weight.detach()
        self.first_layer_weights_ = weight.T.cpu().numpy().copy()
        self.feature_importances_ = torch.linalg.vector_norm(weight, dim=0).cpu().numpy()
        support = (weight != 0).any(dim=0).cpu().numpy()
        names = self._input_names()
        self.first_layer_feature_names_ = names
        self.selected_features_ = names[support]
        # A refit may switch between the two encoder forms: drop the other form's
        # attributes rather than leave them describing a previous fit.
        for stale in ("encoder_dual_coef_", "encoder_weights_", "selected_encoded_features_"):
            if hasattr(self, stale):
                delattr(self, stale)
        if self.model_.encoder is not None and self.encoder_kernel is not None:
            self.encoder_dual_coef_ = self.model_.encoder.weight.detach().T.cpu().numpy().copy()
        elif self.model_.encoder is not None:
            enc = self.model_.encoder.weight.detach()
            self.encoder_weights_ = enc.T.cpu().numpy().copy()
            encoded = self._raw_names()[self.n_features_in_ - self.n_encoded_features:]
            self.selected_encoded_features_ = encoded[(enc != 0).any(dim=0).cpu().numpy()]
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

    def _input_names(self) -> np.ndarray:
        """Names of the first layer's inputs: ``genetic_k`` units, then plain columns."""
        names = self._raw_names()
        if not self.n_encoded_features:
            return names
        genetic = [f"genetic_{k}" for k in range(self.encoder_dim)]
        plain = names[: self.n_features_in_ - self.n_encoded_features]
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

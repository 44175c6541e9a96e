"""The documented hooks of the estimators, for path solvers and model files.

Path solvers (:func:`riata.estimators.fit_alpha_path`,
:func:`riata.estimators.fit_genotype_path`) and :mod:`riata.io` reach a fitted network
only through these methods, never through its private attributes.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted, validate_data

from ..models import INPUT_LAYER_WEIGHT, MLP
from ..optim import penalized_param_groups
from ..training import train_full_batch
from ._tensors import DTYPES as _DTYPES
from ._tensors import as_tensor as _as_tensor

__all__ = ["SolverHooks"]


class SolverHooks:
    """Mixin of :class:`BaseSparseMLP`: null model, gradients, inputs, saved state."""

    # -- hooks for path solvers -----------------------------------------------------------
    def fit_null(self, X, y, sample_weight=None):
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
        initialization, so for a network alpha_max is that of this start. With
        ``sample_weight`` (and class weights) the best constant is the weighted one.

        Returns
        -------
        self
        """
        X, targets, weights, n_encoded, _, seed = self._prepare_fit(X, y, sample_weight)
        dtype = _DTYPES[self.dtype]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = self._build_model(X.shape[1], n_encoded, dtype)
        with torch.no_grad():
            model.input_layer.weight.zero_()
            if len(self.hidden_layer_sizes) > 0:
                model.input_layer.bias.abs_()
            best = self._null_output(self._target_tensor(targets, dtype),
                                     None if weights is None
                                     else torch.as_tensor(weights, dtype=torch.float64))
            model.output_bias().add_(best - model.output_offset())
        model.eval()
        self.penalty_ = None if self.penalty is None else clone(self.penalty)
        self.model_ = model
        self._set_weight_attributes(n_encoded)
        return self

    def loss_gradient(self, X, y, sample_weight=None) -> dict:
        """Gradient of the mean training loss for every weight, at the current weights.

        The data term only (no penalty; weighted as :meth:`fit` weighs it), with
        dropout off: what the optimality (KKT) conditions compare with the penalty.
        Nothing is changed.

        Returns
        -------
        dict of str to Tensor
            Parameter name (``"input_layer.weight"``, ``"encoder.weight"``, ...) ->
            gradient of that parameter's shape.
        """
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        dtype = next(self.model_.parameters()).dtype
        targets, weights = self._targets_and_weights(y, sample_weight, dtype)
        model = copy.deepcopy(self.model_).eval()
        with torch.enable_grad():
            loss = self._loss(model(_as_tensor(X, dtype)), targets, weights)
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

    def _targets_and_weights(self, y, sample_weight, dtype):
        """Encoded targets and the rows' weights (with class weights) as tensors."""
        encoded = self._encode_targets(np.asarray(y), reset=False)
        weights = self._fit_weights(sample_weight, encoded, "sample_weight")
        return (self._target_tensor(encoded, dtype),
                None if weights is None else torch.as_tensor(weights, dtype=dtype))

    def first_layer_output_gradient(self, X, y, sample_weight=None) -> np.ndarray:
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
        targets, weights = self._targets_and_weights(y, sample_weight, dtype)
        model = copy.deepcopy(self.model_).eval()
        x = _as_tensor(X, dtype)
        with torch.enable_grad():
            first = model.input_layer(x).detach().requires_grad_(True)
            hidden = first.shape[1] - model.n_skip
            out = model.body(first[:, :hidden])
            if model.n_skip:
                out = out + first[:, hidden:]
            (grad,) = torch.autograd.grad(self._loss(out, targets, weights), first)
        return grad.detach().cpu().numpy()

    def hidden_weight_norms(self) -> np.ndarray:
        """Frobenius norm of each weight matrix after the first layer, in order.

        Returns
        -------
        ndarray of shape (n_hidden_weights,)
            Empty for a network without hidden layers. The order is that of
            ``hidden_max_norm`` when it lists one bound per matrix.
        """
        check_is_fitted(self, "model_")
        with torch.no_grad():
            return np.asarray([float(torch.linalg.vector_norm(p))
                               for _, p in self.model_.hidden_weights()], dtype=float)

    def polish(self, X, y, sample_weight=None, *, max_iter: int = 5000,
               tol: float = 1e-9):
        """Finish the optimization at the current penalty, so that the zeros are certified.

        Full-batch accelerated proximal gradient (:func:`riata.training.train_full_batch`)
        on the training objective, from the fitted weights, until the objective settles
        (``tol``, relative) or ``max_iter`` iterations; then ``kkt_violation_`` is
        recomputed. An early-stopped mini-batch fit ends short of a stationary point
        (the case study's KKT ratios reached 1.08-3.74, issue 10); after ``polish``
        every zero input with ``kkt_violation_ <= 1`` is optimal given the rest of the
        network. A kernel encoder's dual coefficients are held fixed (their proximal
        steps are not Euclidean); the certificate concerns the first layer. ``fit``'s
        history is kept; ``polish_history_`` holds the polish's iterations.

        Parameters
        ----------
        X, y, sample_weight
            The training data of the fit.
        max_iter : int, default=5000
        tol : float, default=1e-9

        Returns
        -------
        self
        """
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        dtype = next(self.model_.parameters()).dtype
        targets, weights = self._targets_and_weights(y, sample_weight, dtype)
        model = self.model_
        frozen = [] if model.encoder is None or self.encoder.kernel is None else list(
            model.encoder.parameters())
        for p in frozen:
            p.requires_grad_(False)
        try:
            groups = penalized_param_groups(model, self._penalties(model))
            groups = [{**g, "params": [p for p in g["params"] if p.requires_grad]}
                      for g in groups]
            groups = [g for g in groups if g["params"]]
            result = train_full_batch(model, self._loss, _as_tensor(X, dtype), targets,
                                      groups, max_iter=max_iter, tol=tol,
                                      sample_weight=weights)
        finally:
            for p in frozen:
                p.requires_grad_(True)
        self.polish_history_ = result.history
        n_encoded = 0 if model.encoder is None else int(model.encoder.in_features)
        self._set_weight_attributes(n_encoded)
        self._set_kkt_certificate(_as_tensor(X, dtype), targets, weights)
        return self

    def select_inputs(self, source):
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


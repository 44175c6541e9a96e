"""The genotype encoder of a sparse network: one component, in explicit or kernel form."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from ..models import ENCODER_WEIGHT, KernelEncoder
from ..penalties import L2, Penalty

__all__ = ["GenotypeEncoder"]


class GenotypeEncoder(BaseEstimator):
    """A learned linear map from genotypes to ``dim`` units, part of a sparse network.

    Passed to :class:`~riata.SparseMLPClassifier` / :class:`~riata.SparseMLPRegressor`
    as ``encoder=``. The estimator reads its *trailing* columns of ``X`` through this
    encoder; the first layer then sees ``genetic_0 ... genetic_{dim-1}`` before the other
    columns. The component owns everything that depends on the encoder's form: the
    check of its block of ``X``, the torch module, its penalty and the penalty's value,
    and the fitted attributes. After ``fit`` the estimator holds a fitted copy in
    ``encoder_``.

    Two forms:

    ``kernel=None`` (explicit)
        The last ``n_features`` columns of ``X`` are SNPs (standardized genotypes);
        the encoder weight has one column per SNP, and any ``penalty`` applies to it
        (``GroupLasso()`` selects SNPs: one group per SNP).
    ``kernel="precomputed"``
        The last columns of ``X`` are a linear kernel ``K(x, x_j) = z(x) . z(x_j)``
        against the samples ``x_j`` passed to ``fit`` (scikit-learn's
        ``kernel="precomputed"`` convention: a square Gram matrix in ``fit``,
        ``n_samples x n_fit_samples`` for ``validation_data``, ``predict`` and
        ``score``), as built by :func:`riata.data.genotype_kernel`. The encoder holds
        dual coefficients ``W`` (explicit encoder ``E = W Z_fit``) and is trained with
        the row-span gradient (:class:`riata.models.KernelEncoder`): with
        ``solver="sgd"`` every step equals the explicit encoder's step, at O(n^2)
        instead of O(n p) per epoch. Exact only for no penalty or a plain ``L2``,
        whose value is ``alpha/2 ||E||^2``. The kernel columns belong to ``fit``'s
        samples, so tools that split ``X`` into folds (``GridSearchCV``) cannot be
        used with it: pass ``validation_data`` (or use
        :func:`riata.estimators.fit_alpha_path`), and
        :func:`riata.estimators.explicit_encoder_estimator` for a model over the SNPs.

    Parameters
    ----------
    n_features : int or None, default=None
        Explicit form: the number of trailing SNP columns of ``X`` (required).
        Kernel form: None (the block's width is the number of samples given to
        ``fit``) or that number.
    dim : int, default=20
        Units of the genetic representation (``genetic_k`` inputs of the first layer).
    penalty : Penalty or None, default=None
        Penalty on the encoder weight. None: the estimator's ``hidden_alpha`` ridge.
        Without any penalty the encoder could grow its outputs while the first-layer
        genetic rows shrink at no cost, which would make a first-layer penalty on
        those rows meaningless.
    kernel : {None, "precomputed"}, default=None

    Attributes (of the fitted copy ``estimator.encoder_``)
    ----------
    n_columns_ : int
        Trailing columns of ``X`` read by the encoder.
    weights_ : ndarray of shape (n_features, n_rows)
        Explicit form: one row per SNP; ``n_rows`` is ``dim``, plus the network's
        outputs with ``skip_connection`` (the SNPs' skip weights, last).
    selected_features_ : ndarray of str
        Explicit form: names of the SNP columns with a nonzero weight.
    dual_coef_ : ndarray of shape (n_fit_samples, n_rows)
        Kernel form: one row per fit sample
        (:func:`riata.data.kernel_encoder_weights` turns them into per-SNP weights).

    Examples
    --------
    >>> import numpy as np
    >>> from riata import SparseMLPRegressor
    >>> from riata.estimators import GenotypeEncoder
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 12))      # 2 clinical columns, then 10 SNPs
    >>> y = X[:, 0] + X[:, 5]
    >>> reg = SparseMLPRegressor((8,), encoder=GenotypeEncoder(n_features=10, dim=3),
    ...                          max_epochs=5, random_state=0).fit(X, y)
    >>> reg.encoder_.weights_.shape, list(reg.first_layer_feature_names_[:4])
    ((10, 3), ['genetic_0', 'genetic_1', 'genetic_2', 'x0'])
    """

    _parameter_constraints: dict = {
        "n_features": [Interval(Integral, 1, None, closed="left"), None],
        "dim": [Interval(Integral, 1, None, closed="left")],
        "penalty": [Penalty, None],
        "kernel": [StrOptions({"precomputed"}), None],
    }

    def __init__(self, n_features=None, dim=20, penalty=None, kernel=None):
        self.n_features = n_features
        self.dim = dim
        self.penalty = penalty
        self.kernel = kernel

    # -- what the estimator asks of its encoder ------------------------------------------
    def check_block(self, X: np.ndarray) -> int:
        """Validate the encoder's block of ``X`` in ``fit``; return its width.

        Raises
        ------
        ValueError
            If the block does not fit the form: too few columns, a kernel block that
            is not square and symmetric, or a penalty the kernel form cannot apply.
        """
        self._validate_params()
        if self.kernel is None:
            if self.n_features is None:
                raise ValueError("GenotypeEncoder(kernel=None) needs n_features: the "
                                 "number of trailing SNP columns of X.")
            if self.n_features > X.shape[1]:
                raise ValueError(f"GenotypeEncoder.n_features={self.n_features} exceeds "
                                 f"the {X.shape[1]} columns of X.")
            return int(self.n_features)
        n = X.shape[0]
        if self.n_features not in (None, n) or n > X.shape[1]:
            raise ValueError(
                f"GenotypeEncoder(kernel='precomputed') reads the last columns of X as "
                f"the kernel between fit's own samples, so its block must be "
                f"{n} columns wide (one per sample passed to fit); got "
                f"n_features={self.n_features} and X with {X.shape[1]} columns. Build "
                "the columns with riata.data.genotype_kernel.")
        gram = np.asarray(X[:, X.shape[1] - n:])
        scale = max(float(np.abs(np.diagonal(gram)).max()), np.finfo(gram.dtype).tiny)
        if not np.allclose(gram, gram.T, rtol=0, atol=1e-4 * scale):
            raise ValueError(
                "GenotypeEncoder(kernel='precomputed'): the last columns of X in fit must "
                "be the kernel among fit's own samples, in the same order as the rows (a "
                "symmetric matrix); this block is not symmetric. Were the rows reordered "
                "without the kernel columns?")
        pen = self.penalty
        if pen is not None and (type(pen) is not L2 or pen.penalty_factor is not None):
            raise ValueError(
                f"GenotypeEncoder(kernel='precomputed') trains the encoder in the span of "
                f"the training samples, which is exact only for no penalty or a plain L2 "
                f"(no penalty_factor); got penalty={pen!r}. A per-SNP penalty needs the "
                f"SNP weights: use kernel=None.")
        return n

    def build_module(self, n_columns: int, n_skip: int) -> nn.Module:
        """The torch module: ``n_columns`` inputs, ``dim + n_skip`` outputs, no bias."""
        width = self.dim + n_skip
        if self.kernel is None:
            return nn.Linear(n_columns, width, bias=False)
        return KernelEncoder(n_columns, width)

    def weight_penalty(self, ridge: Penalty | None) -> Penalty | None:
        """The penalty of the encoder weight: ``penalty``, or the estimator's ridge."""
        return ridge if self.penalty is None else self.penalty

    def penalty_value(self, module: nn.Module, penalty: Penalty | None,
                      gram: torch.Tensor | None) -> float:
        """The penalty's value at the current weights, on the explicit encoder's scale.

        For the kernel form ``gram`` is the kernel among the fit samples: the ridge is
        then ``alpha / 2 ||E||^2 = alpha / 2 tr(W K W^T)``, the explicit encoder's value,
        not the value of the dual coefficients.
        """
        if penalty is None:
            return 0.0
        if self.kernel is None:
            return float(penalty.value(module.weight))
        return 0.5 * float(penalty.alpha) * float(module.squared_norm(gram))

    def initialize(self, module: nn.Module, fit_rows: np.ndarray, n_samples: int) -> None:
        """Kernel form: the coefficients of fit samples that do not train start at 0.

        Samples held out for early stopping never get a gradient on their own
        coefficients; a random start would stay in their encoder outputs (unlike any
        new sample's).
        """
        if self.kernel is None or fit_rows.size == n_samples:
            return
        held_out = np.setdiff1d(np.arange(n_samples), fit_rows)
        with torch.no_grad():
            module.weight[:, torch.as_tensor(held_out)] = 0.0

    def training_forward(self, fit_rows: np.ndarray):
        """``forward(model, X_batch, index)`` for training batches, or None.

        Kernel form: the row-span gradient of each batch lands on its own samples'
        coefficients, so the model needs the kernel columns of the batch's rows.
        """
        if self.kernel is None:
            return None
        columns = torch.as_tensor(fit_rows, dtype=torch.long)
        return lambda model, xb, idx: model(xb, columns=columns[idx])

    def set_fitted(self, module: nn.Module, n_columns: int, column_names) -> None:
        """Record the fitted attributes (on the estimator's fitted copy)."""
        self.n_columns_ = int(n_columns)
        weight = module.weight.detach()
        rows = weight.T.cpu().numpy().copy()
        if self.kernel is not None:
            self.dual_coef_ = rows
            return
        self.weights_ = rows
        nonzero = (weight != 0).any(dim=0).cpu().numpy()
        self.selected_features_ = np.asarray(column_names, dtype=object)[nonzero]

    @staticmethod
    def parameter_name() -> str:
        """The encoder weight's parameter name in the network (penalty patterns)."""
        return ENCODER_WEIGHT

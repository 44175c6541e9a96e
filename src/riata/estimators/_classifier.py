"""SparseMLPClassifier: a sparse feed-forward network with scikit-learn's contract."""

from __future__ import annotations

import inspect

import numpy as np
import torch
from scipy.special import expit, softmax
from sklearn.base import ClassifierMixin
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.preprocessing import LabelEncoder, label_binarize
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d
from torch.nn import functional as F

from ._base import BaseSparseMLP

__all__ = ["SparseMLPClassifier"]

#: The defaults of the parameters shared with the regressor: one home, the base class.
_BASE = {name: p.default for name, p in
         inspect.signature(BaseSparseMLP.__init__).parameters.items() if name != "self"}


class SparseMLPClassifier(ClassifierMixin, BaseSparseMLP):
    r"""Feed-forward network classifier with a penalty on its first-layer weights.

    Minimizes, over the network weights (``W`` the first-layer weight),

    .. math:: \frac{1}{n} \sum_{i=1}^n \ell(y_i, f(x_i)) + \texttt{penalty}(W)

    with ``l`` the logistic loss (binary, one logit) or the cross-entropy (multiclass).
    Biases and deeper layers are not penalized. The penalty is applied as
    ``penalty_mode`` says: ``"proximal"`` (default, exact zeros), ``"autograd"`` (added
    to the loss and differentiated) or ``"shrink"`` (a decoupled step toward zero).
    The training data loss is a *mean*, so ``alpha`` is on scikit-learn's ``Lasso``
    scale: ``LogisticRegression(C=C)`` corresponds to ``alpha = 1 / (C * n_samples)``.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(20,)
        Widths of the hidden layers; ``()`` is a (multinomial) logistic regression,
        which also exposes ``coef_`` and ``intercept_``.
    activation : {"relu", "tanh", "logistic", "elu", "identity"}, default="relu"
    dropout : float in [0, 1), default=0.0
        Dropout after each hidden activation.
    penalty : Penalty or None, default=None
        Penalty on the first-layer weight, e.g. ``GroupLasso(alpha=0.01)`` (one group
        per input variable). None trains without regularization.
    penalty_mode : {"proximal", "autograd", "shrink"}, default="proximal"
    shrink_clip : bool, default=False
        In ``"shrink"`` mode, set weights that would cross zero to zero.
    solver : {"adam", "sgd", "fista"}, default="adam"
        :class:`riata.optim.ProxAdam` or :class:`riata.optim.ProxSGD` (with momentum)
        on mini-batches, with early stopping; or ``"fista"``: full-batch accelerated
        proximal gradient with backtracking (:func:`riata.training.train_full_batch`),
        run to convergence (``max_epochs`` iterations at most, ``tol`` the relative
        objective decrease that counts as progress): the fit then ends at a stationary
        point whose zeros the KKT certificate confirms. ``"fista"`` ignores
        ``batch_size``, ``learning_rate_init`` and early stopping.
    learning_rate_init : float, default=1e-3
    momentum : float, default=0.9
        Only for ``solver="sgd"``.
    batch_size : int or "auto", default="auto"
        ``min(200, n_samples)`` for "auto".
    max_epochs : int, default=200
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training data (stratified) and keep the
        epoch with the best validation ``monitor``; stop after ``n_iter_no_change``
        epochs without improvement. Ignored when ``fit`` gets ``validation_data``.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    tol : float, default=1e-4
        Minimum improvement of the monitored score that resets the patience.
    monitor : {"auto", "loss", "roc_auc", "average_precision"}, default="auto"
        Validation criterion of the best epoch. "auto" is "loss" (the validation
        log-loss): AUROC and AP are rank statistics that plateau and jump on small
        validation sets, so early stopping on them stopped the case study's
        clinical-only network at epochs 4-13 (issue 9); the loss is smooth.
    dtype : {"float32", "float64"}, default="float32"
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as scikit-learn defines them: a dict
        ``{class_label: weight}``, or "balanced" for ``n_samples / (n_classes *
        np.bincount(y))``; multiplied into ``sample_weight``. The loss is the weighted
        mean, so with "balanced" it equals ``LogisticRegression(class_weight=
        "balanced", C=1 / (alpha n))``'s objective divided by n.
    skip_connection : bool, default=False
        Give every first-layer input (and every encoded SNP) a linear path to the
        output beside the network, in the same penalty group as its network weights
        (:class:`riata.models.SkipLinear`; LassoNet's residual layer, penalized with
        the input's first-layer weights instead of LassoNet's hierarchy constraint).
        Where every input weight is zero the linear path still has the gradient of a
        linear model, so a path from ``alpha_max`` lets inputs enter as a lasso would;
        without it the first layer's gradient depends on the random deeper layers.
    encoder : GenotypeEncoder or None, default=None
        A learned linear encoder of the trailing columns of ``X`` (genotypes, or a
        genotype kernel), whose ``dim`` outputs the first layer sees as inputs
        ``genetic_0 ...`` before the other columns; see
        :class:`riata.estimators.GenotypeEncoder`.
    hidden_alpha : float or "penalty", default=1e-4
        Ridge (``L2``) strength on the weights after the first layer, and on the
        encoder unless the encoder has its own penalty. A penalty on the first layer
        alone has no minimizer in a ReLU network: shrinking the first layer and growing
        the next leaves the function unchanged while the penalty tends to zero, so
        which inputs survive would depend on when training stops. This ridge makes the
        problem well posed (scikit-learn's ``MLPClassifier`` uses the same default
        ``alpha=1e-4`` on all weights). It also sets how cheaply the network can use an
        input nonlinearly: balancing a first-layer group penalty ``alpha`` against a
        ridge ``beta`` on the next layer penalizes a hidden path through an input on
        the scale ``(alpha^2 beta)^(1/3)``, far below ``alpha`` for the default
        ``beta``. ``"penalty"`` sets ``beta`` to the first-layer penalty's alpha (so
        it follows an alpha path): a hidden path is then penalized on the scale of the
        input's own (skip) weight, and a small cohort's network does not bring in
        hundreds of noise SNPs through its hidden units. Biases are never penalized.
    hidden_max_norm : float, sequence of float or None, default=None
        Bound on the Frobenius norm of each weight matrix after the first layer (one
        number for all, or one per matrix in order), applied by the ridge's prox
        (:class:`riata.penalties.L2` ``max_norm``); needs ``solver="fista"`` or
        ``penalty_mode="proximal"``. None: no bound. With the norm of the deeper
        layers bounded, shrinking the first layer cannot be bought back by growing
        them, so the first-layer penalty keeps its scale.
        :func:`riata.estimators.fit_genotype_path` sets it to the deeper layers'
        norms at the start of its path (``hold_hidden_norm``).
    warm_start : bool, default=False
        Continue from the previous fit's weights when the architecture is unchanged
        (used by :func:`riata.estimators.fit_alpha_path`).
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, the validation split, dropout and batch order.
    verbose : bool, default=False
        Show a progress bar.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    model_ : riata.models.MLP
        The trained network (best epoch), in eval mode.
    penalty_ : Penalty or None
        The fitted copy of ``penalty``.
    first_layer_weights_ : ndarray of shape (n_first_inputs, n_first)
        First-layer weights, one row per input variable (the transpose of torch's
        ``input_layer.weight``); what the heat maps draw.
    feature_importances_ : ndarray of shape (n_first_inputs,)
        L2 norm of each input variable's first-layer weights (skip weights included).
    first_layer_feature_names_ : ndarray of str
        Names of the first layer's inputs: ``feature_names_in_`` (or ``x0, x1, ...``),
        with the encoded columns replaced by ``genetic_0 ...`` in front.
    selected_features_ : ndarray of str
        Names of the first-layer inputs with a nonzero first-layer weight.
    encoder_ : GenotypeEncoder
        Only with an ``encoder``: its fitted copy, holding the encoder's weights
        (``weights_`` / ``selected_features_``, or ``dual_coef_`` for a kernel).
    kkt_violation_ : ndarray of shape (n_first_inputs,)
        For each input whose weights are all zero, the smallest ``alpha`` at which that
        zero is optimal (given the full-batch training gradient at the returned
        weights) divided by the penalty's ``alpha``: <= 1 means the zero is a KKT
        point. NaN for selected inputs.
    best_epoch_ : int
    best_score_ : float
        Validation score at the best epoch (``-loss`` when monitoring the loss).
    monitor_ : str or None
    history_ : list of dict
        Per epoch: ``train_loss``, ``objective``, ``valid_loss``, ``valid_score``.
    n_iter_ : int
        Epochs run.
    coef_ : ndarray of shape (1, n_features_in_) or (n_classes, n_features_in_)
        Only when ``hidden_layer_sizes=()``.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Only when ``hidden_layer_sizes=()``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    SparseMLPRegressor, riata.penalties.GroupLasso, riata.optim.ProxAdam

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from riata import SparseMLPClassifier, GroupLasso
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = SparseMLPClassifier(penalty=GroupLasso(alpha=0.01), random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    >>> len(clf.selected_features_) < X.shape[1]
    True
    """

    _monitors = ("auto", "loss", "roc_auc", "average_precision")
    _stratify = True
    _parameter_constraints: dict = {
        **BaseSparseMLP._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(
        self,
        hidden_layer_sizes=_BASE["hidden_layer_sizes"],
        *,
        activation=_BASE["activation"],
        dropout=_BASE["dropout"],
        penalty=_BASE["penalty"],
        penalty_mode=_BASE["penalty_mode"],
        shrink_clip=_BASE["shrink_clip"],
        skip_connection=_BASE["skip_connection"],
        encoder=_BASE["encoder"],
        solver=_BASE["solver"],
        learning_rate_init=_BASE["learning_rate_init"],
        momentum=_BASE["momentum"],
        batch_size=_BASE["batch_size"],
        max_epochs=_BASE["max_epochs"],
        early_stopping=_BASE["early_stopping"],
        validation_fraction=_BASE["validation_fraction"],
        n_iter_no_change=_BASE["n_iter_no_change"],
        tol=_BASE["tol"],
        monitor=_BASE["monitor"],
        dtype=_BASE["dtype"],
        class_weight=None,
        warm_start=_BASE["warm_start"],
        hidden_alpha=_BASE["hidden_alpha"],
        hidden_max_norm=_BASE["hidden_max_norm"],
        random_state=_BASE["random_state"],
        verbose=_BASE["verbose"],
    ):
        super().__init__(
            hidden_layer_sizes,
            activation=activation,
            dropout=dropout,
            penalty=penalty,
            penalty_mode=penalty_mode,
            shrink_clip=shrink_clip,
            skip_connection=skip_connection,
            encoder=encoder,
            solver=solver,
            learning_rate_init=learning_rate_init,
            momentum=momentum,
            batch_size=batch_size,
            max_epochs=max_epochs,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            monitor=monitor,
            dtype=dtype,
            warm_start=warm_start,
            hidden_alpha=hidden_alpha,
            hidden_max_norm=hidden_max_norm,
            random_state=random_state,
            verbose=verbose,
        )
        self.class_weight = class_weight

    def _encode_targets(self, y, reset):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim != 1:
            raise ValueError(
                f"SparseMLPClassifier expects a 1-d target; got shape {y.shape}."
            )
        check_classification_targets(y)
        if reset:
            self._label_encoder = LabelEncoder().fit(y)
            self.classes_ = self._label_encoder.classes_
            if self.classes_.size < 2:
                raise ValueError(
                        f"y has only one class ({self.classes_[0]!r}); a classifier needs at "
                    "least two."
                )
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(
                f"validation_data contains classes absent from y: {unknown.tolist()[:5]}."
            )
        return self._label_encoder.transform(y)

    def _n_outputs(self):
        return 1 if self.classes_.size == 2 else int(self.classes_.size)

    def _task_state(self) -> dict:
        return {"classes_": self.classes_}

    def _restore_task_state(self, state: dict) -> None:
        classes = state.get("classes_")
        if not isinstance(classes, np.ndarray) or classes.ndim != 1 or classes.size < 2:
            raise ValueError("a classifier's fitted state needs classes_ with at least "
                             "two classes.")
        self._label_encoder = LabelEncoder()
        self._label_encoder.classes_ = classes
        self.classes_ = classes

    def _class_weights(self, targets):
        """Per-row class weights of ``class_weight`` (scikit-learn's convention)."""
        if self.class_weight is None:
            return None
        return compute_sample_weight(self.class_weight, self.classes_[targets])

    def _fit_weights(self, sample_weight, targets, name):
        weights = super()._fit_weights(sample_weight, targets, name)
        if weights is not None:
            present = np.unique(np.asarray(targets)[weights > 0])
            if present.size < 2:
                raise ValueError(
                    f"{name} leaves one class with a positive weight "
                    f"({self.classes_[present].tolist()}); a classifier needs at least "
                    "two classes with positive weight.")
        return weights

    def _null_output(self, targets, weights=None):
        """The best constant logit(s): the log-odds of the (weighted) class frequencies."""
        w = (torch.ones(len(targets), dtype=torch.float64) if weights is None
             else weights.double())
        if self.classes_.size == 2:
            p = (targets.double()[:, 0] * w).sum() / w.sum()
            return torch.log(p / (1 - p)).reshape(1).to(targets.dtype)
        counts = torch.zeros(self.classes_.size, dtype=torch.float64).index_add_(
            0, targets, w)
        # A class absent from the training targets has no finite best logit; a large
        # negative one (probability ~1e-13) stands in for -inf.
        logits = torch.log(torch.clamp(counts / counts.sum(), min=1e-13))
        return logits - logits.mean()

    def _target_tensor(self, t, dtype):
        if self.classes_.size == 2:
            return torch.as_tensor(t, dtype=dtype).reshape(-1, 1)
        return torch.as_tensor(t, dtype=torch.long)

    def _sample_losses(self, outputs, targets):
        if outputs.shape[1] == 1:
            return F.binary_cross_entropy_with_logits(outputs, targets,
                                                      reduction="none")[:, 0]
        return F.cross_entropy(outputs, targets, reduction="none")

    def _resolve_monitor(self, t_valid):
        if self.monitor in ("auto", "loss"):
            return "loss"
        if t_valid is not None:
            present = np.unique(np.asarray(t_valid).ravel())
            if present.size < self.classes_.size:
                raise ValueError(
                    f"monitor={self.monitor!r} needs every class in the validation "
                    f"set, which holds only {present.size} of {self.classes_.size}; "
                    "use monitor='loss' or a larger validation set."
                )
        return self.monitor

    def _score_fn(self, monitor, t_valid):
        n_classes = self.classes_.size

        def score(outputs, targets):
            targets = targets.ravel().astype(int)
            if n_classes == 2:
                scores = outputs[:, 0]
                if monitor == "roc_auc":
                    return roc_auc_score(targets, scores)
                return average_precision_score(targets, scores)
            proba = softmax(outputs, axis=1)
            if monitor == "roc_auc":
                return roc_auc_score(targets, proba, multi_class="ovr",
                                     labels=np.arange(n_classes))
            onehot = label_binarize(targets, classes=np.arange(n_classes))
            return average_precision_score(onehot, proba, average="macro")

        return score

    def decision_function(self, X):
        """Logits: shape (n_samples,) for binary problems, (n_samples, n_classes) else."""
        out = self._forward(X)
        return out[:, 0] if out.shape[1] == 1 else out

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_``."""
        out = self._forward(X)
        if out.shape[1] == 1:
            p = expit(out[:, 0])
            return np.column_stack([1.0 - p, p])
        return softmax(out, axis=1)

    def predict_log_proba(self, X):
        return np.log(np.clip(self.predict_proba(X), 1e-300, None))

    def predict(self, X):
        """Most probable class for each sample, as a numpy array of ``classes_``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

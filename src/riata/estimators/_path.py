"""Warm-started regularization paths, with alpha chosen on validation data."""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from sklearn.base import clone

from ..models import INPUT_LAYER_WEIGHT
from ..penalties import L1
from ..training import convergence_warnings_recorded, replay_convergence_warnings

logger = logging.getLogger("riata")

__all__ = ["PathRecord", "AlphaPath", "choose_alpha", "choose_alpha_cv",
           "compute_alpha_max", "fit_alpha_path", "PATH_RULES"]

#: The accepted values of ``rule``.
PATH_RULES = ("best", "1se")


@dataclass(frozen=True)
class PathRecord:
    """One alpha of a path: the fit there and its validation loss.

    Attributes
    ----------
    alpha : float
    valid_loss : float
        Mean per-sample validation loss (log-loss, or half squared error).
    valid_loss_se : float
        Its standard error, ``sd / sqrt(n_valid)``.
    valid_score : float
        The estimator's monitored validation score at its best epoch (``-loss`` when
        it monitors the loss).
    n_selected : int
        First-layer inputs with a nonzero weight (genetic units and plain columns).
    best_epoch, n_epochs : int
    objective : float
        Training objective (mean loss + penalty) at the last epoch.
    fit_seconds : float
    n_snps : int
        Genotype paths: SNPs with a nonzero weight (0 otherwise).
    working_set : int
        Genotype paths: SNP columns in the final working set of this alpha.
    rounds : int
        Genotype paths: fits until no SNP left out violated its KKT condition.
    max_kkt_outside : float
        Genotype paths: largest KKT ratio of the SNPs left out (<= 1 certifies their
        zeros); NaN otherwise.
    """

    alpha: float
    valid_loss: float
    valid_loss_se: float
    valid_score: float
    n_selected: int
    best_epoch: int
    n_epochs: int
    objective: float
    fit_seconds: float
    n_snps: int = 0
    working_set: int = 0
    rounds: int = 0
    max_kkt_outside: float = math.nan


@dataclass(frozen=True, eq=False)
class AlphaPath:
    """A fitted regularization path.

    Attributes
    ----------
    alphas : ndarray of shape (n_fitted,)
        Decreasing; the alphas actually fitted (a path stops early when the
        validation loss stops improving, see ``n_alphas_no_change``).
    records : tuple of PathRecord
        One per alpha.
    group_norms : ndarray of shape (n_fitted, n_first_inputs)
        Norm of each first-layer input's weights along the path (plain inputs only for
        a genotype path, whose SNP columns change along it).
    feature_names : ndarray of str
        Names of the columns of ``group_norms``.
    best_index : int
        The alpha chosen by ``rule``.
    best_estimator : estimator
        The model fitted at ``alphas[best_index]``.
    alpha_max : float
    rule : {"best", "1se"}
    best_columns : ndarray of int or None
        Genotype paths: the SNP columns of ``best_estimator``'s trailing inputs, in
        their order; None otherwise.
    cv_losses : ndarray of shape (n_folds, n_cv_alphas) or None
        With cross-validation: each fold's mean held-out loss at each alpha of
        ``cv_alphas`` (NaN past the alphas that fold reached); the records'
        ``valid_loss`` is their pooled mean and ``valid_loss_se`` its standard error
        over folds.
    cv_alphas : ndarray of shape (n_cv_alphas,) or None
        The grid the folds walked (the refit stops at the chosen alpha).
    """

    alphas: np.ndarray
    records: tuple
    group_norms: np.ndarray
    feature_names: np.ndarray
    best_index: int
    best_estimator: object
    alpha_max: float
    rule: str = "1se"
    best_columns: np.ndarray | None = None
    cv_losses: np.ndarray | None = None
    cv_alphas: np.ndarray | None = None

    @property
    def best_alpha(self) -> float:
        return float(self.alphas[self.best_index])

    @property
    def best_record(self) -> PathRecord:
        return self.records[self.best_index]


def choose_alpha(sample_losses, rule: str = "1se") -> int:
    """Index of the chosen alpha from per-sample validation losses along a path.

    ``"best"``: the smallest mean loss (the largest alpha among ties). ``"1se"``: the
    one-standard-error rule (Hastie, Tibshirani & Friedman, *The Elements of
    Statistical Learning*, 2nd ed., section 7.10; glmnet's ``lambda.1se``): the largest
    alpha whose loss is within one standard error of the best. On one validation set
    the standard error is that of the *paired* per-sample differences to the best
    alpha, ``sd(l_a - l_best) / sqrt(n)``: both losses come from the same samples, so
    this is far smaller than the standard error of either loss, and the rule then
    prefers a sparser model only when the better loss is within the noise of the
    comparison.

    Parameters
    ----------
    sample_losses : sequence of ndarray of shape (n_valid,)
        One array per alpha, in path order (decreasing alpha).
    rule : {"best", "1se"}, default="1se"

    Returns
    -------
    int
    """
    if rule not in PATH_RULES:
        raise ValueError(f"rule must be one of {list(PATH_RULES)}; got {rule!r}.")
    means = np.array([np.mean(s) for s in sample_losses])
    best = int(np.argmin(means))
    if rule == "best":
        return best
    for i in range(best + 1):
        diff = np.asarray(sample_losses[i]) - np.asarray(sample_losses[best])
        se = diff.std(ddof=1) / math.sqrt(diff.size) if diff.size > 1 else 0.0
        if diff.mean() <= se:
            return i
    return best  # pragma: no cover - i = best always qualifies


def compute_alpha_max(estimator, X, y, sample_weight=None) -> float:
    """The alpha above which every first-layer input of the null model is optimal at 0.

    From the KKT conditions at the null model (:meth:`BaseSparseMLP.fit_null`: every
    first-layer weight zero, the intercept at its optimum): ``penalty.alpha_max`` of
    the first layer's data gradient there. For a linear model this is exact (glmnet's
    lambda_max); for a network it holds at the network's initial deeper layers. Ridge
    never produces zeros (its alpha_max is infinite); its path then starts at the L1
    alpha_max of the same gradient, glmnet's convention of borrowing a sparse
    penalty's scale. The estimator is fitted to the null model on return.
    """
    if estimator.penalty is None:
        raise ValueError("compute_alpha_max needs an estimator whose penalty is set; "
                         "got None.")
    estimator.fit_null(X, y, sample_weight)
    grad = estimator.loss_gradient(X, y, sample_weight)[INPUT_LAYER_WEIGHT]
    value = estimator.penalty.alpha_max(grad)
    if not math.isfinite(value):
        value = L1().alpha_max(grad)
    return float(value)


def _record(est, alpha, losses, seconds, cv_loss=None) -> PathRecord:
    if losses is not None:
        loss = float(np.mean(losses))
        se = float(np.std(losses) / math.sqrt(max(losses.size, 1)))
    else:
        loss, se = (float(v) for v in cv_loss)
    return PathRecord(
        alpha=float(alpha), valid_loss=loss, valid_loss_se=se,
        valid_score=float(est.best_score_), n_selected=int(len(est.selected_features_)),
        best_epoch=int(est.best_epoch_), n_epochs=int(est.n_iter_),
        objective=float(est.history_[-1]["objective"]), fit_seconds=float(seconds))


def fit_alpha_path(
    estimator,
    X,
    y,
    *,
    validation_data=None,
    cv=None,
    sample_weight=None,
    alphas=None,
    n_alphas: int = 20,
    eps: float = 1e-2,
    rule: str = "1se",
    n_alphas_no_change: int | None = 3,
    callback=None,
    checkpoint=None,
) -> AlphaPath:
    """Fit ``estimator`` along a decreasing alpha grid with warm starts.

    The path starts at the null model (:meth:`BaseSparseMLP.fit_null`); each alpha
    starts from the previous alpha's weights (``warm_start=True``), keeps its best
    validation epoch, and is scored by its per-sample validation loss; ``rule`` then
    chooses the alpha (:func:`choose_alpha`). With ``cv`` instead of
    ``validation_data``, each fold walks the same grid on its training rows and is
    scored on its held-out rows; the alpha is chosen from the pooled held-out loss
    (``"1se"``: glmnet's ``lambda.1se``, one standard error over folds), and the path
    is refitted on all of ``X`` down to it (``cv.glmnet``'s design). The test set is
    never seen here.

    Parameters
    ----------
    estimator : SparseMLPClassifier or SparseMLPRegressor
        With a ``penalty``; its ``alpha`` is overwritten along the path (on a clone).
    X, y : array-like
        Training data.
    validation_data : tuple (X_valid, y_valid) or (X_valid, y_valid, w_valid)
        A held-out split; exactly one of ``validation_data`` and ``cv``.
    cv : int or cross-validation splitter
        K-fold cross-validation: an int K is stratified (classifiers) or plain K-fold,
        shuffled with the estimator's ``random_state`` (``sklearn.model_selection.
        check_cv``); a splitter is used as it is.
    sample_weight : array-like of shape (n_samples,), optional
        Weights of the rows of ``X`` (and of the held-out rows of a fold).
    alphas : array-like, optional
        Explicit grid (sorted decreasing); otherwise ``n_alphas`` values spaced
        geometrically from ``alpha_max`` (:func:`compute_alpha_max`) down to
        ``eps * alpha_max``.
    n_alphas : int, default=20
    eps : float, default=1e-2
        glmnet's ``lambda.min.ratio`` for n < p.
    rule : {"best", "1se"}, default="1se"
        How the alpha is chosen from the validation losses (:func:`choose_alpha`).
    n_alphas_no_change : int or None, default=3
        Stop the path once the validation loss has not improved on its best for this
        many alphas in a row (snpnet's early stopping, Qian et al. 2020): smaller
        alphas only overfit more, and they cost the most. None walks the whole grid.
        With ``cv`` each fold stops on its own; alpha is chosen among those every fold
        reached.
    callback : callable, optional
        ``callback(index, record)`` after each alpha (progress reporting).
    checkpoint : riata.io.PathCheckpoint, optional
        Save each walk's state after every alpha (``fold0``..., ``path``), and
        continue a walk from the alphas saved there by an earlier, interrupted call
        with the same arguments: the result is the uninterrupted one's. The fit of
        the alpha in progress saves its own state too (``alpha_NNN_epochs``, deleted
        once the alpha is saved): every epoch with ``solver="adam"`` / ``"sgd"``,
        every 50 iterations with ``"fista"``, so a walk killed in the middle of an
        alpha resumes there.

    Returns
    -------
    AlphaPath

    Raises
    ------
    ValueError
        If the estimator has no penalty, ``alpha_max`` is 0 (no input varies),
        ``rule`` is unknown, or not exactly one of ``validation_data`` and ``cv`` is
        given.
    """
    if rule not in PATH_RULES:
        raise ValueError(f"rule must be one of {list(PATH_RULES)}; got {rule!r}.")
    if estimator.penalty is None:
        raise ValueError("fit_alpha_path needs an estimator whose penalty is set; "
                         "got None.")
    if (validation_data is None) == (cv is None):
        raise ValueError("fit_alpha_path needs exactly one of validation_data (a "
                         "held-out split) and cv (cross-validation).")
    est = clone(estimator).set_params(warm_start=True)
    alpha_max = compute_alpha_max(est, X, y, sample_weight)
    if alphas is None:
        if not alpha_max > 0:
            raise ValueError(
                "alpha_max is 0: every first-layer gradient vanishes at zero, so no "
                "penalty level is informative; check that the inputs vary."
            )
        alphas = _default_grid(alpha_max, eps, n_alphas)
    alphas = np.sort(np.asarray(alphas, dtype=float))[::-1]

    def part(name):
        return checkpoint_part(checkpoint, name)

    if cv is None:
        walk = _walk(est, X, y, sample_weight, alphas, validation_data,
                     n_alphas_no_change, callback, checkpoint=part("path"))
        best = choose_alpha(walk.losses, rule)
        cv_losses = None
    else:
        choice = _cross_validate(estimator, X, y, sample_weight, alphas, cv, rule,
                                 n_alphas_no_change, checkpoint)
        best, cv_losses = choice.best, choice.fold_means
        walk = _walk(est, X, y, sample_weight, alphas[:best + 1], None, None, callback,
                     cv=choice, checkpoint=part("path"))
    est = walk.estimator
    return AlphaPath(alphas=alphas[:len(walk.records)], records=tuple(walk.records),
                     group_norms=np.vstack(walk.norms),
                     feature_names=est.first_layer_feature_names_, best_index=best,
                     best_estimator=walk.fitted[best], alpha_max=alpha_max, rule=rule,
                     cv_losses=cv_losses,
                     cv_alphas=None if cv_losses is None else alphas[:cv_losses.shape[1]])


def _walk(est, X, y, sample_weight, alphas, validation, n_alphas_no_change, callback,
          cv=None, checkpoint=None) -> SimpleNamespace:
    """Fit ``est`` at each alpha in turn (warm starts); score on ``validation``.

    With a ``checkpoint`` the alphas saved there are taken as fitted and the walk
    goes on from the last one's estimator; each new alpha is saved. ``walk.estimator``
    is the walking estimator at the end.
    """
    walk = SimpleNamespace(records=[], norms=[], losses=[], fitted=[], estimator=est)
    for i, item in enumerate([] if checkpoint is None else checkpoint.saved_steps()):
        check_resumed_alpha(item["record"], alphas, i, checkpoint)
        walk.records.append(item["record"])
        walk.norms.append(item["norms"])
        walk.fitted.append(item["estimator"])
        replay_convergence_warnings(item.get("warnings"))
        if item["losses"] is not None:
            walk.losses.append(item["losses"])
        if callback is not None:
            callback(i, item["record"])
    if walk.fitted:
        est = walk.estimator = copy.deepcopy(walk.fitted[-1]).set_params(warm_start=True)
        if _stale(walk.losses, n_alphas_no_change):
            return walk
    for i in range(len(walk.records), len(alphas)):
        alpha = alphas[i]
        started = time.perf_counter()
        est.set_params(penalty__alpha=float(alpha))
        # A minibatch fit saves its epochs here; cleared once the alpha is saved.
        epochs = checkpoint_part(checkpoint, f"alpha_{i:03d}_epochs")
        with convergence_warnings_recorded() as stops:
            est.fit(X, y, sample_weight, validation_data=validation,
                    **({} if epochs is None else {"checkpoint": epochs}))
        if validation is not None:
            walk.losses.append(_held_out_losses(est, validation))
            record = _record(est, alpha, walk.losses[-1], time.perf_counter() - started)
        else:
            record = _record(est, alpha, None, time.perf_counter() - started,
                             cv_loss=(cv.mean[i], cv.se[i]))
        walk.records.append(record)
        walk.norms.append(est.feature_importances_.copy())
        walk.fitted.append(copy.deepcopy(est).set_params(warm_start=False))
        if checkpoint is not None:
            checkpoint.save_step(i, {"record": record, "norms": walk.norms[-1],
                                      "losses": walk.losses[-1] if validation is not None
                                      else None, "estimator": walk.fitted[-1],
                                      "warnings": stops})
            epochs.clear()
        if callback is not None:
            callback(i, record)
        if _stale(walk.losses, n_alphas_no_change):
            break
    return walk


def checkpoint_part(checkpoint, name: str):
    """``checkpoint.child(name)``, or None without a checkpoint."""
    return None if checkpoint is None else checkpoint.child(name)


def check_resumed_alpha(record, alphas, index: int, checkpoint) -> None:
    """Refuse a saved alpha that is not this walk's ``index``-th (another grid)."""
    if index >= len(alphas) or record.alpha != float(alphas[index]):
        raise ValueError(
            f"Checkpoint '{checkpoint.directory}' was saved on another alpha grid (its "
            f"alpha {index + 1} is {record.alpha:.6g}); it is not this call's. Delete it "
            "or pass another checkpoint directory.")


def _held_out_losses(est, validation) -> np.ndarray:
    """Per-sample held-out losses, multiplied by the rows' relative weights."""
    X_valid, y_valid, *weights = validation
    losses = est.loss_samples(X_valid, y_valid)
    if weights and weights[0] is not None:
        w = np.asarray(weights[0], dtype=float)
        losses = losses * w / w.mean()
    return losses


def _cross_validate(estimator, X, y, sample_weight, alphas, cv, rule,
                    n_alphas_no_change, checkpoint=None) -> SimpleNamespace:
    """Each fold's path on the common grid, and the alpha ``rule`` chooses."""
    from sklearn.base import is_classifier
    from sklearn.model_selection import check_cv

    X, y = np.asarray(X), np.asarray(y)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    splitter = check_cv(cv, y, classifier=is_classifier(estimator))
    if hasattr(splitter, "shuffle") and hasattr(splitter, "random_state") and \
            isinstance(cv, int):
        splitter.shuffle = True
        splitter.random_state = estimator.random_state
    fold_losses = []
    n_folds = splitter.get_n_splits(X, y)
    for k, (train, held_out) in enumerate(splitter.split(X, y)):
        started = time.perf_counter()
        fold = clone(estimator).set_params(warm_start=True)
        pick = (lambda rows: None) if w is None else (lambda rows: w[rows])
        compute_alpha_max(fold, X[train], y[train], pick(train))  # the null model
        walk = _walk(fold, X[train], y[train], pick(train), alphas,
                     (X[held_out], y[held_out], pick(held_out)), n_alphas_no_change,
                     None, checkpoint=(None if checkpoint is None
                                       else checkpoint.child(f"fold{k}")))
        fold_losses.append(walk.losses)
        logger.info("  cross-validation fold %d/%d: %d alpha(s), %.1f s", k + 1, n_folds,
                    len(walk.losses), time.perf_counter() - started)
    return choose_alpha_cv(fold_losses, rule)


def choose_alpha_cv(fold_losses, rule: str = "1se") -> SimpleNamespace:
    """The alpha chosen by K-fold cross-validation.

    Parameters
    ----------
    fold_losses : sequence of sequences of ndarray
        Per fold, per alpha (in path order), the per-sample held-out losses; a fold
        may stop early (then alpha is chosen among the alphas every fold reached).
    rule : {"best", "1se"}
        ``"best"``: the smallest pooled held-out loss (the mean over every held-out
        sample). ``"1se"``: the largest alpha whose pooled loss is within one
        standard error of the best, the standard error being that of the fold means
        over folds (glmnet's ``cvsd``; Hastie, Tibshirani & Friedman, ESL 7.10).

    Returns
    -------
    namespace
        ``best`` (index), ``mean`` and ``se`` (per alpha), ``fold_means``
        (n_folds, n_alphas reached by the longest fold; NaN where a fold stopped).
    """
    if rule not in PATH_RULES:
        raise ValueError(f"rule must be one of {list(PATH_RULES)}; got {rule!r}.")
    reached = min(len(f) for f in fold_losses)
    longest = max(len(f) for f in fold_losses)
    fold_means = np.full((len(fold_losses), longest), np.nan)
    for k, fold in enumerate(fold_losses):
        fold_means[k, :len(fold)] = [np.mean(v) for v in fold]
    mean = np.array([np.mean(np.concatenate([f[i] for f in fold_losses]))
                     for i in range(reached)])
    se = (np.nanstd(fold_means[:, :reached], axis=0, ddof=1)
          / math.sqrt(len(fold_losses)) if len(fold_losses) > 1
          else np.zeros(reached))
    best = int(np.argmin(mean))
    if rule == "1se":
        best = int(np.flatnonzero(mean <= mean[best] + se[best])[0])
    return SimpleNamespace(best=best, mean=mean, se=se, fold_means=fold_means)


def _default_grid(alpha_max: float, eps: float, n_alphas: int) -> np.ndarray:
    """``n_alphas`` values from alpha_max down to ``eps * alpha_max``, geometrically.

    The first is ``alpha_max (1 + 1e-9)``: at alpha_max the input whose gradient sets
    it is exactly at its threshold, and rounding must not let it in there.
    """
    grid = alpha_max * np.geomspace(1.0, eps, n_alphas)
    grid[0] *= 1 + 1e-9
    return grid


def _stale(losses, n_alphas_no_change) -> bool:
    """Whether the last ``n_alphas_no_change`` alphas all failed to beat the best."""
    if n_alphas_no_change is None:
        return False
    means = [float(np.mean(s)) for s in losses]
    best = int(np.argmin(means))
    return len(means) - 1 - best >= n_alphas_no_change

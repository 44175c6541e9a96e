"""A SNP-level penalty path on working sets: the SNPs at zero are never touched.

Selecting SNPs needs the encoder's per-SNP weights, so the kernel form cannot be used;
but along a path from ``alpha_max`` almost every SNP's group is zero. As glmnet and
skglm do for linear models, each alpha is solved on a *working set* of SNPs (the
current support plus the strongest candidates), and the SNPs outside it are then
checked against their optimality (KKT) condition with one pass over all SNPs of the
int8 genotypes; violators are admitted and the alpha is solved again. The network
never sees a float copy of all SNPs, only ``n x |working set|`` blocks.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from sklearn.base import clone

from ..data._kernel import _values, genotype_transpose_product, standardized_columns
from ..models import MLP
from ..penalties import GroupLasso

__all__ = ["SNPPath", "fit_snp_path"]


@dataclass
class SNPPath:
    """A SNP-penalty path solved on working sets.

    Attributes
    ----------
    alphas : ndarray
        Decreasing encoder-penalty alphas, from ``alpha_max``.
    records : list of dict
        Per alpha: ``alpha``, ``valid_score``, ``best_epoch``, ``n_snps`` (selected),
        ``working_set`` (its final size), ``rounds`` (fits until no SNP outside the
        working set violated its KKT condition, or ``max_rounds``),
        ``max_kkt_outside`` (largest KKT ratio of the SNPs left out; <= 1 certifies
        their zeros), ``fit_seconds``.
    best_index : int
    best_estimator : estimator
        Fitted on ``[X_plain | Z[:, best_columns]]``.
    best_columns : ndarray of int
        The SNP columns of the best estimator's encoder, in its column order.
    alpha_max : float
    """

    alphas: np.ndarray
    records: list = field(default_factory=list)
    best_index: int = 0
    best_estimator: object = None
    best_columns: np.ndarray | None = None
    alpha_max: float = math.nan

    @property
    def best_alpha(self) -> float:
        return float(self.alphas[self.best_index])


class _Genotypes:
    """The int8 genotypes of the training and validation rows, standardized on demand."""

    def __init__(self, values, mean, scale, train_rows, valid_rows, dtype=np.float32):
        self.values, self.mean, self.scale, self.dtype = values, mean, scale, dtype
        self.train_rows = np.asarray(train_rows)
        self.valid_rows = np.asarray(valid_rows)

    def block(self, rows, columns):
        return standardized_columns(self.values, rows, columns, self.mean, self.scale,
                                    dtype=self.dtype)

    def gradient(self, right):
        """``Z_train^T right`` for every SNP: ``(n_snps, encoder_dim)``."""
        return genotype_transpose_product(self.values, self.train_rows, right, self.mean,
                                          self.scale)


def _output_gradient(est, X_plain, Z_ws, y) -> np.ndarray:
    """Gradient of the mean training loss with respect to the encoder outputs ``H``."""
    model = est.model_
    dtype = next(model.parameters()).dtype
    with torch.enable_grad():
        z = torch.as_tensor(Z_ws, dtype=dtype)
        h = (z @ model.encoder.weight.detach().T).requires_grad_(True)
        x = torch.cat([h, torch.as_tensor(X_plain, dtype=dtype)], dim=1)
        targets = est._target_tensor(est._encode_targets(y, reset=False), dtype)
        was_training = model.training
        model.eval()
        loss = est._loss(model.body(model.input_layer(x)), targets)
        (grad,) = torch.autograd.grad(loss, h)
        model.train(was_training)
    return grad.numpy()


def _resized(model: MLP, n_plain: int, old_cols, new_cols, encoder_dim: int) -> MLP:
    """A copy of ``model`` whose encoder covers ``new_cols`` (new SNPs start at zero)."""
    # Same first layer and body; only the encoder's columns change.
    net = MLP(n_plain + len(new_cols), 1, (), n_encoded=len(new_cols), encoder_dim=encoder_dim)
    net.input_layer = copy.deepcopy(model.input_layer)
    net.body = copy.deepcopy(model.body)
    net = net.to(next(model.parameters()).dtype)
    position = {c: i for i, c in enumerate(old_cols)}
    with torch.no_grad():
        net.encoder.weight.zero_()
        for i, c in enumerate(new_cols):
            if c in position:
                net.encoder.weight[:, i] = model.encoder.weight[:, position[c]]
    return net


def fit_snp_path(estimator, X_plain, y, *, validation_data, genotypes, train_rows,
                 valid_rows, mean, scale, n_alphas: int = 8, eps: float = 0.02,
                 min_working_set: int = 20, max_working_set: int = 10_000,
                 max_rounds: int = 4, kkt_tol: float = 0.05,
                 callback=None) -> SNPPath:
    """Walk the encoder's SNP-level group-lasso path on working sets of SNPs.

    The estimator sees ``[X_plain | Z[:, working set]]`` with the working set as its
    encoded columns; the SNPs outside it are zero and are checked after each fit with
    the full-batch gradient of the training loss (one pass over the int8 genotypes).
    Each alpha starts from the previous alpha's weights (warm start) and working set.

    Parameters
    ----------
    estimator : SparseMLPClassifier or SparseMLPRegressor
        With ``encoder_penalty=GroupLasso(...)`` (default groups: one per SNP) and the
        first-layer ``penalty`` at its chosen alpha; ``n_encoded_features`` is set
        here.
    X_plain : ndarray of shape (n_train, n_plain)
        The training rows' non-genotype inputs (e.g. encoded clinical columns).
    y : array-like of shape (n_train,)
    validation_data : tuple (X_plain_valid, y_valid)
    genotypes : Genotypes or ndarray of int8, shape (n_samples, n_snps)
        All samples; ``train_rows`` / ``valid_rows`` index into it, in the order of
        ``X_plain`` and ``validation_data``.
    train_rows, valid_rows : array-like of int
    mean, scale : ndarray of shape (n_snps,)
        Standardization from the training rows.
    n_alphas : int, default=8
    eps : float, default=0.02
        The path ends at ``eps * alpha_max``.
    min_working_set : int, default=20
        SNPs with the largest gradients always in the working set (an encoder needs
        columns even when every SNP is zero).
    max_working_set : int, default=10_000
        SNPs in a working set at most: it bounds the float block the network sees
        (``4 * n * max_working_set`` bytes per split). When violators would exceed it
        they are left out, and ``max_kkt_outside`` in the record says by how much
        their zeros are not certified.
    max_rounds : int, default=4
        Fits per alpha at most; the last KKT check is recorded either way.
    kkt_tol : float, default=0.05
        A left-out SNP violates when its KKT ratio exceeds ``1 + kkt_tol`` (the fits
        are stochastic and early-stopped, so exact ratios of 1 are not reached).
    callback : callable, optional
        ``callback(index, record)`` after each alpha.

    Returns
    -------
    SNPPath
    """
    penalty = estimator.encoder_penalty
    if not isinstance(penalty, GroupLasso) or penalty.groups is not None or (
            penalty.penalty_factor is not None or penalty.weights is not None):
        raise ValueError(
            "fit_snp_path needs encoder_penalty=GroupLasso(alpha) with its default "
            f"groups (one per SNP) and no penalty_factor or weights; got {penalty!r}."
        )
    if estimator.encoder_kernel is not None:
        raise ValueError("fit_snp_path needs per-SNP encoder weights: encoder_kernel=None.")
    if min_working_set < 1 or max_working_set < min_working_set or max_rounds < 1:
        raise ValueError(
            "fit_snp_path needs 1 <= min_working_set <= max_working_set and "
            f"max_rounds >= 1; got min_working_set={min_working_set}, "
            f"max_working_set={max_working_set}, max_rounds={max_rounds}.")
    genotypes = _values(genotypes)
    if genotypes.shape[1] == 0:
        raise ValueError("fit_snp_path needs at least one SNP; genotypes has 0 columns.")
    dtype = np.float64 if estimator.dtype == "float64" else np.float32
    X_plain = np.asarray(X_plain, dtype=dtype)
    X_plain_valid, y_valid = validation_data
    X_plain_valid = np.asarray(X_plain_valid, dtype=dtype)
    geno = _Genotypes(genotypes, mean, scale, train_rows, valid_rows, dtype)
    n_snps, n_plain = genotypes.shape[1], X_plain.shape[1]
    if geno.train_rows.size != X_plain.shape[0] or geno.valid_rows.size != len(y_valid):
        raise ValueError("train_rows / valid_rows must match the rows of X_plain and of "
                         "validation_data, in order.")
    d = estimator.encoder_dim
    est = clone(estimator).set_params(warm_start=True)

    def design(cols, rows, plain):
        return np.hstack([plain, geno.block(rows, cols)]) if len(cols) else plain

    def critical(model_est, cols):
        grad = geno.gradient(_output_gradient(
            model_est, X_plain, geno.block(geno.train_rows, cols), y))
        # GroupLasso's critical alpha of a zero SNP: ||grad_j|| / sqrt(d).
        return np.linalg.norm(grad, axis=1) / math.sqrt(d)

    # The start: the network fit would build, with a zero encoder over the strongest SNPs.
    cols = np.arange(min(min_working_set, n_snps))
    est.set_params(n_encoded_features=len(cols))
    est.initial_gradient(design(cols, geno.train_rows, X_plain), y,
                         parameter="encoder.weight")
    crit = critical(est, cols)
    alpha_max = float(crit.max())
    if not alpha_max > 0:
        raise ValueError("alpha_max is 0: no SNP has a gradient at a zero encoder.")
    alphas = alpha_max * np.geomspace(1.0, eps, n_alphas)
    path = SNPPath(alphas=alphas, alpha_max=alpha_max)
    best_score = -math.inf
    previous_alpha = alpha_max
    model = est.model_
    support = np.zeros(0, dtype=np.intp)

    for i, alpha in enumerate(alphas):
        t0 = time.perf_counter()
        # Sequential strong rule (Tibshirani et al. 2012): a SNP whose critical alpha
        # is below 2 alpha - alpha_prev is likely to stay zero.
        # The strong candidates enter strongest first, at most as many as the support
        # (and min_working_set) per alpha: on a coarse grid (alpha ratio < 1/2) the
        # rule admits every SNP, and the KKT check below catches what is missed.
        order = np.argsort(-crit)
        strong = order[crit[order] >= 2 * alpha - previous_alpha]
        strong = strong[~np.isin(strong, support)][:max(min_working_set, support.size)]
        candidates = np.setdiff1d(np.union1d(strong, order[:min_working_set]), support)
        # The support always stays (its SNPs are nonzero); the cap trims candidates.
        room = max(max_working_set - support.size, 0)
        new_cols = np.union1d(support, candidates[np.argsort(-crit[candidates])][:room])
        est.set_params(encoder_penalty__alpha=float(alpha))
        for rounds in range(1, max_rounds + 1):
            est.model_ = _resized(model, n_plain, cols, new_cols, d)
            cols = new_cols
            est.set_params(n_encoded_features=len(cols))
            est.fit(design(cols, geno.train_rows, X_plain), y,
                    validation_data=(design(cols, geno.valid_rows, X_plain_valid), y_valid))
            model = est.model_
            crit = critical(est, cols)
            outside = np.ones(n_snps, dtype=bool)
            outside[cols] = False
            ratio = crit / alpha
            violators = np.flatnonzero(outside & (ratio > 1 + kkt_tol))
            if violators.size == 0 or rounds == max_rounds:
                break
            room = min(max(min_working_set, len(cols)), max_working_set - len(cols))
            if room <= 0:
                break
            worst = violators[np.argsort(-ratio[violators])][:room]
            new_cols = np.union1d(cols, worst)
        weight = model.encoder.weight.detach()
        nonzero = (weight != 0).any(dim=0).numpy()
        support = cols[nonzero]
        outside = np.ones(n_snps, dtype=bool)
        outside[cols] = False
        record = {
            "alpha": float(alpha), "valid_score": float(est.best_score_),
            "best_epoch": int(est.best_epoch_), "n_snps": int(support.size),
            "working_set": int(len(cols)), "rounds": rounds,
            "max_kkt_outside": float((crit[outside] / alpha).max()) if outside.any() else 0.0,
            "fit_seconds": time.perf_counter() - t0,
        }
        path.records.append(record)
        if record["valid_score"] > best_score:
            best_score = record["valid_score"]
            path.best_index = i
            path.best_estimator = copy.deepcopy(est).set_params(warm_start=False)
            path.best_columns = cols.copy()
        previous_alpha = alpha
        if callback is not None:
            callback(i, record)
    return path

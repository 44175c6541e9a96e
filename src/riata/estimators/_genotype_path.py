"""A penalty path over plain inputs and SNPs, solved on working sets of SNPs.

Along a path from ``alpha_max`` almost every SNP is zero. As glmnet, skglm and snpnet do
for linear models, each alpha is solved on a *working set* of SNPs (the current support
plus the strongest candidates of the sequential strong rule); every SNP outside it is
then checked against its optimality (KKT) condition with one pass over the int8
genotypes, and violators are admitted and the alpha solved again. The model never sees
a float copy of all SNPs, only ``n x |working set|`` blocks, so the path runs at
500,000 SNPs in the memory of a few thousand.

The model solved on each working set is anything that follows
:class:`WorkingSetModel`; :class:`NetworkWorkingSetModel` wraps a riata estimator
(the SNPs are first-layer inputs beside the plain ones): a network, or, without hidden
layers, the group-lasso linear model of the ``lasso_all_inputs`` baseline.
"""

from __future__ import annotations

import math
import time
from types import SimpleNamespace

import numpy as np

from ..data import genotype_transpose_product, standardized_columns
from ..training import convergence_warnings_recorded, replay_convergence_warnings
from ._path import (
    PATH_RULES,
    AlphaPath,
    PathRecord,
    _default_grid,
    _stale,
    check_resumed_alpha,
    checkpoint_part,
    choose_alpha,
    choose_alpha_cv,
)
from ._working_set import NetworkWorkingSetModel

__all__ = ["fit_genotype_path"]


class _Genotypes:
    """The int8 genotypes of the training and validation rows, standardized on demand
    (an int8 array, a :class:`riata.data.Genotypes` or a
    :class:`riata.data.ShardedGenotypes`)."""

    def __init__(self, values, mean, scale, train_rows, valid_rows, dtype):
        self.values, self.mean, self.scale, self.dtype = values, mean, scale, dtype
        self.train_rows = np.asarray(train_rows)
        self.valid_rows = None if valid_rows is None else np.asarray(valid_rows)
        self.n_snps = values.n_snps if hasattr(values, "n_snps") else values.shape[1]

    def design(self, plain, rows, cols) -> np.ndarray:
        if not len(cols):
            return np.asarray(plain, dtype=self.dtype)
        block = standardized_columns(self.values, rows, cols, self.mean, self.scale,
                                     dtype=self.dtype)
        return np.hstack([np.asarray(plain, dtype=self.dtype), block])

    def per_snp(self, right, fn) -> np.ndarray:
        """``fn`` of each SNP's ``Z_train^T right`` row: ``(n_snps,)``."""
        return genotype_transpose_product(self.values, self.train_rows, right, self.mean,
                                          self.scale, per_snp=fn)


def fit_genotype_path(model, X_plain, y, *, validation_data=None, cv=None, genotypes,
                      train_rows, valid_rows=None, mean, scale, plain_groups=None,
                      plain_alpha=None,
                      alphas=None, n_alphas: int = 50, eps: float = 1e-2,
                      rule: str = "1se", n_alphas_no_change: int | None = 8,
                      min_working_set: int = 20, max_working_set: int = 10_000,
                      max_rounds: int = 5, kkt_tol: float = 0.05, dtype=np.float32,
                      hold_hidden_norm: bool = True, callback=None,
                      checkpoint=None) -> AlphaPath:
    """Walk a penalty path over plain inputs and SNPs, on working sets of SNPs.

    The model sees ``[X_plain | Z[:, working set]]``, ``Z`` the genotypes standardized
    with the training statistics. Each alpha is warm-started from the previous one.
    After each fit every SNP outside the working set is checked with the gradient of
    the training loss (one pass over the int8 genotypes); violators of the KKT
    condition are admitted and the alpha is solved again (at most ``max_rounds`` fits).
    The alpha is chosen on the validation rows (:func:`choose_alpha`).

    Parameters
    ----------
    model : WorkingSetModel or estimator
        A :class:`WorkingSetModel`; a riata estimator is wrapped in
        :class:`NetworkWorkingSetModel`.
    X_plain : ndarray of shape (n_train, n_plain)
        The training rows' plain inputs (e.g. encoded clinical columns).
    y : array-like of shape (n_train,)
    validation_data : tuple (X_plain_valid, y_valid)
        The held-out split (with ``valid_rows``); exactly one of it and ``cv``.
    cv : int or cross-validation splitter
        K-fold cross-validation over the training rows, as in
        :func:`fit_alpha_path`: each fold walks the grid (its own working sets; with
        ``plain_alpha``, the plain columns refitted on the fold's rows first), the
        alpha is chosen from the pooled held-out loss, and the path is refitted on
        every training row down to it.
    genotypes : ndarray of int8, shape (n_samples, n_snps), Genotypes or ShardedGenotypes
        All samples; ``train_rows`` / ``valid_rows`` index into it, in the order of
        ``X_plain`` and ``validation_data``. Missing calls (-127) count as the mean.
        With :class:`riata.data.ShardedGenotypes` (the SNPs split across the ranks of
        a torch.distributed job) every rank calls this with the same arguments and
        walks the same path: the passes over all SNPs are split by rank and summed,
        the model on the working set is fitted on every rank alike.
    train_rows, valid_rows : array-like of int
    mean, scale : ndarray of shape (n_snps,)
        Standardization from the training rows.
    plain_groups : array-like of shape (n_plain,), optional
        Penalty group label of each plain column (e.g. one per clinical variable, a
        one-hot categorical being one group); default one group per column. Each SNP
        is its own group.
    plain_alpha : float or None, default=None
        None: the plain inputs share the path's alpha with the SNPs (a single-alpha
        lasso over all inputs), and the path starts at the null model. A number: the
        plain inputs keep that alpha (``penalty_factor = plain_alpha / alpha``) while
        the SNPs walk their own path from the SNPs' alpha_max at the model's current
        weights; pass a model fitted on the plain columns at ``plain_alpha`` (e.g. the
        best estimator of :func:`fit_alpha_path`). Choosing the clinical alpha first
        and the SNPs' after it keeps noise SNPs out where the clinical variables would
        otherwise bring them in (measured in docs/case_study.md).
    alphas : array-like, optional
        Explicit grid; otherwise ``n_alphas`` values from alpha_max down to
        ``eps * alpha_max``.
    n_alphas : int, default=50
        Grid size, from alpha_max down to ``eps * alpha_max`` (ratio 0.91 between
        alphas; glmnet's default is 100). Finer than :func:`fit_alpha_path`'s 20:
        SNPs enter in bursts (the top of tens of thousands of null SNPs' critical
        alphas lies close together), and on the coarse grid (ratio 0.785) the 1-SE
        choice jumped between supports tens of SNPs apart. On five draws of the
        simulator's ``sparse`` and ``blog_like`` truths the SNP network's false SNPs
        fell from 63 and 80 to 39 and 53 on average while it found as many causal
        SNPs or more (6.8 -> 7.4 and 8.2 -> 8.2 of 8-9; docs/case_study.md, "The SNP
        path's grid").
    n_alphas_no_change : int or None, default=8
        As in :func:`fit_alpha_path`; 8 alphas of this grid span the same range of
        alpha (0.91^8 = 0.785^3 = 0.48) as :func:`fit_alpha_path`'s 3 of 20.
    eps, rule
        As in :func:`fit_alpha_path`.
    min_working_set : int, default=20
        Strong candidates admitted per alpha at least.
    max_working_set : int, default=10_000
        SNPs in a working set at most: it bounds the float blocks
        (``4 * n * max_working_set`` bytes per split). Violators beyond it stay out,
        and the record's ``max_kkt_outside`` says by how much their zeros are not
        certified.
    max_rounds : int, default=5
        Fits per alpha at most; the last KKT check is recorded either way.
    kkt_tol : float, default=0.05
        A left-out SNP violates when its KKT ratio exceeds ``1 + kkt_tol``.
    dtype : numpy dtype, default=np.float32
        Of the standardized blocks.
    hold_hidden_norm : bool, default=True
        When ``model`` is an estimator: bound the norm of each of its weight matrices
        after the first layer by its value at the path's start
        (:class:`NetworkWorkingSetModel`). Without the bound a network's SNP path
        entered hundreds of SNPs between two neighbouring alphas once it grew its
        output weights (docs/case_study.md, "The SNP path's burst"). Ignored for a
        :class:`WorkingSetModel`, which brings its own.
    callback : callable, optional
        ``callback(index, record)`` after each alpha.
    checkpoint : riata.io.PathCheckpoint, optional
        Save each walk's state after every alpha (``fold0``..., ``path``: the model,
        its working set and the record), and continue a walk from the alphas saved
        there by an earlier, interrupted call with the same arguments: the result is
        the uninterrupted one's (the critical alphas of the last saved alpha are
        recomputed, one pass over the genotypes). Inside an alpha, the start of each
        working-set round and every 50 FISTA iterations of its fit are saved too
        (``alpha_NNN_rounds``, deleted once the alpha is saved), so a walk killed in
        the middle of a long fit goes on from its last saved iteration.

    Returns
    -------
    AlphaPath
        With ``best_columns``: the SNP columns of the best model's trailing inputs.

    Raises
    ------
    ValueError
        For inconsistent rows, an unknown rule, no SNP, or bad working-set settings.
    """
    if rule not in PATH_RULES:
        raise ValueError(f"rule must be one of {list(PATH_RULES)}; got {rule!r}.")
    if min_working_set < 1 or max_working_set < min_working_set or max_rounds < 1:
        raise ValueError(
            "fit_genotype_path needs 1 <= min_working_set <= max_working_set and "
            f"max_rounds >= 1; got min_working_set={min_working_set}, "
            f"max_working_set={max_working_set}, max_rounds={max_rounds}.")
    if not hasattr(model, "select_columns"):
        model = NetworkWorkingSetModel(model, hold_hidden_norm=hold_hidden_norm)
    if (validation_data is None) == (cv is None):
        raise ValueError("fit_genotype_path needs exactly one of validation_data (with "
                         "valid_rows) and cv.")
    # A Genotypes (or ShardedGenotypes: the SNPs split across processes) is passed
    # on as it is, so that riata.data's functions combine the ranks; a bare int8
    # array is used directly.
    values = (genotypes if hasattr(genotypes, "n_snps")
              else np.asarray(genotypes))
    if (values.n_snps if hasattr(values, "n_snps") else values.shape[1]) == 0:
        raise ValueError("fit_genotype_path needs at least one SNP; genotypes has 0 "
                         "columns.")
    X_plain, y = np.asarray(X_plain, dtype=dtype), np.asarray(y)
    train_rows = np.asarray(train_rows)
    X_valid = y_valid = None
    if validation_data is not None:
        X_valid, y_valid = validation_data
        if valid_rows is None or len(valid_rows) != len(y_valid):
            raise ValueError("valid_rows must list the genotype rows of validation_data, "
                             "in order.")
    if train_rows.size != X_plain.shape[0]:
        raise ValueError("train_rows must list the genotype rows of X_plain, in order.")
    n_plain = X_plain.shape[1]
    labels = [f"plain:{g}" for g in (range(n_plain) if plain_groups is None
                                     else plain_groups)]
    if len(labels) != n_plain:
        raise ValueError(f"plain_groups has {len(labels)} labels for {n_plain} columns.")
    settings = dict(labels=labels, plain_alpha=plain_alpha, min_ws=min_working_set,
                    max_ws=max_working_set, max_rounds=max_rounds, kkt_tol=kkt_tol)

    def solver_for(wrapped, rows, valid):
        geno = _Genotypes(values, mean, scale, train_rows[rows],
                          None if valid is None else valid[2], dtype)
        return _PathSolver(wrapped, geno, X_plain[rows], y[rows],
                           None if valid is None else valid[0],
                           None if valid is None else valid[1], **settings)

    everything = np.arange(train_rows.size)
    solver = solver_for(model, everything, None if validation_data is None else
                        (X_valid, y_valid, np.asarray(valid_rows)))
    alpha_max = solver.start()
    if alphas is None:
        if not alpha_max > 0:
            raise ValueError("alpha_max is 0: no input has a gradient at the start.")
        alphas = _default_grid(alpha_max, eps, n_alphas)
    alphas = np.sort(np.asarray(alphas, dtype=float))[::-1]
    choice = None

    def part(name):
        return checkpoint_part(checkpoint, name)

    if cv is None:
        walk = _walk_genotype_path(solver, model, alphas, n_alphas_no_change, callback,
                                   checkpoint=part("path"))
        best = choose_alpha(walk.losses, rule)
    else:
        folds = _folds(cv, X_plain, y, getattr(model, "estimator", None))
        fold_losses = []
        for k, (tr, va) in enumerate(folds):
            fold = solver_for(model.fresh(), tr, (X_plain[va], y[va], train_rows[va]))
            fold.start()
            fold_losses.append(_walk_genotype_path(fold, None, alphas,
                                                   n_alphas_no_change, None,
                                                   checkpoint=part(f"fold{k}")).losses)
        choice = choose_alpha_cv(fold_losses, rule)
        best = choice.best
        walk = _walk_genotype_path(solver, model, alphas[:best + 1], None, callback,
                                   cv=choice, checkpoint=part("path"))
    records, snapshots, columns, norms = walk.records, walk.snapshots, walk.columns, \
        walk.norms
    return AlphaPath(alphas=alphas[:len(records)], records=tuple(records),
                     group_norms=np.vstack(norms),
                     feature_names=np.asarray(plain_groups if plain_groups is not None
                                              else [f"x{j}" for j in range(n_plain)],
                                              dtype=object),
                     best_index=best, best_estimator=snapshots[best],
                     alpha_max=alpha_max, rule=rule, best_columns=columns[best],
                     cv_losses=None if choice is None else choice.fold_means,
                     cv_alphas=(None if choice is None
                                else alphas[:choice.fold_means.shape[1]]))


def _folds(cv, X, y, estimator):
    """The (train, held-out) index pairs of ``cv`` over the rows of ``X``."""
    from sklearn.base import is_classifier
    from sklearn.model_selection import check_cv

    splitter = check_cv(cv, y, classifier=estimator is not None and
                        is_classifier(estimator))
    if isinstance(cv, int) and hasattr(splitter, "shuffle"):
        splitter.shuffle = True
        splitter.random_state = (None if estimator is None
                                 else estimator.random_state)
    return list(splitter.split(X, y))


def _walk_genotype_path(solver, model, alphas, n_alphas_no_change, callback, cv=None,
                        checkpoint=None):
    """Solve each alpha in turn; keep snapshots of the model when ``model`` is given.

    With a ``checkpoint`` the alphas saved there are taken as solved, the solver goes
    on from the last one's model and working set, and each new alpha is saved.
    """
    walk = SimpleNamespace(records=[], losses=[], snapshots=[], columns=[], norms=[])

    def keep(i, record, loss, snapshot, columns, norms):
        walk.records.append(record)
        if loss is not None:
            walk.losses.append(loss)
        if model is not None:
            walk.snapshots.append(snapshot)
            walk.columns.append(columns)
            walk.norms.append(norms)
        if callback is not None:
            callback(i, record)

    saved = [] if checkpoint is None else checkpoint.saved_steps()
    for i, item in enumerate(saved):
        check_resumed_alpha(item["record"], alphas, i, checkpoint)
        replay_convergence_warnings(item.get("warnings"))
        keep(i, item["record"], item["losses"], item["estimator"], item["columns"],
             item["norms"])
    if saved:
        solver.resume(saved[-1]["estimator"], saved[-1]["columns"],
                      saved[-1]["record"].alpha)
        if _stale(walk.losses, n_alphas_no_change):
            return walk
    for i in range(len(saved), len(alphas)):
        # The alpha's working-set rounds and fits save their progress here; cleared
        # once the alpha itself is saved.
        rounds = None if checkpoint is None else checkpoint.child(f"alpha_{i:03d}_rounds")
        with convergence_warnings_recorded() as stops:
            record, loss = solver.solve(float(alphas[i]),
                                        None if cv is None else (cv.mean[i], cv.se[i]),
                                        checkpoint=rounds)
        snapshot = (solver.model.snapshot() if model is not None or checkpoint is not None
                    else None)
        columns, norms = solver.cols.copy(), solver.plain_norms()
        if checkpoint is not None:
            checkpoint.save_step(i, {"record": record, "losses": loss,
                                      "estimator": snapshot, "columns": columns,
                                      "norms": norms, "warnings": stops})
            rounds.clear()
        keep(i, record, loss, snapshot, columns, norms)
        if _stale(walk.losses, n_alphas_no_change):
            break
    return walk


class _PathSolver:
    """The state of a genotype path between alphas: working set, support, criticals."""

    def __init__(self, model, geno, X_plain, y, X_valid, y_valid, *, labels, plain_alpha,
                 min_ws, max_ws, max_rounds, kkt_tol):
        self.model, self.geno, self.y = model, geno, y
        self.X_plain, self.y_valid = X_plain, y_valid
        self.X_valid = None if X_valid is None else np.asarray(X_valid)
        self.labels, self.plain_alpha = labels, plain_alpha
        self.min_ws, self.max_ws = min_ws, max_ws
        self.max_rounds, self.kkt_tol = max_rounds, kkt_tol
        self.cols = np.zeros(0, dtype=np.intp)
        self.previous_alpha = math.nan
        self.crit = np.zeros(geno.n_snps)

    # -- the model's view -------------------------------------------------------------
    def _groups(self, cols):
        return self.labels + [f"snp:{j}" for j in cols]

    def _factor(self, cols, alpha):
        plain = 1.0 if self.plain_alpha is None else self.plain_alpha / alpha
        return np.r_[np.full(len(self.labels), plain), np.ones(len(cols))]

    def _train(self, cols):
        return self.geno.design(self.X_plain, self.geno.train_rows, cols)

    def _criticals(self, X_train) -> np.ndarray:
        """Critical alpha of every SNP at the current weights (one int8 pass)."""
        # One number per SNP leaves each block (and, with the SNPs split across
        # processes, each rank): the critical alpha of a column depends on it alone.
        return self.geno.per_snp(self.model.output_gradient(X_train, self.y),
                                 lambda block: self.model.critical_alpha(block.T))

    def start(self) -> float:
        """Start the model; return alpha_max (SNPs, and plain inputs when they share it).

        Without plain inputs the null model is built over the first
        ``min_working_set`` SNPs (at zero, so it is the same null model): a network
        needs at least one input column.
        """
        if not self.labels:
            self.cols = np.arange(min(self.min_ws, self.geno.n_snps), dtype=np.intp)
        alpha0 = 1.0 if self.plain_alpha is None else self.plain_alpha
        X0 = self._train(self.cols)
        self.model.start(X0, self.y, groups=self._groups(self.cols),
                         penalty_factor=self._factor(self.cols, alpha0),
                         plain_alpha=self.plain_alpha)
        self.crit = self._criticals(X0)
        alpha_max = float(self.crit.max())
        if self.plain_alpha is None and self.labels:
            out = self.model.output_gradient(X0, self.y)
            plain = self.model.critical_alpha(out.T @ self.X_plain.astype(np.float64),
                                              groups=self.labels)
            alpha_max = max(alpha_max, float(plain.max()))
        self.previous_alpha = alpha_max
        return alpha_max

    def resume(self, snapshot, columns, alpha: float) -> None:
        """Go on after a saved alpha: its model, working set and critical alphas."""
        self.model.restore(snapshot)
        self.cols = np.asarray(columns, dtype=np.intp)
        self.crit = self._criticals(self._train(self.cols))
        self.previous_alpha = float(alpha)

    def plain_norms(self) -> np.ndarray:
        return np.asarray(self.model.input_norms()[: len(self.labels)], dtype=float)

    # -- one alpha ----------------------------------------------------------------------
    def _candidates(self, alpha, support) -> np.ndarray:
        # Sequential strong rule (Tibshirani et al. 2012): a SNP whose critical alpha is
        # below 2 alpha - alpha_prev is likely to stay zero. Candidates enter strongest
        # first, at most as many as the support (and min_working_set) per alpha: on a
        # coarse grid the rule admits every SNP, and the KKT check catches what is missed.
        order = np.argsort(-self.crit, kind="stable")
        strong = order[self.crit[order] >= 2 * alpha - self.previous_alpha]
        strong = strong[~np.isin(strong, support)][:max(self.min_ws, support.size)]
        room = max(self.max_ws - support.size, 0)
        extra = strong[:room]
        return np.union1d(support, extra).astype(np.intp)

    def _move_to(self, new_cols) -> None:
        n_plain = len(self.labels)
        position = {c: n_plain + i for i, c in enumerate(self.cols)}
        source = np.r_[np.arange(n_plain), [position.get(c, -1) for c in new_cols]]
        if not source.size:  # a network needs an input column: keep the first SNP
            return
        self.model.select_columns(source.astype(np.int64))
        self.cols = np.asarray(new_cols, dtype=np.intp)

    def solve(self, alpha: float, cv_loss=None, checkpoint=None):
        """Fit ``alpha`` on working sets until no SNP left out violates its KKT
        condition. With a ``checkpoint`` each round's start (working set and model)
        is saved, and each round's fit saves its own progress; a solve killed in the
        middle goes on from there."""
        started = time.perf_counter()
        n_plain = len(self.labels)
        found = None if checkpoint is None else checkpoint.latest_step()
        stops: list[str] = []  # this alpha's ConvergenceWarnings, saved with each round
        if found is None:
            first = 1
            support = self.cols[self.model.input_norms()[n_plain:] > 0]
            self._move_to(self._candidates(alpha, support))
        else:
            first = found[1]["round"]
            stops = list(found[1].get("warnings", []))
            replay_convergence_warnings(stops)
            self.model.restore(found[1]["model"])
            self.cols = np.asarray(found[1]["columns"], dtype=np.intp)
        for rounds in range(first, self.max_rounds + 1):
            fit_checkpoint = None
            if checkpoint is not None:
                if found is None or rounds > first:
                    checkpoint.save_step(rounds - 1, {
                        "round": rounds, "columns": self.cols.copy(),
                        "model": self.model.snapshot(), "warnings": list(stops)},
                        keep_previous=False)
                fit_checkpoint = checkpoint.child(f"round_{rounds:02d}_fit")
            X_train = self._train(self.cols)
            with convergence_warnings_recorded() as raised:
                self.model.fit(X_train, self.y, alpha=alpha,
                               groups=self._groups(self.cols),
                               penalty_factor=self._factor(self.cols, alpha),
                               checkpoint=fit_checkpoint)
            stops += raised
            self.crit = self._criticals(X_train)
            outside = np.ones(self.geno.n_snps, dtype=bool)
            outside[self.cols] = False
            ratio = self.crit / alpha
            violators = np.flatnonzero(outside & (ratio > 1 + self.kkt_tol))
            room = min(max(self.min_ws, self.cols.size), self.max_ws - self.cols.size)
            if violators.size == 0 or rounds == self.max_rounds or room <= 0:
                break
            worst = violators[np.argsort(-ratio[violators], kind="stable")][:room]
            self._move_to(np.union1d(self.cols, worst))
        losses = None
        if self.X_valid is not None:
            X_valid = self.geno.design(self.X_valid, self.geno.valid_rows, self.cols)
            losses = self.model.sample_losses(X_valid, self.y_valid)
            loss = float(np.mean(losses))
            se = float(np.std(losses) / math.sqrt(max(losses.size, 1)))
        else:
            loss, se = (float(v) for v in cv_loss)
        support = self.model.input_norms() > 0
        summary = self.model.summary()
        outside = np.ones(self.geno.n_snps, dtype=bool)
        outside[self.cols] = False
        record = PathRecord(
            alpha=alpha, valid_loss=loss, valid_loss_se=se,
            valid_score=summary["valid_score"], n_selected=int(support[:n_plain].sum()),
            best_epoch=summary["best_epoch"], n_epochs=summary["n_epochs"],
            objective=summary["objective"], fit_seconds=time.perf_counter() - started,
            n_snps=int(support[n_plain:].sum()), working_set=int(self.cols.size),
            rounds=rounds,
            max_kkt_outside=(float((self.crit[outside] / alpha).max()) if outside.any()
                             else 0.0))
        self.previous_alpha = alpha
        return record, losses


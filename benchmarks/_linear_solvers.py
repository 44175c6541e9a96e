"""The peer solvers of ``linear_peers.py``: skglm, adelie, celer and scikit-learn.

Each ``solve_<peer>(problem, tol)`` fits one problem of ``linear_peers.py`` (its
``Problem``: ``X``, ``y``, ``penalty``, ``alpha`` and a cache of prepared layouts) with
one peer package and returns ``(w, b, note)`` with ``w`` of shape ``(p,)`` and ``b`` the
intercept. How each peer's objective and ``alpha`` are put on the benchmark's scale is
written in the module docstring of ``linear_peers.py``. The peer packages are imported
inside the functions, so that this module loads without them (``linear_peers.py`` skips
the peers that are not installed).
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from linear_peers import Problem

__all__ = ["INTERCEPT_SCALING", "solve_adelie", "solve_celer", "solve_liblinear",
           "solve_skglm", "with_intercept_column"]

INTERCEPT_SCALING = 100.0  # constant column for the solvers that penalize the intercept


def solve_skglm(problem: Problem, tol: float):
    from skglm import GeneralizedLinearEstimator, SparseLogisticRegression
    from skglm.datafits import LogisticGroup
    from skglm.penalties import WeightedGroupL2
    from skglm.solvers import GroupProxNewton
    from skglm.utils.data import grp_converter

    X = problem.fortran()
    if problem.penalty == "l1":
        est = SparseLogisticRegression(alpha=problem.alpha, tol=tol, max_iter=100,
                                       fit_intercept=True)
        est.fit(X, problem.y)
        return est.coef_.ravel().copy(), float(np.ravel(est.intercept_)[0]), ""
    grp_indices, grp_ptr = grp_converter(problem.group_size, problem.p)
    weights = np.full(problem.n_groups, math.sqrt(problem.group_size))
    est = GeneralizedLinearEstimator(
        datafit=LogisticGroup(grp_ptr, grp_indices),
        penalty=WeightedGroupL2(problem.alpha, weights, grp_ptr, grp_indices),
        solver=GroupProxNewton(tol=tol, max_iter=100, fit_intercept=True),
    )
    # skglm's Logistic datafits expect labels in {-1, 1}.
    est.fit(X, 2 * problem.y - 1)
    return est.coef_.ravel().copy(), float(np.ravel(est.intercept_)[0]), ""


def solve_adelie(problem: Problem, tol: float, n_threads: int = 1):
    import adelie as ad

    X = problem.fortran()
    size = problem.group_size
    groups = np.arange(0, problem.p, size)
    penalty = np.full(groups.size, math.sqrt(size))
    state = ad.grpnet(
        X, ad.glm.binomial(problem.y), groups=groups, penalty=penalty,
        lmda_path=np.array([problem.alpha]), intercept=True, tol=tol, irls_tol=tol,
        early_exit=False, progress_bar=False, n_threads=n_threads,
    )
    w = np.asarray(state.betas[-1].toarray()).ravel()
    return w, float(state.intercepts[-1]), ""


def with_intercept_column(X: np.ndarray) -> np.ndarray:
    out = np.empty((X.shape[0], X.shape[1] + 1), order="F")
    out[:, 0] = INTERCEPT_SCALING
    out[:, 1:] = X
    return out


def solve_celer(problem: Problem, tol: float):
    import celer

    X = problem.cache.get("celer_X")
    if X is None:  # layout, prepared once outside the timing (see warm-up)
        X = problem.cache["celer_X"] = with_intercept_column(problem.X)
    est = celer.LogisticRegression(C=1.0 / (problem.alpha * problem.n), tol=tol,
                                   fit_intercept=False, max_iter=100)
    est.fit(X, problem.y)
    coef = est.coef_.ravel()
    return coef[1:].copy(), float(coef[0] * INTERCEPT_SCALING), ""


def solve_liblinear(problem: Problem, tol: float):
    from sklearn.linear_model import LogisticRegression

    est = LogisticRegression(l1_ratio=1.0, C=1.0 / (problem.alpha * problem.n),
                             solver="liblinear", intercept_scaling=INTERCEPT_SCALING,
                             tol=tol, max_iter=10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # penalty deprecations, ConvergenceWarning
        est.fit(problem.fortran(), problem.y)
    return est.coef_.ravel().copy(), float(est.intercept_[0]), ""

"""riata's no-hidden-layer case against the linear sparse solvers (issue #5, item 4b).

One problem per (p, penalty): sparse logistic regression with an unpenalized intercept,

.. math:: \\min_{w, b} \\frac{1}{n} \\sum_i \\log(1 + e^{-s_i (x_i^T w + b)}) + \\alpha P(w),
          \\qquad s_i = 2 y_i - 1 \\in \\{-1, 1\\},

with ``P(w) = ||w||_1`` (L1) or ``P(w) = sum_g sqrt(5) ||w_g||_2`` (group lasso, contiguous
groups of 5, riata's default ``sqrt(group size)`` weights), at ``alpha = alpha_max / 20``.
Data: ``n = 3,000`` samples of standardized Gaussian features with AR(1) correlation
``rho = 0.5`` between neighbours, 20 nonzero true coefficients, labels drawn from the
logistic model.

Solvers, each given the same arrays (the layout each prefers is prepared outside the
timed region) and each told the same ``alpha`` on its own scale:

=================  ==================================================================
riata-fista        ``riata.optim.ProxSGD`` (``momentum=0``: the proximal gradient step)
                   on a float64 ``nn.Linear(p, 1)``, full batch, ``lr = 1 / L`` with
                   ``L = ||[X, 1]||_2^2 / (4n)`` (power iteration, timed), FISTA
                   extrapolation with adaptive restart written around ``step()``; stops
                   when the gradient mapping ``|(w_extrapolated - w_new)| / lr`` is at
                   most ``--tol`` in every coordinate. Alpha: riata's own scale.
riata-fista-ws     The same inner solver on a working set (skglm's strategy written
                   with riata's public pieces): the full gradient is computed,
                   ``penalty.optimality_violation`` ranks the groups, the support plus
                   the worst violators (twice the support, at least 10 groups) form the
                   working set, FISTA solves the restricted problem to 0.3 x the
                   current violation, until every group's violation is below ``--tol``.
                   A prototype of the active-set solver of DESIGN.md section 6, not
                   library code.
riata-estimator    ``SparseMLPClassifier(hidden_layer_sizes=(), solver="sgd",
                   momentum=0, batch_size=n, learning_rate_init=1/L, dtype="float64",
                   early_stopping=False, tol=1e-10, n_iter_no_change=50)``: the public
                   estimator, full batch, i.e. ISTA, stopped by its own rule or by
                   ``--estimator-epochs``; timed once.
riata-estimator-ipiano  the same with ``momentum=0.8`` and ``learning_rate_init=0.39/L``:
                   ProxSGD's momentum is the inertial proximal method iPiano, which
                   converges for ``lr < 2 (1 - momentum) / L`` (Ochs et al. 2014).
skglm              ``SparseLogisticRegression(alpha)`` (ProxNewton with working sets)
                   for L1; ``GeneralizedLinearEstimator(LogisticGroup,
                   WeightedGroupL2(alpha, weights=sqrt(5)), GroupProxNewton(
                   fit_intercept=True))`` for the group lasso. skglm's ``Logistic``
                   datafit is the *mean* logistic loss (its docstring:
                   ``1/n sum log(1 + exp(-y_i x_i^T w))``): alpha is the same number.
                   Numba compiles on the first call: a warm-up fit on a small problem
                   runs first and its time is reported as the compile time.
adelie             ``adelie.grpnet(X, glm.binomial(y), groups, penalty=sqrt(sizes),
                   lmda_path=[alpha], intercept=True)``. adelie's binomial loss is
                   ``sum_i w_i (-y_i eta_i + log(1 + e^eta_i))`` with weights normalized
                   to sum to 1 (default ``1/n``): the mean logistic loss; its penalty is
                   ``lambda sum_g omega_g ||beta_g||_2``: ``lambda = alpha`` and ``omega_g``
                   = 1 (L1) or sqrt(5) (group lasso).
celer              ``celer.LogisticRegression(C)`` (prox-Newton with working sets), L1
                   only. Its objective is ``sum_i log(1 + e^{-y_i x_i^T w}) + ||w||_1 / C``,
                   a *sum*: ``C = 1 / (alpha n)``. celer fits no intercept; a constant
                   column of value 100 stands in for it, so the intercept ``b = 100 w_0``
                   is penalized by ``alpha |b| / 100`` (negligible here: the true
                   intercept is 0 and the classes are balanced).
sklearn-liblinear  ``LogisticRegression(l1_ratio=1, C=1 / (alpha n), solver="liblinear",
                   intercept_scaling=100)``: the same sum scaling as celer; liblinear
                   penalizes its intercept column in the same way.
=================  ==================================================================

The objective of every solution is computed by one function, :func:`objective`, from
the returned ``(w, b)`` in float64; the relative gap is ``(F - F_best) / F_best`` with
``F_best`` the smallest objective any solver reached on that problem. Times are the best
of ``--repeats`` runs, side by side in the same process; the table's ratios are to the
fastest solver *of that problem*, timed back to back (on a shared machine whose speed
drifts, read them as +-30 %).

Usage::

    python benchmarks/linear_peers.py                      # p = 1,000 and 10,000
    python benchmarks/linear_peers.py --large              # also p = 100,000
    python benchmarks/linear_peers.py --quick              # smoke test (< 1 min; most
                                                           # of it skglm's compilation)
    OMP_NUM_THREADS=1 python benchmarks/linear_peers.py --out docs/benchmarks_linear_peers.csv

Peers that are not installed are skipped with a note (``benchmarks/requirements.txt``
lists them; they need their own environment, see ``docs/benchmarks.md``). Their wrappers
are in ``_linear_solvers.py``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_description, write_csv  # noqa: E402
from _linear_solvers import (  # noqa: E402
    solve_adelie,
    solve_celer,
    solve_liblinear,
    solve_skglm,
    with_intercept_column,
)

#: Versions printed with each run.
PACKAGES = ("numpy", "scikit-learn", "skglm", "celer", "adelie", "lassonet", "numba")
from riata import L1, GroupLasso, SparseMLPClassifier
from riata.optim import ProxSGD

GROUP_SIZE = 5
ALPHA_RATIO = 20.0  # alpha = alpha_max / ALPHA_RATIO

COLUMNS = [
    "n", "p", "penalty", "alpha", "solver", "time_s", "time_ratio", "objective",
    "rel_gap", "nnz", "n_groups_selected", "compile_s", "note",
]


# -- the problem ------------------------------------------------------------------------
@dataclass
class Problem:
    """One benchmark problem: data, penalty and its strength."""

    X: np.ndarray  # (n, p), float64, C order, standardized columns
    y: np.ndarray  # (n,), float64 in {0, 1}
    penalty: str  # "l1" or "group"
    alpha: float
    X_fortran: np.ndarray | None = None  # the same matrix in Fortran order (peers)
    cache: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def p(self) -> int:
        return self.X.shape[1]

    @property
    def group_size(self) -> int:
        return GROUP_SIZE if self.penalty == "group" else 1

    @property
    def n_groups(self) -> int:
        return self.p // self.group_size

    def fortran(self) -> np.ndarray:
        if self.X_fortran is None:
            self.X_fortran = np.asfortranarray(self.X)
        return self.X_fortran


def simulate(n: int, p: int, seed: int = 0, rho: float = 0.5, n_informative: int = 20):
    """Standardized AR(1)-correlated Gaussian features and logistic labels.

    ``corr(x_j, x_k) = rho^|j - k|``; the informative coefficients sit in distinct
    groups of 5 (so both penalties face the same sparse truth), with random signs and
    a size that puts the Bayes AUROC around 0.9.
    """
    rng = np.random.default_rng(seed)
    # Fortran order while building: the recursion x_j = rho x_{j-1} + sqrt(1-rho^2) z_j
    # runs over contiguous columns.
    X = rng.standard_normal((p, n)).T
    scale = math.sqrt(1.0 - rho**2)
    for j in range(1, p):
        X[:, j] *= scale
        X[:, j] += rho * X[:, j - 1]
    X -= X.mean(axis=0)
    X /= X.std(axis=0)
    n_groups = p // GROUP_SIZE
    k = min(n_informative, n_groups)
    groups = rng.choice(n_groups, size=k, replace=False)
    support = groups * GROUP_SIZE + rng.integers(0, GROUP_SIZE, size=k)
    beta = np.zeros(p)
    beta[support] = rng.choice([-1.0, 1.0], size=k) * 0.5
    logits = X @ beta
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logits))).astype(np.float64)
    return np.ascontiguousarray(X), y


def group_labels(p: int, size: int) -> np.ndarray:
    """Contiguous groups: columns ``size * g ... size * g + size - 1`` form group g."""
    return np.arange(p) // size


def group_norms(w: np.ndarray, size: int) -> np.ndarray:
    return np.sqrt((w.reshape(-1, size) ** 2).sum(axis=1))


def penalty_value(w: np.ndarray, penalty: str, alpha: float) -> float:
    """``alpha * ||w||_1`` or ``alpha * sum_g sqrt(5) ||w_g||_2``."""
    if penalty == "l1":
        return alpha * float(np.abs(w).sum())
    return alpha * math.sqrt(GROUP_SIZE) * float(group_norms(w, GROUP_SIZE).sum())


def objective(problem: Problem, w: np.ndarray, b: float) -> float:
    """The one objective every solution is scored with: mean logistic loss + penalty.

    ``log(1 + exp(z)) - y z`` per sample with ``z = x^T w + b``, without overflow, in
    float64.
    """
    z = problem.X @ w + b
    loss = float(np.mean(np.logaddexp(0.0, z) - problem.y * z))
    return loss + penalty_value(w, problem.penalty, problem.alpha)


def alpha_max(X: np.ndarray, y: np.ndarray, penalty: str) -> float:
    """Smallest alpha with ``w = 0`` optimal (the intercept at its optimum, logit(mean y)).

    The gradient of the mean loss at ``w = 0`` is ``X^T (mean(y) - y) / n``; L1 needs
    every ``|grad_j| <= alpha``, the group lasso every ``||grad_g|| <= alpha sqrt(5)``.
    """
    grad = X.T @ (y.mean() - y) / X.shape[0]
    if penalty == "l1":
        return float(np.abs(grad).max())
    return float(group_norms(grad, GROUP_SIZE).max() / math.sqrt(GROUP_SIZE))


def make_problem(X: np.ndarray, y: np.ndarray, penalty: str) -> Problem:
    return Problem(X=X, y=y, penalty=penalty, alpha=alpha_max(X, y, penalty) / ALPHA_RATIO)


# -- riata ------------------------------------------------------------------------------
def riata_penalty(penalty: str, alpha: float, n_columns: int):
    if penalty == "l1":
        return L1(alpha=alpha)
    return GroupLasso(alpha=alpha, groups=group_labels(n_columns, GROUP_SIZE))


def lipschitz(X: torch.Tensor, n_iter: int = 20, rtol: float = 1e-4,
              slack: float = 1.1, v0: torch.Tensor | None = None):
    """``||[X, 1]||_2^2 / (4 n)``: the Lipschitz constant of the mean logistic loss's
    gradient in ``(w, b)``, by power iteration on ``[X, 1]^T [X, 1]``.

    Each iteration reads X twice, as a FISTA iteration does, so it is kept short: on
    these data 20 iterations from a random start are within 2-4 % of the value after
    300, and ``slack`` (10 %) covers that underestimate. ``v0`` warm-starts the
    iteration (the working-set solver passes the previous working set's vector).
    Returns ``(L, v)`` with ``v`` the last iterate (its last entry is the intercept's).
    """
    n, p = X.shape
    if v0 is None:
        v0 = torch.randn(p + 1, generator=torch.Generator().manual_seed(0),
                         dtype=X.dtype)
    v, c = v0[:-1] / v0.norm(), v0[-1] / v0.norm()
    sigma2 = 0.0
    for _ in range(n_iter):
        u = X @ v + c
        v_new, c_new = X.T @ u, u.sum()
        norm = torch.sqrt(v_new @ v_new + c_new * c_new)
        new = float(norm)  # ||A^T A x|| with ||x|| = 1 -> sigma_max^2 from below
        v, c = v_new / norm, c_new / norm
        converged = abs(new - sigma2) <= rtol * new
        sigma2 = new
        if converged:
            break
    return slack * sigma2 / (4 * n), torch.cat([v, c.reshape(1)])


def fista(X: torch.Tensor, y: torch.Tensor, penalty, lr: float, tol: float,
          max_iter: int, w0: torch.Tensor | None = None, b0: float = 0.0):
    """FISTA with gradient-based adaptive restart, around ``ProxSGD.step()``.

    The layer holds the extrapolated point; ``loss.backward()`` then ``opt.step()``
    (riata's proximal gradient step with ``lr``) gives the new iterate, and the
    extrapolation is written back into the layer between steps (O'Donoghue & Candes
    2015: restart when the momentum points uphill). Returns ``(w, b, n_iter)``.
    """
    p = X.shape[1]
    layer = nn.Linear(p, 1, dtype=X.dtype)
    with torch.no_grad():
        layer.weight.copy_(w0.reshape(1, p) if w0 is not None else torch.zeros(1, p))
        layer.bias.fill_(b0)
    opt = ProxSGD([{"params": [layer.weight], "penalty": penalty},
                   {"params": [layer.bias]}], lr=lr)
    params = (layer.weight, layer.bias)
    previous = [q.detach().clone() for q in params]
    t = 1.0
    target = y.reshape(-1, 1)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - `it` is returned
        extrapolated = [q.detach().clone() for q in params]
        opt.zero_grad(set_to_none=True)
        F.binary_cross_entropy_with_logits(layer(X), target).backward()
        opt.step()
        with torch.no_grad():
            moves = [e - q for e, q in zip(extrapolated, params)]  # lr * gradient mapping
            residual = max(float(m.abs().max()) for m in moves) / lr
            if residual <= tol:
                break
            uphill = sum(float((m * (q - prev)).sum())
                         for m, q, prev in zip(moves, params, previous))
            if uphill > 0:
                t = 1.0
            t_next = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
            beta = (t - 1.0) / t_next
            t = t_next
            for q, prev in zip(params, previous):
                current = q.detach().clone()
                q.add_(current - prev, alpha=beta)
                prev.copy_(current)
    with torch.no_grad():
        # Return the last proximal iterate, not an extrapolated point.
        w = layer.weight.detach().reshape(-1).clone()
        b = float(layer.bias)
        if it == max_iter and residual > tol:
            w, b = previous[0].reshape(-1).clone(), float(previous[1])
    return w, b, it


def solve_riata_fista(problem: Problem, tol: float, max_iter: int = 100_000):
    X = problem.cache.setdefault("torch_X", torch.from_numpy(problem.X))
    y = torch.from_numpy(problem.y)
    lr = 1.0 / lipschitz(X)[0]
    b0 = float(np.log(problem.y.mean() / (1 - problem.y.mean())))
    w, b, it = fista(X, y, riata_penalty(problem.penalty, problem.alpha, problem.p), lr,
                     tol, max_iter, b0=b0)
    return w.numpy(), b, f"{it} iterations"


def solve_riata_fista_ws(problem: Problem, tol: float, max_outer: int = 50,
                         p0: int = 10, max_inner: int = 100_000):
    """Working sets of groups around :func:`fista` (see the module docstring)."""
    # Fortran order: X.T is then C-contiguous and a working set's columns are rows of
    # it, gathered with one contiguous copy each.
    X = problem.cache.setdefault("torch_X_fortran", torch.from_numpy(problem.fortran()))
    y = torch.from_numpy(problem.y)
    n, p = X.shape
    power = torch.zeros(p + 1, dtype=X.dtype)  # power-iteration vector, warm-started
    power[-1] = 1.0
    size = problem.group_size
    full_penalty = riata_penalty(problem.penalty, problem.alpha, p)
    w = torch.zeros(p, dtype=X.dtype)
    b = float(np.log(problem.y.mean() / (1 - problem.y.mean())))
    ws_groups = p0
    inner_total = 0
    for outer in range(1, max_outer + 1):
        with torch.no_grad():
            residual = torch.sigmoid(X @ w + b) - y
            grad = (X.T @ residual) / n
            violation = full_penalty.optimality_violation(w.reshape(1, p),
                                                          grad.reshape(1, p))
            kkt = max(float(violation.max()), abs(float(residual.mean())))
        if kkt <= tol:
            break
        active = (w.reshape(-1, size) != 0).any(dim=1)
        n_active = int(active.sum())
        ws_groups = min(max(ws_groups, 2 * n_active, p0), p // size)
        score = torch.where(active, torch.full_like(violation, math.inf), violation)
        groups = torch.topk(score, ws_groups).indices.sort().values
        columns = (groups.reshape(-1, 1) * size + torch.arange(size)).reshape(-1)
        X_ws = X.T[columns].T  # (n, |ws|), Fortran order
        # Warm start: the previous working set's vector, plus the new columns' share
        # of the random start (so that no direction is missed).
        start = 1e-3 * torch.randn(columns.numel() + 1,
                                   generator=torch.Generator().manual_seed(outer),
                                   dtype=X.dtype)
        start[:-1] += power[columns]
        start[-1] += power[-1]
        L, v = lipschitz(X_ws, n_iter=20 if outer == 1 else 8, v0=start)
        power = torch.zeros_like(power)
        power[columns], power[-1] = v[:-1], v[-1]
        penalty = riata_penalty(problem.penalty, problem.alpha, columns.numel())
        w_ws, b, inner = fista(X_ws, y, penalty, 1.0 / L,
                               max(0.3 * kkt, tol / 10), max_inner,
                               w0=w[columns], b0=b)
        inner_total += inner
        w = torch.zeros_like(w)
        w[columns] = w_ws
    return w.numpy(), b, f"{outer} outer, {inner_total} inner iterations"


def solve_riata_estimator(problem: Problem, tol: float, max_epochs: int,
                          momentum: float = 0.0, lr_scale: float = 1.0):
    X = problem.cache.setdefault("torch_X", torch.from_numpy(problem.X))
    lr = lr_scale / lipschitz(X)[0]
    clf = SparseMLPClassifier(
        (), penalty=riata_penalty(problem.penalty, problem.alpha, problem.p),
        solver="sgd", learning_rate_init=lr, momentum=momentum, batch_size=problem.n,
        max_epochs=max_epochs, early_stopping=False, tol=tol, n_iter_no_change=50,
        dtype="float64", random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(problem.X, problem.y.astype(int))
    return clf.coef_[0].copy(), float(clf.intercept_[0]), f"{clf.n_iter_} epochs"


# -- the solvers (the peers' wrappers are in _linear_solvers.py) -------------------------
@dataclass
class Solver:
    name: str
    fit: Callable  # fit(problem) -> (w, b, note)
    penalties: tuple = ("l1", "group")
    module: str | None = None  # import needed (peers); None for riata
    jit: bool = False  # report a separate compile time from the warm-up
    max_repeats: int | None = None  # cap on --repeats for the slow rows


def solvers_for(args) -> list[Solver]:
    t = args.tol
    threads = torch.get_num_threads()
    return [
        Solver("riata-fista", lambda pb: solve_riata_fista(pb, t)),
        Solver("riata-fista-ws", lambda pb: solve_riata_fista_ws(pb, t)),
        Solver("riata-estimator",
               lambda pb: solve_riata_estimator(pb, 1e-10, args.estimator_epochs),
               max_repeats=1),
        Solver("riata-estimator-ipiano",
               lambda pb: solve_riata_estimator(pb, 1e-10, args.estimator_epochs,
                                                momentum=0.8, lr_scale=0.39),
               max_repeats=1),
        Solver("skglm", lambda pb: solve_skglm(pb, t), module="skglm", jit=True),
        Solver("adelie", lambda pb: solve_adelie(pb, 1e-10, threads), module="adelie"),
        # celer's tol is a duality gap relative to n log 2 (the objective at w = 0).
        Solver("celer", lambda pb: solve_celer(pb, 1e-9), ("l1",), module="celer"),
        Solver("sklearn-liblinear", lambda pb: solve_liblinear(pb, 1e-8), ("l1",),
               module="sklearn"),
    ]


# -- running ----------------------------------------------------------------------------
def available(solver: Solver) -> str | None:
    """None when the solver can run, else why not."""
    if solver.module is None:
        return None
    try:
        importlib.import_module(solver.module)
    # Any failure (ImportError, a binary built against another numpy) skips the peer.
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def warm_up(solver: Solver, penalty: str) -> float:
    """Solve a small problem once (numba compile, torch's lazy initialization, imports);
    return its time."""
    X, y = simulate(200, 50, seed=1)
    start = time.perf_counter()
    solver.fit(make_problem(X, y, penalty))
    return time.perf_counter() - start


def run(sizes: Sequence[int], penalties: Sequence[str], solvers: Sequence[Solver],
        n: int, repeats: int, seed: int, log=print) -> list[dict]:
    rows: list[dict] = []
    compile_time: dict[tuple[str, str], float] = {}
    for solver in solvers:
        for penalty in penalties:
            if penalty in solver.penalties:
                compile_time[solver.name, penalty] = warm_up(solver, penalty)
    for p in sizes:
        start = time.perf_counter()
        X, y = simulate(n, p, seed=seed)
        log(f"# simulated n={n} p={p} in {time.perf_counter() - start:.1f} s")
        for penalty in penalties:
            problem = make_problem(X, y, penalty)
            problem.fortran()
            if any(s.name == "celer" for s in solvers):
                problem.cache["celer_X"] = with_intercept_column(problem.X)
            problem.cache["torch_X"] = torch.from_numpy(problem.X)
            problem.cache["torch_X_fortran"] = torch.from_numpy(problem.X_fortran)
            group = []
            for solver in solvers:
                if penalty not in solver.penalties:
                    continue
                best, result = math.inf, None
                for _ in range(min(repeats, solver.max_repeats or repeats)):
                    start = time.perf_counter()
                    result = solver.fit(problem)
                    best = min(best, time.perf_counter() - start)
                w, b, note = result
                group.append({
                    "n": n, "p": p, "penalty": penalty, "alpha": problem.alpha,
                    "solver": solver.name, "time_s": best,
                    "objective": objective(problem, w, b),
                    "nnz": int(np.count_nonzero(w)),
                    "n_groups_selected": int(np.count_nonzero(
                        group_norms(w, problem.group_size))),
                    "compile_s": (compile_time[solver.name, penalty] if solver.jit
                                  else math.nan),
                    "note": note,
                })
                log(f"  p={p} {penalty:5s} {solver.name:18s} {best:8.3f} s  "
                    f"F={group[-1]['objective']:.12g}  nnz={group[-1]['nnz']}  {note}")
            best_time = min(r["time_s"] for r in group)
            best_obj = min(r["objective"] for r in group)
            for r in group:
                r["time_ratio"] = r["time_s"] / best_time
                r["rel_gap"] = (r["objective"] - best_obj) / abs(best_obj)
            rows.extend(group)
            del problem
        del X
    return rows


def markdown_table(rows: list[dict]) -> str:
    header = ["p", "penalty", "solver", "time (s)", "time / fastest", "objective",
              "rel. gap to best", "nonzeros", "groups kept"]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(["---:", "---", "---"] + ["---:"] * (len(header) - 3)) + "|"]
    for r in rows:
        time_cell = f"{r['time_s']:.3f}"
        if not math.isnan(r["compile_s"]):
            time_cell += f" (+{r['compile_s']:.1f} compile)"
        lines.append("| " + " | ".join([
            f"{r['p']:,}", "L1" if r["penalty"] == "l1" else "group lasso (5)",
            r["solver"], time_cell, f"{r['time_ratio']:.1f}x",
            f"{r['objective']:.10f}", f"{r['rel_gap']:.1e}", str(r["nnz"]),
            str(r["n_groups_selected"]) if r["penalty"] == "group" else "",
        ]) + " |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000],
                        help="numbers of features p")
    parser.add_argument("--large", action="store_true", help="also p = 100,000")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: n = 300, p = 200, one repeat")
    parser.add_argument("--n", type=int, default=3_000, help="number of samples")
    parser.add_argument("--penalties", nargs="+", default=["l1", "group"],
                        choices=["l1", "group"])
    parser.add_argument("--solvers", nargs="+", default=None,
                        help="subset of solvers to run (default: all)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="time each solver this many times and keep the best")
    parser.add_argument("--tol", type=float, default=1e-7,
                        help="optimality tolerance of riata's FISTA loops and skglm")
    parser.add_argument("--estimator-epochs", type=int, default=500,
                        help="max_epochs of the riata-estimator row")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads (also adelie's n_threads); 0 keeps "
                             "torch's default. One thread: every peer but adelie is "
                             "single-threaded, and two threads on a shared 2-core "
                             "machine make small problems erratic")
    parser.add_argument("--out", default=None, help="write the rows to this CSV")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.n, args.repeats = [200], 300, 1
        args.estimator_epochs = min(args.estimator_epochs, 100)
    elif args.large and 100_000 not in args.sizes:
        args.sizes = [*args.sizes, 100_000]
    return args


def main(argv: Sequence[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"machine: {machine_description(PACKAGES)}")
    solvers = []
    for solver in solvers_for(args):
        if args.solvers is not None and solver.name not in args.solvers:
            continue
        why = available(solver)
        if why is not None:
            print(f"note: skipping {solver.name} ({solver.module} not importable: {why})")
            continue
        solvers.append(solver)
    start = time.perf_counter()
    rows = run(args.sizes, args.penalties, solvers, args.n, args.repeats, args.seed,
               log=lambda message: print(message, file=sys.stderr, flush=True))
    print(f"\nn = {args.n}, alpha = alpha_max / {ALPHA_RATIO:g}, best of {args.repeats} "
          f"run(s), tol = {args.tol:g}; {time.perf_counter() - start:.0f} s in all\n")
    print(markdown_table(rows))
    if args.out:
        print(f"\nrows written to {write_csv(rows, args.out, columns=COLUMNS)}")
    return rows


if __name__ == "__main__":
    main()

"""Bradley–Terry maximum likelihood on aggregated vote counts: one fit, or many bootstrap fits.

Model: model ``i`` beats model ``j`` with probability ``σ(θ_i − θ_j)``. A battle with result
``y`` (1 win, 0.5 tie, 0 loss, seen from the first model) and weight ``w`` adds
``w·[y·log σ(d) + (1−y)·log σ(−d)]`` to the log-likelihood, so a tie counts as half a win
each way. That term depends on a battle only through its pair, result and weight, so battles
are grouped into *cells* (unordered pair, result, weight) first: 100,000 votes among 50 models
become at most a few thousand cells, and every later step costs O(cells), not O(votes).

The fit is Newton's method with a backtracking line search. The Hessian is a weighted graph
Laplacian, singular along "add a constant to every θ"; adding ``J/M`` (all entries ``1/M``)
makes it invertible without changing the step, because the gradient always sums to zero. The
result therefore keeps the sum-zero normalisation it starts from.

The maximum likelihood estimate exists exactly when the directed "earned at least half a point
against" graph is strongly connected (Ford, 1957). When it is not (a model never lost, or two
groups of models never met) a weak prior is added: ``prior`` virtual ties of every model
against a virtual opponent with θ = 0. It keeps every estimate finite; callers say so.

Bootstrap rounds resample battles: the number of battles drawn from each cell is multinomial
over the cells, which is the same distribution as drawing the battles one by one. All rounds
of a block are fitted together with batched Newton steps, starting from the full-data fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.special import expit, log_expit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Bootstrap rounds are fitted in blocks so that the (rounds x cells) count matrix and the
# (rounds x models²) Hessians stay within a few tens of MB whatever the input size.
_MAX_BLOCK_ENTRIES = 4_000_000
# A Newton step smaller than this (in natural log-odds units; 1e-9 is about 2e-7 rating points)
# means converged: the iteration converges quadratically, so one more step adds nothing.
_STEP_TOLERANCE = 1e-9
_MAX_HALVINGS = 40


@dataclass(frozen=True)
class Cells:
    """Battles grouped by (unordered pair, result, weight).

    Attributes:
        n_models: Number of models; model indices run from 0 to ``n_models - 1``.
        first: Lower model index of each cell's pair.
        second: Higher model index of each cell's pair.
        result: Result for ``first``: 1.0 win, 0.5 tie, 0.0 loss.
        weight: Weight of every battle in the cell.
        count: Number of battles in the cell.
    """

    n_models: int
    first: IntArray
    second: IntArray
    result: FloatArray
    weight: FloatArray
    count: IntArray


@dataclass(frozen=True)
class FitResult:
    """Outcome of one Bradley–Terry fit.

    Attributes:
        theta: Strengths in natural log-odds units, mean zero.
        prior: The virtual-tie prior used (0.0 when the plain MLE exists).
        iterations: Newton iterations taken.
        converged: Whether the last step was below the tolerance.
        log_likelihood: Weighted log-likelihood of the data at ``theta`` (prior excluded).
    """

    theta: FloatArray
    prior: float
    iterations: int
    converged: bool
    log_likelihood: float


def make_cells(
    first: IntArray, second: IntArray, result: FloatArray, weight: FloatArray, n_models: int
) -> Cells:
    """Group per-battle arrays into cells.

    Args:
        first: Model index of one side of each battle.
        second: Model index of the other side (never equal to ``first``).
        result: Result for ``first``: 1.0, 0.5 or 0.0.
        weight: Positive weight of each battle.
        n_models: Number of models.

    Returns:
        The cells, pairs stored with the lower index first (results flipped to match).
    """
    swap = first > second
    lo = np.where(swap, second, first).astype(np.int64)
    hi = np.where(swap, first, second).astype(np.int64)
    res = np.where(swap, 1.0 - result, result)
    code = (lo * n_models + hi) * 3 + np.rint(res * 2).astype(np.int64)
    w = np.asarray(weight, dtype=np.float64)
    # Sort by (code, exact weight) and cut where either changes: float weights stay exact
    # (no rounding into bins), and one sort is all the grouping costs.
    order = np.lexsort((w, code))
    code, w = code[order], w[order]
    cut = np.flatnonzero(np.r_[True, (code[1:] != code[:-1]) | (w[1:] != w[:-1])])
    count = np.diff(np.r_[cut, len(code)])
    code, w = code[cut], w[cut]
    pair = code // 3
    return Cells(
        n_models=n_models,
        first=pair // n_models,
        second=pair % n_models,
        result=(code % 3).astype(np.float64) / 2.0,
        weight=w,
        count=count.astype(np.int64),
    )


class _Design:
    """Sparse maps from cells to pairs and from pairs to gradients and Hessians."""

    def __init__(self, cells: Cells) -> None:
        m = cells.n_models
        pair_code = cells.first * m + cells.second
        codes, pair_of_cell = np.unique(pair_code, return_inverse=True)
        self.n_models = m
        self.i = (codes // m).astype(np.int64)
        self.j = (codes % m).astype(np.int64)
        n_pairs, n_cells = len(codes), len(pair_code)
        rows = np.arange(n_cells)

        def cell_to_pair(values: FloatArray) -> sparse.csr_matrix:
            return sparse.csr_matrix((values, (rows, pair_of_cell)), shape=(n_cells, n_pairs))

        self.pair_of_cell = pair_of_cell
        # Per-round "points earned" by pair.i (won) and by pair.j (lost), as counts @ matrix.
        self.won = cell_to_pair(cells.weight * cells.result)
        self.lost = cell_to_pair(cells.weight * (1.0 - cells.result))
        p = np.arange(n_pairs)
        self.incidence = sparse.csr_matrix(
            (np.r_[np.ones(n_pairs), -np.ones(n_pairs)], (np.r_[p, p], np.r_[self.i, self.j])),
            shape=(n_pairs, m),
        )
        # Row p holds x_p x_pᵀ flattened, x_p = e_i − e_j: the pair's Laplacian pattern.
        flat = np.r_[
            self.i * m + self.i, self.j * m + self.j, self.i * m + self.j, self.j * m + self.i
        ]
        vals = np.r_[np.ones(2 * n_pairs), -np.ones(2 * n_pairs)]
        self.laplacian = sparse.csr_matrix((vals, (np.tile(p, 4), flat)), shape=(n_pairs, m * m))

    def points(self, counts: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(won, lost) points per (round, pair) for per-(round, cell) battle counts."""
        return (self.won.T @ counts.T).T, (self.lost.T @ counts.T).T

    def strongly_connected(self, won: FloatArray, lost: FloatArray) -> bool:
        """Whether one round's "earned points against" graph is strongly connected."""
        src = np.r_[self.i[won > 0], self.j[lost > 0]]
        dst = np.r_[self.j[won > 0], self.i[lost > 0]]
        graph = sparse.csr_matrix((np.ones(len(src)), (src, dst)), shape=(self.n_models,) * 2)
        n, _ = connected_components(graph, directed=True, connection="strong")
        return bool(n == 1)


def _objective(
    design: _Design, theta: FloatArray, won: FloatArray, lost: FloatArray, prior: FloatArray
) -> FloatArray:
    """Negative log-posterior per round (rows of ``theta``)."""
    d = theta[:, design.i] - theta[:, design.j]
    # log σ(−d) = log σ(d) − d: one log_expit instead of two (it dominates the cost).
    nll = -((won + lost) * log_expit(d) - lost * d).sum(axis=1)
    penalty = 0.5 * prior * (log_expit(theta) + log_expit(-theta)).sum(axis=1)
    value: FloatArray = nll - penalty
    return value


def newton(
    design: _Design,
    theta0: FloatArray,
    won: FloatArray,
    lost: FloatArray,
    prior: FloatArray,
    max_iter: int = 100,
) -> tuple[FloatArray, int, BoolArray]:
    """Minimise the negative log-posterior of every round at once.

    Args:
        design: The cell/pair maps.
        theta0: Starting strengths, shape (rounds, models), each row mean zero.
        won: Points earned by each pair's first model, shape (rounds, pairs).
        lost: Points earned by each pair's second model, shape (rounds, pairs).
        prior: Virtual ties per model for each round (0.0 for the plain likelihood).
        max_iter: Most Newton iterations.

    Returns:
        (theta, iterations of the slowest round, converged flag of each round).
    """
    theta = np.array(theta0, dtype=np.float64)
    m = theta.shape[1]
    converged = np.zeros(theta.shape[0], dtype=bool)
    active = np.arange(theta.shape[0])
    current = _objective(design, theta, won, lost, prior)
    iterations = 0
    while iterations < max_iter and active.size:
        iterations += 1
        th, w, lo, pr = theta[active], won[active], lost[active], prior[active]
        p = expit(th[:, design.i] - th[:, design.j])
        sig = expit(th)
        grad = (design.incidence.T @ ((w + lo) * p - w).T).T + pr[:, None] * (sig - 0.5)
        curv = ((w + lo) * p * (1.0 - p)).T
        hess = (design.laplacian.T @ curv).T.reshape(len(active), m, m)
        hess[:, np.arange(m), np.arange(m)] += pr[:, None] * sig * (1.0 - sig)
        # Rounds without a prior need the J/M term (module docstring); with a prior the
        # Hessian is already invertible and the gradient no longer sums to zero.
        hess += np.where(pr > 0, 0.0, 1.0 / m)[:, None, None]
        step = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
        theta[active], current[active], moved = _line_search(
            design, (th, current[active]), step, grad, (w, lo, pr)
        )
        done = moved < _STEP_TOLERANCE
        converged[active[done]] = True
        active = active[~done]
    return theta, iterations, converged


def _line_search(
    design: _Design,
    start: tuple[FloatArray, FloatArray],
    step: FloatArray,
    grad: FloatArray,
    data: tuple[FloatArray, FloatArray, FloatArray],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Backtracking (Armijo) along ``-step`` per round: (theta, objective, max |move|)."""
    theta, current = start
    won, lost, prior = data
    new, value_new = theta.copy(), current.copy()
    size = np.ones(len(theta))
    pending = np.ones(len(theta), dtype=bool)
    slope = (grad * step).sum(axis=1)
    for _ in range(_MAX_HALVINGS):
        idx = np.flatnonzero(pending)
        trial = theta[idx] - size[idx, None] * step[idx]
        value = _objective(design, trial, won[idx], lost[idx], prior[idx])
        predicted = size[idx] * slope[idx]
        # Once the predicted decrease is below 1e-9 the objective's rounding noise can hide
        # it; Newton is then deep in its quadratic region and the full step is safe.
        ok = (value <= current[idx] - 1e-4 * predicted) | (predicted < 1e-9)
        new[idx[ok]], value_new[idx[ok]] = trial[ok], value[ok]
        pending[idx[ok]] = False
        size[pending] *= 0.5
        if not pending.any():
            break
    # A round whose objective cannot go down any more sits at the floating-point floor: it
    # did not move, which counts as converged.
    moved = np.where(pending, 0.0, np.abs(step).max(axis=1) * size)
    return new, value_new, moved


def fit(cells: Cells, prior: float, max_iter: int = 100) -> FitResult:
    """Fit the strengths on all cells.

    Args:
        cells: The grouped battles.
        prior: Virtual ties per model, used only when the plain MLE does not exist.
        max_iter: Most Newton iterations.

    Returns:
        The fit, its ``theta`` centred to mean zero.
    """
    design = _Design(cells)
    won, lost = design.points(cells.count[None, :].astype(np.float64))
    used = 0.0 if design.strongly_connected(won[0], lost[0]) else prior
    zero = np.zeros((1, cells.n_models))
    theta, iterations, converged = newton(design, zero, won, lost, np.array([used]), max_iter)
    theta = theta[0] - theta[0].mean()
    d = theta[design.i] - theta[design.j]
    loglik = float((won[0] * log_expit(d) + lost[0] * log_expit(-d)).sum())
    return FitResult(theta, used, iterations, bool(converged[0]), loglik)


def sandwich_covariance(cells: Cells, result: FitResult) -> FloatArray:
    """Robust (sandwich) covariance of the mean-zero strengths.

    ``H⁺ (Σ_battles s sᵀ) H⁺`` where ``s = w·(y − σ(d))·x`` is a battle's score and ``H`` the
    Hessian of the negative log-posterior; ``H⁺`` is the inverse in the mean-zero subspace.
    Battles of one cell share one score, so the sum runs over cells times their counts.

    Args:
        cells: The grouped battles.
        result: The fit on those cells.

    Returns:
        A (models x models) covariance matrix in natural units; rows sum to zero.
    """
    design = _Design(cells)
    m = cells.n_models
    theta = result.theta
    p_pair = expit(theta[design.i] - theta[design.j])
    won, lost = design.points(cells.count[None, :].astype(np.float64))
    total = (won + lost)[0]
    hess = (design.laplacian.T @ (total * p_pair * (1.0 - p_pair))).reshape(m, m)
    sig = expit(theta)
    hess[np.diag_indices(m)] += result.prior * sig * (1.0 - sig)
    resid = cells.result - p_pair[design.pair_of_cell]
    per_cell = cells.count * (cells.weight * resid) ** 2
    per_pair = np.bincount(design.pair_of_cell, weights=per_cell, minlength=len(design.i))
    meat = (design.laplacian.T @ per_pair).reshape(m, m)
    centre = np.eye(m) - 1.0 / m
    # inv(L + J/M) = L⁺ + J/M for a connected Laplacian L; the centring drops the J/M part.
    bread = np.linalg.inv(hess + (0.0 if result.prior > 0 else 1.0 / m))
    cov: FloatArray = centre @ bread @ meat @ bread @ centre
    return cov


def bootstrap(
    cells: Cells, result: FitResult, prior: float, rounds: int, seed: int
) -> tuple[FloatArray, int]:
    """Strengths refitted on ``rounds`` resamples of the battles.

    Args:
        cells: The grouped battles.
        result: The full-data fit; its ``theta`` starts every round.
        prior: Virtual ties per model for rounds whose resample has no plain MLE.
        rounds: Number of resamples.
        seed: Seed of the resampling.

    Returns:
        (mean-zero strengths of shape (rounds, models), number of rounds that did not
        converge).
    """
    design = _Design(cells)
    rng = np.random.default_rng(seed)
    n_battles = int(cells.count.sum())
    pvals = cells.count / n_battles
    m = cells.n_models
    block = max(1, _MAX_BLOCK_ENTRIES // max(len(pvals), m * m))
    out = np.empty((rounds, m))
    failed = 0
    full_won, full_lost = design.points(cells.count[None, :].astype(np.float64))
    for start in range(0, rounds, block):
        size = min(block, rounds - start)
        counts = rng.multinomial(n_battles, pvals, size=size).astype(np.float64)
        won, lost = design.points(counts)
        # A resample holds a subset of the battles, so its graph is never better connected
        # than the full one: with a full-data prior every round needs it too. Otherwise a
        # round keeps the strongly connected graph unless one of its directed edges lost all
        # of its battles, which is rare and then checked exactly.
        round_prior = np.full(size, result.prior)
        if result.prior == 0:
            broken = ((won == 0) & (full_won > 0)).any(axis=1) | (
                (lost == 0) & (full_lost > 0)
            ).any(axis=1)
            for r in np.flatnonzero(broken):
                if not design.strongly_connected(won[r], lost[r]):
                    round_prior[r] = prior
        theta0 = np.broadcast_to(result.theta, (size, m))
        theta, _, converged = newton(design, theta0, won, lost, round_prior)
        out[start : start + size] = theta - theta.mean(axis=1, keepdims=True)
        failed += int((~converged).sum())
    return out, failed

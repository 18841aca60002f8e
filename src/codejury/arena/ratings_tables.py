"""Tables that go with a rating: win rates, predicted win chances, votes needed, online Elo.

Also :func:`execution_battles`, which turns test results into battles so that execution
evidence can be rated with (and next to) human votes and judge verdicts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from codejury.arena.ratings import ELO_PER_NAT, RatingFit
from codejury.arena.ratings_input import Battle, VoteTable
from codejury.errors import ConfigError

Matrix = tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class WinMatrix:
    """Head-to-head record of every ordered pair; row ``i``, column ``j`` is "i against j".

    Attributes:
        models: Row and column order.
        wins: Battles row won against column.
        ties: Battles between them that were ties.
        battles: Battles between them (either position).
        win_rate: (wins + ties/2) / battles, weighted by the battles' weights; ``None`` where
            the two never met and on the diagonal.
    """

    models: tuple[str, ...]
    wins: tuple[tuple[int, ...], ...]
    ties: tuple[tuple[int, ...], ...]
    battles: tuple[tuple[int, ...], ...]
    win_rate: tuple[tuple[float | None, ...], ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "models": list(self.models),
            "wins": [list(r) for r in self.wins],
            "ties": [list(r) for r in self.ties],
            "battles": [list(r) for r in self.battles],
            "win_rate": [list(r) for r in self.win_rate],
        }


def win_matrix(votes: VoteTable, order: Sequence[str] | None = None) -> WinMatrix:
    """Observed wins, ties and win rates of every model against every other.

    Args:
        votes: The battles.
        order: Row/column order (e.g. ``fit.models``); defaults to ``votes.models``. Models
            without votes are allowed and get empty rows.

    Returns:
        The matrix.
    """
    names = tuple(order) if order is not None else votes.models
    pos = {name: k for k, name in enumerate(names)}
    index = np.array([pos.get(name, -1) for name in votes.models])
    a, b = index[votes.first], index[votes.second]
    keep = (a >= 0) & (b >= 0)
    a, b, res, w = a[keep], b[keep], votes.result[keep], votes.weight[keep]
    n = len(names)

    def table(rows: np.ndarray[Any, Any], cols: np.ndarray[Any, Any], values: Any) -> Any:
        out = np.zeros((n, n))
        np.add.at(out, (rows, cols), values)
        return out

    tie = res == 0.5
    wins = table(a, b, res == 1.0) + table(b, a, res == 0.0)
    ties = table(a, b, tie) + table(b, a, tie)
    count = table(a, b, 1.0) + table(b, a, 1.0)
    points = table(a, b, w * res) + table(b, a, w * (1.0 - res))
    weight = table(a, b, w) + table(b, a, w)
    rate = tuple(
        tuple(float(points[i, j] / weight[i, j]) if weight[i, j] > 0 else None for j in range(n))
        for i in range(n)
    )

    def ints(x: Any) -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(int(v) for v in row) for row in x)

    return WinMatrix(names, ints(wins), ints(ties), ints(count), rate)


def predicted_win_matrix(fit: RatingFit) -> Matrix:
    """Bradley–Terry probability that the row model beats the column model (ties as half).

    Args:
        fit: A rating fit.

    Returns:
        ``P[i][j] = 1 / (1 + 10^((R_j − R_i)/400))`` in ``fit.models`` order; 0.5 on the
        diagonal.
    """
    r = np.array([x.rating for x in fit.ratings])
    prob = 1.0 / (1.0 + 10.0 ** ((r[None, :] - r[:, None]) / 400.0))
    return tuple(tuple(float(v) for v in row) for row in prob)


@dataclass(frozen=True)
class VotesNeeded:
    """How many more votes between two models a goal needs.

    Attributes:
        model_a: The first model.
        model_b: The second model.
        difference: Rating of ``model_a`` minus ``model_b``, in points.
        se: Current standard error of ``difference`` (from the fit's covariance).
        p_win: Predicted probability that ``model_a`` wins a vote.
        half_width: The interval half-width aimed at, in points (``|difference|`` when the
            goal is to separate the two).
        votes: Further votes between the two; 0 if already reached; ``None`` when the goal
            cannot be reached (the estimated difference is zero).
    """

    model_a: str
    model_b: str
    difference: float
    se: float
    p_win: float
    half_width: float
    votes: int | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


def votes_needed(
    fit: RatingFit, model_a: str, model_b: str, half_width: float | None = None
) -> VotesNeeded:
    """Votes between two models needed to separate them, or to narrow their difference.

    Goal: the ``fit.confidence`` interval of ``d = R_a − R_b`` has half-width at most ``h``,
    where ``h = |d|`` (the interval then excludes 0, assuming ``d`` stays as estimated) or
    the ``half_width`` given. With the current variance ``v`` of ``d`` (in θ units, from the
    fit's covariance) and ``p = σ(d)``, each further vote between the two adds ``p(1−p)`` to
    the Fisher information along ``d``; by Sherman–Morrison the variance after ``k`` votes is
    ``1 / (1/v + k·p(1−p))`` (exact for the model-based covariance, a planning approximation
    for sandwich or bootstrap ones). Solving ``z²/(1/v + k·p(1−p)) ≤ h²`` gives
    ``k = ceil((z²/h² − 1/v) / (p(1−p)))``, at least 0.

    Args:
        fit: The current fit.
        model_a: One model.
        model_b: The other.
        half_width: Target half-width in points; ``None`` to aim at separating the two.

    Returns:
        The estimate.

    Raises:
        ConfigError: If a model is not in the fit or ``half_width`` is not positive.
    """
    models = fit.models
    for name in (model_a, model_b):
        if name not in models:
            raise ConfigError(f"model {name!r} has no votes in fit {fit.label!r}")
    if half_width is not None and not half_width > 0:
        raise ConfigError(f"half_width must be positive, got {half_width}")
    i, j = models.index(model_a), models.index(model_b)
    cov = fit.covariance
    var_points = max(cov[i][i] + cov[j][j] - 2.0 * cov[i][j], 0.0)
    diff = fit.ratings[i].rating - fit.ratings[j].rating
    target = abs(diff) if half_width is None else half_width
    p = 1.0 / (1.0 + math.exp(-diff / ELO_PER_NAT))
    z = float(norm.ppf(0.5 + fit.confidence / 2.0))
    needed: int | None
    if target <= 0:
        needed = None
    elif var_points == 0 or z * math.sqrt(var_points) <= target:
        needed = 0
    else:
        v, h = var_points / ELO_PER_NAT**2, target / ELO_PER_NAT
        needed = max(0, math.ceil(((z / h) ** 2 - 1.0 / v) / (p * (1.0 - p))))
    return VotesNeeded(model_a, model_b, diff, math.sqrt(var_points), p, target, needed)


def votes_needed_table(fit: RatingFit, half_width: float | None = None) -> tuple[VotesNeeded, ...]:
    """:func:`votes_needed` for every pair, the better-rated model first."""
    models = fit.models
    return tuple(
        votes_needed(fit, models[i], models[j], half_width)
        for i in range(len(models))
        for j in range(i + 1, len(models))
    )


def online_elo(votes: VoteTable, k: float = 4.0, initial: float = 1000.0) -> dict[str, float]:
    """Sequential (online) Elo in vote order, as FastChat's ``compute_elo``: a reference only.

    Each vote moves the two ratings by ``k·w·(s − e)``, ``s`` the result (ties 0.5), ``e`` the
    expected score ``1/(1 + 10^((R_b − R_a)/400))``, ``w`` the vote's weight (1 for plain
    votes, which gives FastChat's numbers). The result depends on the vote order, which is why
    the Bradley–Terry fit is the rating and this is not.

    Args:
        votes: The battles, in order.
        k: Update size.
        initial: Every model's starting rating.

    Returns:
        Rating per model.
    """
    rating = [initial] * len(votes.models)
    for a, b, s, w in zip(
        votes.first.tolist(), votes.second.tolist(), votes.result.tolist(),
        votes.weight.tolist(), strict=True,
    ):  # fmt: skip
        expected = 1.0 / (1.0 + 10.0 ** ((rating[b] - rating[a]) / 400.0))
        rating[a] += k * w * (s - expected)
        rating[b] -= k * w * (s - expected)
    return dict(zip(votes.models, rating, strict=True))


def execution_battles(
    passed: Mapping[str, Mapping[str, bool]], source: str = "execution"
) -> list[Battle]:
    """Battles from test results: on each task, a model that passes beats one that fails.

    Tasks where both pass or both fail say nothing about which is better and give no
    battle. Models are paired in name order; Bradley–Terry has no position effect.

    Args:
        passed: ``passed[model][task_id]``: whether the model's solution passed the task's
            tests (for several samples per task, e.g. its first sample or a majority).
        source: Source label of the battles.

    Returns:
        One battle per (task, model pair) with different results.
    """
    names = sorted(passed)
    out: list[Battle] = []
    for x, a in enumerate(names):
        for b in names[x + 1 :]:
            for task in sorted(passed[a].keys() & passed[b].keys()):
                pa, pb = bool(passed[a][task]), bool(passed[b][task])
                if pa != pb:
                    out.append(Battle(a, b, "model_a" if pa else "model_b", source=source))
    return out

"""Analyses behind the report's charts (seeds 000 and 002): pure functions of figures.

* :func:`pareto_frontier`: quality against price; the models no other model beats on both.
* :func:`rank_mismatch` (in ``codejury.report.mismatch``): benchmark rank against human rank.
* :func:`evolution`: quality over release date with the best-so-far line, and
  :func:`period_frontiers`: one quality–price frontier per half-year (seed 000, figure 7).
* :func:`win_probabilities`: the chance each model beats each other from ratings.
* :func:`leaderboard`: candidates in order of one figure, marking which cannot be told apart
  from the leader.

Inputs are plain mappings from model key to figures so that measured and public figures mix
freely; :func:`numbers` and :func:`dates` pull them out of candidates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from codejury.catalog.fields import check_date
from codejury.errors import DataError
from codejury.report.candidates import Candidate, Figure
from codejury.report.mismatch import RankMismatch as RankMismatch
from codejury.report.mismatch import RankRow as RankRow
from codejury.report.mismatch import rank_mismatch as rank_mismatch

ELO_SCALE = 400.0
"""Rating points for 10:1 odds (the Elo / Arena convention)."""


def numbers(candidates: Iterable[Candidate], attribute: str) -> dict[str, float]:
    """``{key: value}`` of one numeric figure (e.g. ``quality``, ``human``, ``price``).

    Candidates without the figure are left out.
    """
    out: dict[str, float] = {}
    for c in candidates:
        figure: Figure[float] | None = getattr(c, attribute)
        if figure is not None:
            out[c.key] = float(figure.value)
    return out


def dates(candidates: Iterable[Candidate]) -> dict[str, str]:
    """``{key: release date}`` of candidates whose release date is known."""
    return {c.key: c.release_date.value for c in candidates if c.release_date is not None}


# --- Pareto frontier ---------------------------------------------------------------------------


def pareto_frontier(points: Mapping[str, tuple[float, float]]) -> tuple[str, ...]:
    """Keys of the models no other model dominates, cheapest first.

    A model dominates another when its quality is at least as high and its price at most as
    high, one of them strictly. Points equal in both are on the frontier together. O(n log n):
    one sort by price, then one sweep keeping the best quality of strictly cheaper models.
    The frontier does not depend on the price axis's scale (log or linear).

    Args:
        points: ``{key: (quality, price)}``; higher quality and lower price are better.

    Raises:
        DataError: If a figure is not finite.
    """
    for key, (quality, price) in points.items():
        if not (math.isfinite(quality) and math.isfinite(price)):
            raise DataError(f"{key}: quality {quality} and price {price} must be finite numbers")
    items = sorted(points.items(), key=lambda kv: (kv[1][1], -kv[1][0], kv[0]))
    frontier: list[str] = []
    best_cheaper = -math.inf
    i = 0
    while i < len(items):
        price, top = items[i][1][1], items[i][1][0]
        j = i
        while j < len(items) and items[j][1][1] == price:
            j += 1
        # Within one price, only the best quality can be undominated, and only if every
        # strictly cheaper model is worse.
        if top > best_cheaper:
            frontier.extend(key for key, (q, _) in items[i:j] if q == top)
        best_cheaper = max(best_cheaper, top)
        i = j
    return tuple(frontier)


def period_frontiers(
    points: Mapping[str, tuple[str, float, float]],
) -> dict[str, tuple[str, ...]]:
    """One quality–price frontier per half-year of release (``2024-H1``), oldest first.

    Args:
        points: ``{key: (release date, quality, price)}``. A date of year precision counts as
            its earliest possible day (January), as the catalog orders dates.
    """
    groups: dict[str, dict[str, tuple[float, float]]] = {}
    for key, (date, quality, price) in points.items():
        _checked(key, date)
        month = int(date[5:7]) if len(date) >= 7 else 1
        label = f"{date[:4]}-H{1 if month <= 6 else 2}"
        groups.setdefault(label, {})[key] = (quality, price)
    return {label: pareto_frontier(groups[label]) for label in sorted(groups)}


# --- evolution ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvolutionPoint:
    """One model on the time axis.

    Attributes:
        key: Model key.
        date: Release date (ISO).
        value: Its figure (e.g. pass@1).
        best_so_far: The best figure released on or before this date.
        best_key: The model holding ``best_so_far``.
        record: True when this model set a new best.
    """

    key: str
    date: str
    value: float
    best_so_far: float
    best_key: str
    record: bool

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "key": self.key,
            "date": self.date,
            "value": self.value,
            "best_so_far": self.best_so_far,
            "best_key": self.best_key,
            "record": self.record,
        }


@dataclass(frozen=True)
class Evolution:
    """A figure over release dates.

    Attributes:
        points: Sorted by date (same-day models best first, then by key).
        records: Keys of the models that set a new best, in date order.
    """

    points: tuple[EvolutionPoint, ...]
    records: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"points": [p.as_dict() for p in self.points], "records": list(self.records)}


def evolution(points: Mapping[str, tuple[str, float]]) -> Evolution:
    """Sort models by release date and trace the best figure so far.

    Args:
        points: ``{key: (release date, value)}``; higher values are better. Dates are ISO
            ``YYYY[-MM[-DD]]``; a coarser date sorts before the days it contains.

    Raises:
        DataError: If a date is malformed or a value is not finite.
    """
    for key, (date, value) in points.items():
        _checked(key, date)
        if not math.isfinite(value):
            raise DataError(f"{key}: value {value} must be a finite number")
    ordered = sorted(points.items(), key=lambda kv: (kv[1][0], -kv[1][1], kv[0]))
    out: list[EvolutionPoint] = []
    best, best_key = -math.inf, ""
    for key, (date, value) in ordered:
        record = value > best
        if record:
            best, best_key = value, key
        out.append(EvolutionPoint(key, date, value, best, best_key, record))
    return Evolution(tuple(out), tuple(p.key for p in out if p.record))


def _checked(key: str, date: str) -> str:
    try:
        return check_date(date)
    except ValueError as exc:
        raise DataError(
            f"{key}: release date {exc}", hint="use YYYY, YYYY-MM or YYYY-MM-DD"
        ) from None


# --- win probabilities -------------------------------------------------------------------------


@dataclass(frozen=True)
class WinProbabilities:
    """``matrix[i][j]``: probability that ``keys[i]`` beats ``keys[j]`` (0.5 on the diagonal)."""

    keys: tuple[str, ...]
    matrix: tuple[tuple[float, ...], ...]

    def get(self, a: str, b: str) -> float:
        """Probability that ``a`` beats ``b``."""
        return self.matrix[self.keys.index(a)][self.keys.index(b)]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"keys": list(self.keys), "matrix": [list(row) for row in self.matrix]}


def win_probabilities(ratings: Mapping[str, float], scale: float = ELO_SCALE) -> WinProbabilities:
    """Expected win rates from ratings: ``1 / (1 + 10^((R_j − R_i) / scale))``.

    With the Elo scale a 100-point gap gives the stronger model about 64 % (seed 000).

    Args:
        ratings: ``{key: rating}``, kept in the given order (sort it first to order the chart).
        scale: Rating points for 10:1 odds.
    """
    keys = tuple(ratings)
    r = np.array([ratings[k] for k in keys], dtype=np.float64)
    prob = 1.0 / (1.0 + 10.0 ** ((r[None, :] - r[:, None]) / scale))
    return WinProbabilities(keys, tuple(tuple(float(v) for v in row) for row in prob))


# --- leaderboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaderboardRow:
    """One line of a leaderboard.

    Attributes:
        rank: Position (1 = best).
        candidate: The model, with every figure and its mark (measured or public).
        figure: The figure ranked on.
        overlaps_leader: Its interval overlaps the leader's, so the data cannot tell them
            apart (False when either has no interval).
    """

    rank: int
    candidate: Candidate
    figure: Figure[float]
    overlaps_leader: bool

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "rank": self.rank,
            "key": self.candidate.key,
            "name": self.candidate.name,
            "figure": self.figure.as_dict(),
            "overlaps_leader": self.overlaps_leader,
        }


def leaderboard(candidates: Iterable[Candidate], by: str = "quality") -> tuple[LeaderboardRow, ...]:
    """Candidates that have figure ``by``, best (highest) first; ties ordered by key."""
    ranked: list[tuple[Candidate, Figure[float]]] = []
    for c in candidates:
        figure: Figure[float] | None = getattr(c, by)
        if figure is not None:
            ranked.append((c, figure))
    ranked.sort(key=lambda pair: (-pair[1].value, pair[0].key))
    if not ranked:
        return ()
    top = ranked[0][1]
    return tuple(
        LeaderboardRow(i + 1, c, f, i > 0 and _overlap(top, f)) for i, (c, f) in enumerate(ranked)
    )


def _overlap(a: Figure[float], b: Figure[float]) -> bool:
    if a.low is None or a.high is None or b.low is None or b.high is None:
        return False
    return a.low <= b.high and b.low <= a.high

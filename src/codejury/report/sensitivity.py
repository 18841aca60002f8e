"""How firm a decision is: weight thresholds and the probability each model is best.

**Weight thresholds** (:func:`sensitivity`). Moving one criterion's weight to ``t`` and scaling
the others proportionally so that all still sum to 1 makes every candidate's score a straight
line in ``t``: ``S(t) = t·a + (1 − t)·b``, where ``a`` is its normalised score on that
criterion and ``b`` its score on the others under their renormalised weights. So the exact
weight at which another model overtakes the winner is where two lines cross; no search is
needed. For each criterion the result gives the nearest such weight above and below the
current one, or None when no weight in [0, 1] changes the winner. (When a criterion holds all
the weight, the others have no proportions to keep; lowering it then shares the freed weight
equally among them.)

**Probability best** (:func:`probability_best`). Quality and human rating are uncertain. Each
figure with a 95 % interval is drawn from a normal distribution centred on its value with
standard deviation ``(high − low) / 3.92``; every draw is normalised and weighted like the
matrix, and the winner of each draw is counted (a tie shares the draw). Figures without an
interval stay fixed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from codejury.report.candidates import Z95, Candidate
from codejury.report.selection import CRITERIA, DecisionMatrix, FloatArray, figure_of, normalise

SAMPLED_CRITERIA = ("quality", "human")
"""Criteria whose figures carry a statistical interval and are sampled."""
_DRAWS_PER_CHUNK = 2000
_EPS = 1e-12


@dataclass(frozen=True)
class Threshold:
    """A weight at which the winner changes.

    Attributes:
        weight: The criterion's weight at the crossing.
        delta: ``weight`` minus the current weight.
        new_winner: The model that wins just beyond it.
        weights: All effective weights at the crossing.
    """

    weight: float
    delta: float
    new_winner: str
    weights: Mapping[str, float]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "weight": self.weight,
            "delta": self.delta,
            "new_winner": self.new_winner,
            "weights": dict(self.weights),
        }


@dataclass(frozen=True)
class WeightSensitivity:
    """How far one weight can move before the winner changes.

    Attributes:
        criterion: The criterion.
        weight: Its current effective weight.
        up: The nearest higher weight that changes the winner, or None within [0, 1].
        down: The nearest lower one, or None.
    """

    criterion: str
    weight: float
    up: Threshold | None
    down: Threshold | None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "criterion": self.criterion,
            "weight": self.weight,
            "up": None if self.up is None else self.up.as_dict(),
            "down": None if self.down is None else self.down.as_dict(),
        }


@dataclass(frozen=True)
class Sensitivity:
    """Weight thresholds for every criterion of a ranking.

    Attributes:
        winner: The current winner's key.
        items: One per criterion, in the matrix's order.
    """

    winner: str
    items: tuple[WeightSensitivity, ...]

    def nearest(self) -> tuple[str, Threshold] | None:
        """The smallest weight change (either way) that changes the winner, if any."""
        found = [
            (item.criterion, t)
            for item in self.items
            for t in (item.up, item.down)
            if t is not None
        ]
        return min(found, key=lambda pair: abs(pair[1].delta)) if found else None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"winner": self.winner, "items": [i.as_dict() for i in self.items]}


@dataclass(frozen=True)
class BestOdds:
    """How often each model wins when uncertain figures are drawn from their intervals.

    Attributes:
        probabilities: Share of draws each model wins, highest first.
        draws: Number of draws.
        seed: Seed of the draws.
        sampled: Criteria that were sampled (others were fixed).
    """

    probabilities: Mapping[str, float]
    draws: int
    seed: int
    sampled: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "probabilities": dict(self.probabilities),
            "draws": self.draws,
            "seed": self.seed,
            "sampled": list(self.sampled),
        }


def sensitivity(matrix: DecisionMatrix, candidates: Sequence[Candidate]) -> Sensitivity:
    """For each weight, the smallest change up and down that changes the winner.

    Raises:
        DataError: As :meth:`DecisionMatrix.rank`.
    """
    ranking = matrix.rank(candidates)
    keys = [row.key for row in ranking.rows]
    names = [col.name for col in ranking.columns]
    w = np.array([col.weight for col in ranking.columns])
    z = np.array([[row.normalised[n] for n in names] for row in ranking.rows])
    items = []
    for i, name in enumerate(names):
        if len(names) == 1:
            items.append(WeightSensitivity(name, float(w[i]), None, None))
            continue
        others = [j for j in range(len(names)) if j != i]
        rest = w[others]
        shares = rest / rest.sum() if rest.sum() > 0 else np.full(len(others), 1 / len(others))
        b = z[:, others] @ shares
        up, down = _crossings(z[:, i], b, float(w[i]))
        share_of = {names[j]: float(s) for j, s in zip(others, shares, strict=True)}
        items.append(
            WeightSensitivity(
                name,
                float(w[i]),
                _threshold(up, name, share_of, float(w[i]), keys),
                _threshold(down, name, share_of, float(w[i]), keys),
            )
        )
    return Sensitivity(keys[0], tuple(items))


def _threshold(
    found: tuple[float, int] | None,
    name: str,
    share_of: Mapping[str, float],
    t0: float,
    keys: Sequence[str],
) -> Threshold | None:
    if found is None:
        return None
    t, rival = found
    weights = {name: t, **{other: (1 - t) * s for other, s in share_of.items()}}
    return Threshold(t, t - t0, keys[rival], weights)


def _crossings(
    a: FloatArray, b: FloatArray, t0: float
) -> tuple[tuple[float, int] | None, tuple[float, int] | None]:
    """Nearest weights above and below ``t0`` beyond which a rival beats the winner (row 0).

    A rival's lead is ``d(t) = d0 + k·t``, at most 0 at ``t0``. If ``k > 0`` it grows with the
    weight and turns positive past its root; if ``k < 0``, below it. A root at the very end
    of [0, 1] only ties there, so it does not count.
    """
    d0 = b[1:] - b[0]
    slope = (a[1:] - a[0]) - d0
    up: tuple[float, int] | None = None
    down: tuple[float, int] | None = None
    for c in range(len(d0)):
        k = float(slope[c])
        if k == 0:
            continue  # parallel lines: moving this weight never closes the gap
        t = -float(d0[c]) / k
        if k > 0 and t0 - _EPS <= t < 1 - _EPS and (up is None or t < up[0]):
            up = (max(t, t0), c + 1)
        if k < 0 and _EPS < t <= t0 + _EPS and (down is None or t > down[0]):
            down = (min(t, t0), c + 1)
    return up, down


def probability_best(
    candidates: Sequence[Candidate],
    matrix: DecisionMatrix | None = None,
    *,
    draws: int = 10_000,
    seed: int = 0,
) -> BestOdds:
    """The share of draws in which each model ranks first (see the module docstring).

    Args:
        candidates: The models to compare.
        matrix: The weights; by default quality alone.
        draws: Number of draws.
        seed: Seed of the draws.

    Raises:
        ValueError: If ``draws`` < 1.
        DataError: As :meth:`DecisionMatrix.rank`.
    """
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    matrix = matrix or DecisionMatrix({"quality": 1.0})
    names, weights, raw, _ = matrix.table(candidates)
    rng = np.random.default_rng(seed)
    fixed = np.zeros(len(candidates))
    sampled: list[tuple[int, FloatArray, FloatArray]] = []
    for j, name in enumerate(names):
        sd = np.zeros(len(candidates))
        if name in SAMPLED_CRITERIA:
            for c, cand in enumerate(candidates):
                figure = figure_of(cand, name)
                if figure is not None and figure.low is not None and figure.high is not None:
                    sd[c] = max(0.0, figure.high - figure.low) / (2 * Z95)
        if sd.any():
            sampled.append((j, raw[:, j], sd))
        else:
            fixed += weights[j] * normalise(raw[:, j], CRITERIA[name].better)
    wins = np.zeros(len(candidates))
    for start in range(0, draws, _DRAWS_PER_CHUNK):
        size = min(_DRAWS_PER_CHUNK, draws - start)
        scores = np.broadcast_to(fixed, (size, len(candidates))).copy()
        for j, centre, sd in sampled:
            values = centre + sd * rng.standard_normal((size, len(candidates)))
            scores += weights[j] * normalise(values, CRITERIA[names[j]].better)
        best = scores.max(axis=1, keepdims=True)
        tied = np.isclose(scores, best, rtol=0.0, atol=1e-12)
        wins += (tied / tied.sum(axis=1, keepdims=True)).sum(axis=0)
    shares = wins / draws
    order = sorted(range(len(candidates)), key=lambda c: (-shares[c], candidates[c].key))
    return BestOdds(
        {candidates[c].key: float(shares[c]) for c in order},
        draws,
        seed,
        tuple(names[j] for j, _, _ in sampled),
    )

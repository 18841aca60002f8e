"""Choosing a model: hard constraints first, then a weighted decision matrix.

Seed 003's funnel, with measured inputs in place of stars: candidates that fail a hard limit
(minimum pass@1, maximum p95 latency, maximum monthly cost, open weights for privacy, minimum
context window) are eliminated with every reason stated; the rest are ranked by a weighted sum
of min–max normalised criteria.

The constraints live in ``codejury.report.constraints`` and are re-exported here.

**Missing data.** A constraint on a figure a candidate lacks eliminates it only when
``Constraints.strict`` is set; otherwise the candidate is kept and the screening lists what was
not checked. In the matrix, a candidate without a criterion's figure scores 0 on it (as bad as
the worst candidate that has one): missing evidence is never rewarded. A criterion no
candidate has a figure for is left out and its weight shared among the others in proportion,
and the ranking's notes say so.

**Normalisation.** Per criterion, over the candidates ranked together: ``(x − min) / (max −
min)`` when higher is better, ``(max − x) / (max − min)`` when lower is better, so the best
candidate scores 1 and the worst 0. When all candidates that have the figure are equal it
cannot tell them apart: they all score 1. Scores are therefore relative to the field: adding
or removing a candidate can change them.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from codejury.errors import ConfigError, DataError
from codejury.report.candidates import Candidate, Figure
from codejury.report.constraints import Constraints as Constraints
from codejury.report.constraints import ModelNote as ModelNote
from codejury.report.constraints import Screening as Screening
from codejury.report.constraints import apply_constraints as apply_constraints

FloatArray = npt.NDArray[np.float64]
Better = Literal["higher", "lower"]


@dataclass(frozen=True)
class Criterion:
    """One column of the decision matrix.

    Attributes:
        name: Its name in weights (``quality``, ``cost``...).
        attribute: The :class:`Candidate` figure it reads.
        better: ``higher`` or ``lower``.
        label: How a report names it.
        unit: The unit of the raw figure.
    """

    name: str
    attribute: str
    better: Better
    label: str
    unit: str


CRITERIA: Mapping[str, Criterion] = MappingProxyType(
    {
        c.name: c
        for c in (
            Criterion("quality", "quality", "higher", "pass@1", "%"),
            Criterion("human", "human", "higher", "human rating", "rating points"),
            Criterion("cost", "monthly_cost", "lower", "monthly cost", "USD/month"),
            Criterion("price", "price", "lower", "blended price", "USD/1M tokens"),
            Criterion("latency", "p95_latency_s", "lower", "p95 latency", "s"),
            Criterion("privacy", "privacy", "higher", "privacy", "score 1–5"),
            Criterion("customisation", "customisation", "higher", "customisation", "score 1–5"),
            Criterion(
                "operational_effort",
                "operational_effort",
                "lower",
                "operational effort",
                "score 1–5",
            ),
            Criterion("context", "context_window", "higher", "context window", "tokens"),
        )
    }
)
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "quality": 0.35,
        "cost": 0.25,
        "latency": 0.15,
        "privacy": 0.10,
        "customisation": 0.05,
        "operational_effort": 0.10,
    }
)
"""Seed 003's six factors. A starting point, not a finding: set weights for your team."""


def figure_of(candidate: Candidate, criterion: str) -> Figure[float] | None:
    """The candidate's figure for a criterion, or None."""
    figure: Figure[float] | None = getattr(candidate, CRITERIA[criterion].attribute)
    return figure


# --- decision matrix ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One criterion as used in a ranking.

    Attributes:
        name: Criterion name.
        better: ``higher`` or ``lower``.
        weight: Effective weight (all columns sum to 1).
        low: Smallest raw figure among the ranked candidates.
        high: Largest raw figure.
        missing: Keys of candidates without the figure (scored 0).
    """

    name: str
    better: Better
    weight: float
    low: float
    high: float
    missing: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "name": self.name,
            "better": self.better,
            "weight": self.weight,
            "low": self.low,
            "high": self.high,
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class Scored:
    """One ranked candidate.

    Attributes:
        key: Model key.
        name: Display name.
        rank: 1 for the winner.
        score: Weighted sum of normalised criteria, in [0, 1].
        raw: Raw figure per criterion (None when missing).
        normalised: Normalised score per criterion, in [0, 1].
    """

    key: str
    name: str
    rank: int
    score: float
    raw: Mapping[str, float | None]
    normalised: Mapping[str, float]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "key": self.key,
            "name": self.name,
            "rank": self.rank,
            "score": self.score,
            "raw": dict(self.raw),
            "normalised": dict(self.normalised),
        }


@dataclass(frozen=True)
class Ranking:
    """The decision matrix applied to a set of candidates, best first.

    Attributes:
        rows: Scored candidates, best first (ties broken by key).
        columns: The criteria used, with effective weights.
        notes: Dropped criteria and ties, in plain words.
    """

    rows: tuple[Scored, ...]
    columns: tuple[Column, ...]
    notes: tuple[str, ...]

    @property
    def winner(self) -> Scored:
        """The top row."""
        return self.rows[0]

    @property
    def runner_up(self) -> Scored | None:
        """The second row, if any."""
        return self.rows[1] if len(self.rows) > 1 else None

    def weights(self) -> dict[str, float]:
        """Effective weight per criterion."""
        return {col.name: col.weight for col in self.columns}

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "rows": [r.as_dict() for r in self.rows],
            "columns": [c.as_dict() for c in self.columns],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class DecisionMatrix:
    """Weights over criteria (:data:`CRITERIA`); they need not sum to 1.

    Attributes:
        weights: Non-negative weight per criterion name; defaults to :data:`DEFAULT_WEIGHTS`.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def __post_init__(self) -> None:
        for name, w in self.weights.items():
            if name not in CRITERIA:
                close = difflib.get_close_matches(name, list(CRITERIA), n=1)
                raise ConfigError(
                    f"unknown decision criterion {name!r}",
                    hint=(f"did you mean {close[0]!r}? " if close else "")
                    + "criteria: "
                    + ", ".join(CRITERIA),
                )
            if not (isinstance(w, int | float) and math.isfinite(w) and w >= 0):
                raise ConfigError(f"weight of {name!r} must be a non-negative number, got {w!r}")
        if sum(self.weights.values()) <= 0:
            raise ConfigError("at least one decision weight must be positive")
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))

    def rank(self, candidates: Sequence[Candidate]) -> Ranking:
        """Rank candidates by weighted normalised score (see the module docstring).

        Raises:
            DataError: If there is no candidate, or no weighted criterion has any figure.
        """
        if not candidates:
            raise DataError("no candidate to rank", hint="relax the constraints")
        names, weights, raw, notes = self.table(candidates)
        normalised = np.column_stack(
            [normalise(raw[:, j], CRITERIA[n].better) for j, n in enumerate(names)]
        )
        scores = normalised @ weights
        order = sorted(range(len(candidates)), key=lambda i: (-scores[i], candidates[i].key))
        rows = tuple(
            Scored(
                key=candidates[i].key,
                name=candidates[i].name,
                rank=pos + 1,
                score=float(scores[i]),
                raw={n: _finite_or_none(raw[i, j]) for j, n in enumerate(names)},
                normalised={n: float(normalised[i, j]) for j, n in enumerate(names)},
            )
            for pos, i in enumerate(order)
        )
        columns = tuple(
            Column(
                name=n,
                better=CRITERIA[n].better,
                weight=float(weights[j]),
                low=float(np.nanmin(raw[:, j])),
                high=float(np.nanmax(raw[:, j])),
                missing=tuple(c.key for i, c in enumerate(candidates) if math.isnan(raw[i, j])),
            )
            for j, n in enumerate(names)
        )
        if len(rows) > 1 and math.isclose(rows[0].score, rows[1].score, abs_tol=1e-12):
            notes.append(f"{rows[0].name} and {rows[1].name} tie; the order is by key.")
        return Ranking(rows, columns, tuple(notes))

    def table(
        self, candidates: Sequence[Candidate]
    ) -> tuple[list[str], FloatArray, FloatArray, list[str]]:
        """The raw figures the ranking uses.

        Returns:
            ``(criteria, weights, raw, notes)``: the criteria kept (in weight order), their
            effective weights (summing to 1), raw figures of shape ``(candidates,
            criteria)`` with NaN where missing, and notes on dropped criteria.

        Raises:
            DataError: If no weighted criterion has any figure.
        """
        names: list[str] = []
        columns: list[list[float]] = []
        notes: list[str] = []
        for name in self.weights:
            values = [_value(figure_of(c, name)) for c in candidates]
            if all(math.isnan(v) for v in values):
                if self.weights[name] > 0:
                    notes.append(
                        f"no candidate has a {CRITERIA[name].label} figure: its weight "
                        f"{self.weights[name]:g} was shared among the other criteria."
                    )
                continue
            names.append(name)
            columns.append(values)
        weights = np.array([float(self.weights[n]) for n in names])
        if weights.sum() <= 0:
            raise DataError(
                "no weighted criterion has a figure for any candidate",
                hint="add measured figures or weight criteria the candidates have",
            )
        raw = np.array(columns, dtype=np.float64).T.reshape(len(candidates), len(names))
        return names, weights / weights.sum(), raw, notes

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"weights": dict(self.weights)}


def normalise(values: FloatArray, better: Better) -> FloatArray:
    """Min–max normalise along the last axis; NaN (missing) scores 0.

    Args:
        values: Raw figures, shape ``(..., n_candidates)``, NaN where missing. Each slice
            must have at least one figure.
        better: ``higher`` or ``lower``.

    Returns:
        Scores in [0, 1] of the same shape: 1 for the best present figure, 0 for the worst
        and for missing ones; 1 for every present figure when they are all equal.
    """
    lo = np.nanmin(values, axis=-1, keepdims=True)
    hi = np.nanmax(values, axis=-1, keepdims=True)
    span = hi - lo
    safe = np.where(span > 0, span, 1.0)
    z = (values - lo) / safe if better == "higher" else (hi - values) / safe
    z = np.where(span > 0, z, 1.0)
    return np.where(np.isnan(values), 0.0, z)


def _value(figure: Figure[float] | None) -> float:
    return math.nan if figure is None else float(figure.value)


def _finite_or_none(x: float) -> float | None:
    return None if math.isnan(x) else float(x)

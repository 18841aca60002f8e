"""What a report holds: :class:`ReportData` (its ``as_dict`` is the JSON report) and its parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from codejury.report.analysis import Evolution, LeaderboardRow, WinProbabilities
from codejury.report.candidates import Candidate
from codejury.report.inputs import StoreInputs
from codejury.report.measured import PairedResult
from codejury.report.mismatch import RankMismatch
from codejury.report.recommend import Decision

Periods = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
"""Half-year of release (``2024-H1``) → (its models, its Pareto frontier), oldest first."""


@dataclass(frozen=True)
class Frontier:
    """Quality (or rating) against blended price, and the models on its Pareto frontier."""

    measure: str
    points: dict[str, tuple[float, float]]
    """``{key: (figure, price)}``."""
    frontier: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "measure": self.measure,
            "points": {k: {"value": v, "price": p} for k, (v, p) in self.points.items()},
            "frontier": list(self.frontier),
        }


@dataclass(frozen=True)
class SourceRow:
    """One source of figures: what it supplied, for the provenance table."""

    origin: str
    source: str
    as_of: str | None
    figures: int
    models: int
    fields: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "origin": self.origin,
            "source": self.source,
            "as_of": self.as_of,
            "figures": self.figures,
            "models": self.models,
            "fields": list(self.fields),
        }


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows; ``as_dict`` is the JSON report."""

    meta: dict[str, Any]
    candidates: tuple[Candidate, ...]
    inputs: StoreInputs
    leaderboard_quality: tuple[LeaderboardRow, ...]
    leaderboard_human: tuple[LeaderboardRow, ...]
    pareto_quality: Frontier | None
    pareto_human: Frontier | None
    mismatch: RankMismatch | None
    win: WinProbabilities | None
    evolution: Evolution | None
    evolution_measure: str | None
    periods: Periods | None
    paired: PairedResult | None
    decision: Decision
    provenance: tuple[SourceRow, ...]
    notes: tuple[str, ...]
    selection: dict[str, Any] | None = None
    """The latest ``codejury select`` run: its id, status and funnel (stage by stage, who was
    kept and who was eliminated with the reason), or None when there is none."""

    def candidate(self, key: str) -> Candidate | None:
        """The candidate with this key, if any."""
        return next((c for c in self.candidates if c.key == key), None)

    def name(self, key: str) -> str:
        """Display name of a key (the key itself when unknown)."""
        c = self.candidate(key)
        return key if c is None else c.name

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""

        def opt(x: Any) -> Any:
            return None if x is None else x.as_dict()

        i = self.inputs
        return {
            "format": "codejury-report/1",
            "meta": self.meta,
            "recommendation": self.decision.recommendation.as_dict(),
            "candidates": [c.as_dict() for c in self.candidates],
            "measured_runs": [m.as_dict() for m in i.measured],
            "leaderboard": {
                "quality": [r.as_dict() for r in self.leaderboard_quality],
                "human": [r.as_dict() for r in self.leaderboard_human],
            },
            "pareto": {"quality": opt(self.pareto_quality), "human": opt(self.pareto_human)},
            "rank_mismatch": opt(self.mismatch),
            "win_probabilities": opt(self.win),
            "arena": opt(i.arena),
            "evolution": None
            if self.evolution is None
            else {
                "measure": self.evolution_measure,
                **self.evolution.as_dict(),
                "periods": None
                if self.periods is None
                else {
                    label: {"models": list(members), "frontier": list(frontier)}
                    for label, (members, frontier) in self.periods.items()
                },
            },
            "paired": opt(self.paired),
            "task_runs": [t.as_dict() for t in i.task_runs],
            "perf_runs": [p.as_dict() for p in i.perf],
            "cost_run": opt(i.cost),
            "decision": self.decision.as_dict(),
            "provenance": [s.as_dict() for s in self.provenance],
            "notes": list(self.notes),
            "selection": self.selection,
        }

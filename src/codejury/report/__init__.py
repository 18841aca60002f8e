"""The decision report's analysis core: candidates, charts' analyses and the decision.

>>> from codejury.catalog import Catalog
>>> from codejury.report import CatalogOptions, Constraints, candidates_from_catalog, decide
>>> candidates = candidates_from_catalog(Catalog.builtin(), options=CatalogOptions())
>>> decision = decide(candidates, Constraints(min_pass_at_1=80))
>>> print(decision.recommendation.text)  # doctest: +SKIP

* ``candidates``: :class:`Candidate`, every figure marked measured / public / user / derived.
* ``analysis``: Pareto frontier, evolution over release date, win probabilities, leaderboard;
  ``mismatch``: benchmark rank against human rank (Kendall τ, Theil–Sen, flags).
* ``constraints``: hard limits; ``selection``: the weighted decision matrix (and the
  constraints, re-exported); ``sensitivity``: weight thresholds and the probability each model is best; ``recommend``: the plain-English advice.

Everything here is pure: no I/O, no network, deterministic for a given seed.
"""

from __future__ import annotations

from codejury.report.analysis import (
    Evolution,
    EvolutionPoint,
    LeaderboardRow,
    WinProbabilities,
    dates,
    evolution,
    leaderboard,
    numbers,
    pareto_frontier,
    period_frontiers,
    win_probabilities,
)
from codejury.report.candidates import (
    Candidate,
    CatalogOptions,
    Figure,
    Mark,
    candidate_from_catalog,
    candidates_from_catalog,
    figure_from_estimate,
    wilson_interval,
)
from codejury.report.mismatch import RankMismatch, RankRow, kendall_tau_b, rank_mismatch
from codejury.report.recommend import Decision, Recommendation, decide, recommend
from codejury.report.selection import (
    CRITERIA,
    DEFAULT_WEIGHTS,
    Column,
    Constraints,
    Criterion,
    DecisionMatrix,
    ModelNote,
    Ranking,
    Scored,
    Screening,
    apply_constraints,
)
from codejury.report.sensitivity import (
    BestOdds,
    Sensitivity,
    Threshold,
    WeightSensitivity,
    probability_best,
    sensitivity,
)

__all__ = [
    "CRITERIA",
    "DEFAULT_WEIGHTS",
    "BestOdds",
    "Candidate",
    "CatalogOptions",
    "Column",
    "Constraints",
    "Criterion",
    "Decision",
    "DecisionMatrix",
    "Evolution",
    "EvolutionPoint",
    "Figure",
    "LeaderboardRow",
    "Mark",
    "ModelNote",
    "RankMismatch",
    "RankRow",
    "Ranking",
    "Recommendation",
    "Scored",
    "Screening",
    "Sensitivity",
    "Threshold",
    "WeightSensitivity",
    "WinProbabilities",
    "apply_constraints",
    "candidate_from_catalog",
    "candidates_from_catalog",
    "dates",
    "decide",
    "evolution",
    "figure_from_estimate",
    "kendall_tau_b",
    "leaderboard",
    "numbers",
    "pareto_frontier",
    "period_frontiers",
    "probability_best",
    "rank_mismatch",
    "recommend",
    "sensitivity",
    "wilson_interval",
    "win_probabilities",
]

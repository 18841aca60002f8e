"""The funnel's last stage: the weighted decision among the models left, with every reason.

The decision is :func:`codejury.report.decide` over candidates built from the stages'
figures: quality is the accuracy on the team's own tasks when that stage ran, else pass@1 on
the first benchmark; the human rating comes from the arena votes between the finalists. The
thresholds are passed as constraints (they were already applied stage by stage, so they
remove no one here unless a figure only appears now), the weights are ``[weights]``.

Default weights (no ``[weights]``): :data:`codejury.report.DEFAULT_WEIGHTS`, plus ``human =
0.35`` when the human check produced ratings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from codejury.catalog import Catalog
from codejury.report.candidates import CatalogOptions, candidate_from_catalog
from codejury.report.recommend import decide
from codejury.report.selection import DEFAULT_WEIGHTS, Constraints, DecisionMatrix
from codejury.scoring.metrics import PairedComparison
from codejury.select.config import SelectionConfig
from codejury.select.figures import TASK_ACCURACY, candidates, merged, pass_at_1_name
from codejury.select.stages import Context, StageResult

DEFAULT_HUMAN_WEIGHT = 0.35
"""Weight of the human rating when ``[weights]`` is not given and votes were counted."""


def quality_key(earlier: Mapping[str, Mapping[str, Any]], config: SelectionConfig) -> str | None:
    """Which figure is quality: own-task accuracy if that stage ran, else the first benchmark."""
    if earlier.get("tasks", {}).get("status") == "done":
        return TASK_ACCURACY
    if config.benchmarks is not None and earlier.get("benchmarks", {}).get("status") == "done":
        return pass_at_1_name(config.benchmarks.ids[0])
    return None


def decision_weights(config: SelectionConfig, *, human: bool) -> dict[str, float]:
    """``[weights]`` as written, else the defaults (with ``human`` when there are ratings).

    Args:
        config: The selection file.
        human: Whether human ratings are available; without them ``human`` is dropped.
    """
    weights = dict(config.weights) if config.weights else dict(DEFAULT_WEIGHTS)
    if not config.weights and human:
        weights["human"] = DEFAULT_HUMAN_WEIGHT
    if not human:
        weights.pop("human", None)
    if sum(weights.values()) <= 0:
        weights = {"quality": 1.0}
    return weights


def choice_stage(ctx: Context, entering: Sequence[str]) -> StageResult:
    """Rank the models left and recommend one; the others are "eliminated" with their rank."""
    earlier = ctx.earlier
    figures = merged(earlier.values())
    quality = quality_key(earlier, ctx.config)
    made = candidates(entering, figures, quality)
    has_human = any(c.human is not None for c in made)
    weights = decision_weights(ctx.config, human=has_human)
    t = ctx.config.thresholds
    limits = Constraints(
        max_p95_latency_s=t.max_p95_latency_s,
        max_monthly_cost=t.max_monthly_cost,
        require_open_weights=t.open_weights,
        min_context_window=t.min_context_window,
        strict=t.strict,
    )
    paired = _paired(earlier.get("tasks", {}).get("extra", {}).get("paired", []))
    result = StageResult("done", [])
    if not made:
        result.notes.append("no model is left to choose from")
        result.extra = {"winner": None, "recommendation": "No model passed every stage."}
        return result
    decision = decide(made, limits, DecisionMatrix(weights), paired=paired, seed=0)
    for note in decision.screening.eliminated:
        result.eliminated[note.key] = list(note.reasons)
    ranking = decision.ranking
    winner = decision.recommendation.winner
    if ranking is not None:
        best = ranking.winner
        for row in ranking.rows[1:]:
            result.eliminated[row.key] = [
                f"ranked {row.rank} of {len(ranking.rows)} on the decision matrix "
                f"(score {row.score:.2f} against {best.name}'s {best.score:.2f})"
            ]
    result.kept = [winner] if winner is not None else []
    result.extra = {
        "winner": winner,
        "recommendation": decision.recommendation.text,
        "quality_from": quality,
        "weights": weights,
        "candidates": [c.as_dict() for c in made],
        "decision": decision.as_dict(),
        "reference": _reference(ctx),
    }
    return result


def _paired(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], PairedComparison]:
    return {
        (r["a"], r["b"]): PairedComparison(
            diff=r["diff"],
            low=r["low"],
            high=r["high"],
            p_value=r["p_value"],
            n_tasks=r["n_tasks"],
            a_only=r["a_better"],
            b_only=r["b_better"],
            method=r["method"],
        )
        for r in rows
    }


def _reference(ctx: Context) -> list[dict[str, Any]]:
    if not ctx.config.reference:
        return []
    catalog = Catalog.builtin()
    options = CatalogOptions(workload=ctx.config.workload)
    return [candidate_from_catalog(catalog, key, options).as_dict() for key in ctx.config.reference]

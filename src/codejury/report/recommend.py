"""The recommendation in plain sentences, and :func:`decide`, which runs the whole funnel.

The text states the winner and its score, the criteria it leads and where it gives ground,
what the runner-up would need to draw level (a concrete change in one figure, computed from
the matrix), how far a weight must move to change the choice, how often the winner stays first
when uncertain figures are redrawn, what the constraints removed, and caveats: public figures
that were not measured on the user's tasks, a paired test that cannot separate the top two,
criteria with no data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from codejury.report.candidates import Candidate
from codejury.report.selection import (
    CRITERIA,
    Constraints,
    DecisionMatrix,
    Ranking,
    Scored,
    Screening,
    apply_constraints,
)
from codejury.report.sensitivity import BestOdds, Sensitivity, probability_best, sensitivity
from codejury.scoring.metrics import PairedComparison

SIGNIFICANCE = 0.05
"""The p-value below which the top two count as significantly different."""
MAX_LISTED = 5
"""Eliminated models named one by one before "and N more"."""

Paired = Mapping[tuple[str, str], PairedComparison]
"""Paired comparisons by ``(model A, model B)`` key pair; ``diff`` is A minus B."""


@dataclass(frozen=True)
class Recommendation:
    """The advice, in sentences a reader can act on.

    Attributes:
        winner: The recommended model's key, or None when no model is left.
        runner_up: The second model's key, if any.
        sentences: The text, one sentence (or short paragraph) each.
    """

    winner: str | None
    runner_up: str | None
    sentences: tuple[str, ...]

    @property
    def text(self) -> str:
        """The sentences joined into one paragraph."""
        return " ".join(self.sentences)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "winner": self.winner,
            "runner_up": self.runner_up,
            "sentences": list(self.sentences),
        }


def recommend(
    screening: Screening,
    ranking: Ranking | None,
    sensitivity: Sensitivity | None = None,
    odds: BestOdds | None = None,
    paired: Paired | None = None,
) -> Recommendation:
    """Write the recommendation from the steps' results.

    Args:
        screening: From :func:`apply_constraints`; its kept candidates supply provenance.
        ranking: The matrix over ``screening.kept``; None when no candidate was kept.
        sensitivity: Weight thresholds, when computed.
        odds: Probability each model is best, when computed.
        paired: Paired comparisons on the user's tasks (either order of the top two).
    """
    removed = _removed(screening)
    if ranking is None or not ranking.rows:
        text = ["No model meets the constraints."]
        return Recommendation(None, None, tuple(text + removed))
    by_key = {c.key: c for c in screening.kept}
    w, r = ranking.winner, ranking.runner_up
    out = [_headline(w, r, len(ranking.rows))]
    out += _strengths(ranking, w)
    if r is not None:
        out.append(_runner_up_needs(ranking, w, r))
    if sensitivity is not None:
        out.append(_sensitivity_sentence(sensitivity, by_key))
    if odds is not None:
        out.append(_odds_sentence(odds, w, by_key))
    if r is not None and paired:
        sentence = _paired_sentence(paired, w, r)
        if sentence:
            out.append(sentence)
    out += _provenance(by_key, w)
    out += removed + _unchecked(screening, w.key) + list(ranking.notes)
    return Recommendation(w.key, None if r is None else r.key, tuple(out))


@dataclass(frozen=True)
class Decision:
    """Every step of the funnel and the recommendation."""

    screening: Screening
    ranking: Ranking | None
    sensitivity: Sensitivity | None
    odds: BestOdds | None
    recommendation: Recommendation

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "screening": self.screening.as_dict(),
            "ranking": None if self.ranking is None else self.ranking.as_dict(),
            "sensitivity": None if self.sensitivity is None else self.sensitivity.as_dict(),
            "odds": None if self.odds is None else self.odds.as_dict(),
            "recommendation": self.recommendation.as_dict(),
        }


def decide(
    candidates: Sequence[Candidate],
    constraints: Constraints | None = None,
    matrix: DecisionMatrix | None = None,
    *,
    paired: Paired | None = None,
    draws: int = 10_000,
    seed: int = 0,
) -> Decision:
    """Constraints, then the matrix, sensitivity, probability best and the recommendation.

    Args:
        candidates: The models.
        constraints: Hard limits; none by default.
        matrix: Weights; :data:`codejury.report.selection.DEFAULT_WEIGHTS` by default.
        paired: Paired comparisons on the user's tasks.
        draws: Draws for :func:`probability_best`.
        seed: Its seed.
    """
    matrix = matrix or DecisionMatrix()
    screening = apply_constraints(candidates, constraints or Constraints())
    if not screening.kept:
        return Decision(screening, None, None, None, recommend(screening, None))
    kept = list(screening.kept)
    ranking = matrix.rank(kept)
    sens = sensitivity(matrix, kept)
    odds = probability_best(kept, matrix, draws=draws, seed=seed)
    return Decision(
        screening, ranking, sens, odds, recommend(screening, ranking, sens, odds, paired)
    )


# --- sentences ---------------------------------------------------------------------------------


def format_value(criterion: str, value: float) -> str:
    """A raw figure in its unit, e.g. ``87.2 %``, ``$58/month``, ``0.90 s``."""
    if criterion == "quality":
        return f"{value:.1f} %"
    if criterion == "human":
        return f"{value:.0f}"
    if criterion == "cost":
        return f"${value:,.2f}/month" if value < 10 else f"${value:,.0f}/month"
    if criterion == "price":
        return f"${value:,.2f} per 1M tokens"
    if criterion == "latency":
        return f"{value:.2f} s"
    if criterion == "context":
        return f"{value:,.0f} tokens"
    return f"{value:.3g}/5"


def _label(criterion: str) -> str:
    return CRITERIA[criterion].label


def _headline(w: Scored, r: Scored | None, n: int) -> str:
    if r is None:
        return f"Choose {w.name}: it is the only model that meets the constraints."
    return (
        f"Choose {w.name}: it ranks first of {n} on the weighted decision matrix with "
        f"{w.score:.2f} out of 1, ahead of {r.name} ({r.score:.2f})."
    )


def _strengths(ranking: Ranking, w: Scored) -> list[str]:
    if len(ranking.rows) < 2:
        return []
    # A criterion on which every candidate is equal separates no one: it is nobody's lead.
    weighted = [col for col in ranking.columns if col.weight > 0 and col.high > col.low]
    leads = [c for c in weighted if w.normalised[c.name] >= 1.0 and w.raw[c.name] is not None]
    weak = [c for c in weighted if w.normalised[c.name] < 0.5]
    out = []
    if leads:
        parts = [f"{_label(c.name)} ({format_value(c.name, _raw(w, c.name))})" for c in leads]
        out.append(f"It is the best candidate on {_join(parts)}.")
    else:
        top = sorted(weighted, key=lambda c: -c.weight * w.normalised[c.name])[:2]
        out.append(
            "It leads on no single criterion but balances them best; most of its score comes "
            f"from {_join([_label(c.name) for c in top])}."
        )
    if weak:
        parts = []
        for c in weak:
            best = c.high if c.better == "higher" else c.low
            shown = "no figure" if w.raw[c.name] is None else format_value(c.name, _raw(w, c.name))
            parts.append(f"{_label(c.name)} ({shown} against {format_value(c.name, best)})")
        out.append(f"It gives ground on {_join(parts)}.")
    return out


def _runner_up_needs(ranking: Ranking, w: Scored, r: Scored) -> str:
    gap = w.score - r.score
    options = []
    for col in sorted(ranking.columns, key=lambda c: -c.weight):
        if col.weight <= 0 or r.raw[col.name] is None or col.high == col.low:
            continue
        needed = gap / col.weight  # rise in normalised score that closes the gap
        if r.normalised[col.name] + needed > 1.0 + 1e-12:
            continue  # not reachable within the observed range (it would move the scale)
        old = _raw(r, col.name)
        step = needed * (col.high - col.low)
        new = old + step if col.better == "higher" else old - step
        direction = "higher" if col.better == "higher" else "lower"
        options.append(
            f"{_label(col.name)} {_amount(col.name, step)} {direction} "
            f"({format_value(col.name, new)} instead of {format_value(col.name, old)})"
        )
    if gap <= 1e-12:
        return f"{r.name} ties with it; the order between them is arbitrary."
    if not options:
        return (
            f"{r.name} trails by {gap:.2f}; no single figure of it could close the gap within "
            "the range the candidates span."
        )
    return f"{r.name} would draw level with {' or '.join(options[:3])}."


def _amount(criterion: str, step: float) -> str:
    if criterion == "quality":
        return f"{step:.1f} points"
    if criterion in ("privacy", "customisation", "operational_effort"):
        return f"{step:.2g} points"
    return format_value(criterion, step).replace("/month", "").replace(" per 1M tokens", "")


def _sensitivity_sentence(sens: Sensitivity, by_key: Mapping[str, Candidate]) -> str:
    nearest = sens.nearest()
    if nearest is None:
        return "No change of a single weight within 0 to 1 changes this choice."
    criterion, t = nearest
    current = t.weight - t.delta
    name = by_key[t.new_winner].name if t.new_winner in by_key else t.new_winner
    text = (
        f"The smallest single weight change that alters the choice moves {_label(criterion)} "
        f"from {current:.2f} to {t.weight:.2f} ({t.delta:+.2f}); then {name} wins."
    )
    if abs(t.delta) < 0.05:
        return text + " The choice is sensitive to the weights."
    if abs(t.delta) >= 0.2:
        return text + " The choice holds under moderate changes of the weights."
    return text


def _odds_sentence(odds: BestOdds, w: Scored, by_key: Mapping[str, Candidate]) -> str:
    if not odds.sampled:
        return "No figure has an interval, so the probability of being best was not sampled."
    p = odds.probabilities.get(w.key, 0.0)
    others = [
        f"{by_key[k].name if k in by_key else k} in {v:.0%}"
        for k, v in odds.probabilities.items()
        if k != w.key and v >= 0.05
    ][:2]
    text = (
        f"Redrawing {_join([_label(c) for c in odds.sampled])} from their 95 % intervals "
        f"({odds.draws:,} draws), {w.name} comes first in {p:.0%} of draws"
    )
    text += f" ({'; '.join(others)})" if others else ""
    if p < 0.5:
        text += ": the evidence does not single out a clear winner"
    return text + "."


def _paired_sentence(paired: Paired, w: Scored, r: Scored) -> str | None:
    cmp, sign = paired.get((w.key, r.key)), 1.0
    if cmp is None:
        cmp, sign = paired.get((r.key, w.key)), -1.0
    if cmp is None:
        return None
    low, high = sorted((sign * cmp.low * 100, sign * cmp.high * 100))
    detail = (
        f"paired p = {cmp.p_value:.3g}, {cmp.method} over {cmp.n_tasks} tasks; pass@1 "
        f"difference {sign * cmp.diff * 100:+.1f} points, 95 % interval {low:+.1f} to {high:+.1f}"
    )
    if cmp.p_value >= SIGNIFICANCE:
        return f"On your tasks the top two are not significantly different ({detail})."
    return f"On your tasks {w.name} and {r.name} differ significantly ({detail})."


def _provenance(by_key: Mapping[str, Candidate], w: Scored) -> list[str]:
    out = []
    winner = by_key.get(w.key)
    if winner is not None and winner.quality is not None and winner.quality.mark.origin == "public":
        mark = winner.quality.mark
        when = f", {mark.as_of}" if mark.as_of else ""
        out.append(
            f"{w.name}'s quality comes from public figures only ({mark.source}{when}), not "
            "from a run on your tasks; measure it before committing."
        )
    origins = {c.quality.mark.origin for c in by_key.values() if c.quality is not None}
    if "measured" in origins and "public" in origins:
        out.append(
            "Quality figures mix your own runs with public ones, measured under different "
            "prompts and settings; compare like with like where you can."
        )
    return out


def _removed(screening: Screening) -> list[str]:
    gone = screening.eliminated
    if not gone:
        return []
    listed = "; ".join(f"{n.name} ({', '.join(n.reasons)})" for n in gone[:MAX_LISTED])
    more = f"; and {len(gone) - MAX_LISTED} more" if len(gone) > MAX_LISTED else ""
    return [f"The constraints removed {_count(len(gone), 'model')}: {listed}{more}."]


def _unchecked(screening: Screening, winner: str) -> list[str]:
    if not screening.unchecked:
        return []
    text = (
        f"{_count(len(screening.unchecked), 'kept model')} lacked a figure a constraint needs "
        "and passed unchecked"
    )
    for note in screening.unchecked:
        if note.key == winner:
            text += f", the winner among them ({'; '.join(note.reasons)})"
    return [text + "; set strict to remove such models instead."]


def _raw(row: Scored, criterion: str) -> float:
    value = row.raw[criterion]
    return 0.0 if value is None else value


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n:,} {noun}s"


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]

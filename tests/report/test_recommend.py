"""The recommendation text and the whole funnel."""

from __future__ import annotations

import json

import pytest
from report_helpers import MEASURED, PUBLIC, fig, make, seed003

from codejury.catalog import Catalog
from codejury.cost import Workload
from codejury.report import (
    CatalogOptions,
    Constraints,
    DecisionMatrix,
    apply_constraints,
    candidates_from_catalog,
    decide,
    recommend,
)
from codejury.scoring.metrics import PairedComparison


def test_seed003_recommendation_names_the_winner_and_its_reasons() -> None:
    decision = decide(seed003())
    rec = decision.recommendation
    assert rec.winner == "gpt-4o-mini" and rec.runner_up == "gpt-4o"
    text = rec.text
    assert text.startswith("Choose GPT-4O-MINI: it ranks first of 4")
    assert "ahead of GPT-4O (0.72)" in text
    # It is cheapest and tied best on operational effort; it gives ground on privacy.
    assert "best candidate on monthly cost ($58/month) and operational effort (1/5)" in text
    assert "gives ground on privacy (1/5 against 5/5)" in text
    # What GPT-4o would need, worked out from the matrix: the gap 0.0769 over the privacy
    # weight 0.10 is 0.769 of the 1..5 range, i.e. 3.1 points (1 → 4.08). Cost (0.3075 of
    # its range needed, 0.215 left) and latency cannot close it alone.
    assert "GPT-4O would draw level with privacy 3.1 points higher (4.08/5 instead of 1/5)" in text
    assert "then" in text and "wins" in text  # the nearest weight threshold
    assert "No figure has an interval" in text


def test_runner_up_needs_are_exact() -> None:
    candidates = [
        make("a", quality=80.0, monthly_cost=300.0),
        make("b", quality=70.0, monthly_cost=100.0),
        make("c", quality=60.0, monthly_cost=500.0),
    ]
    matrix = DecisionMatrix({"quality": 0.6, "cost": 0.4})
    # a: 0.6 + 0.4·0.5 = 0.8; b: 0.6·0.5 + 0.4 = 0.7. Gap 0.1 → quality +0.1/0.6 of the
    # 20-point range = 3.3 points (73.3 %); cost is already best for b.
    rec = decide(candidates, matrix=matrix).recommendation
    assert "B would draw level with pass@1 3.3 points higher (73.3 % instead of 70.0 %)" in rec.text
    better_b = make("b", quality=70.0 + 20 / 6, monthly_cost=100.0)
    tied = DecisionMatrix({"quality": 0.6, "cost": 0.4}).rank(
        [candidates[0], better_b, candidates[2]]
    )
    assert tied.rows[0].score == pytest.approx(tied.rows[1].score)


def test_caveats_public_figures_and_paired_test() -> None:
    candidates = [
        make("pub", quality=fig(85.0, PUBLIC, 5.0), monthly_cost=100.0),
        make("mine", quality=fig(82.0, MEASURED, 5.0), monthly_cost=120.0),
    ]
    paired = {
        ("mine", "pub"): PairedComparison(
            diff=-0.03,
            low=-0.08,
            high=0.02,
            p_value=0.31,
            n_tasks=164,
            a_only=9,
            b_only=14,
            method="exact McNemar",
        )
    }
    text = decide(candidates, paired=paired).recommendation.text
    assert (
        "PUB's quality comes from public figures only (a published leaderboard, 2024-12-26)" in text
    )
    assert "mix your own runs with public ones" in text
    # The comparison was given as (mine, pub); it is turned round to winner minus runner-up.
    assert "not significantly different (paired p = 0.31, exact McNemar over 164 tasks" in text
    assert "difference +3.0 points, 95 % interval -2.0 to +8.0" in text
    assert "comes first in" in text  # the intervals were sampled

    significant = {("pub", "mine"): PairedComparison(0.05, 0.01, 0.09, 0.004, 164, 12, 4, "x")}
    text = decide(candidates, paired=significant).recommendation.text
    assert "PUB and MINE differ significantly (paired p = 0.004" in text


def test_constraints_that_removed_models_are_explained() -> None:
    candidates = [make(f"m{i}", quality=40.0 + i) for i in range(8)] + [make("ok", quality=90.0)]
    decision = decide(candidates, Constraints(min_pass_at_1=50), DecisionMatrix({"quality": 1}))
    text = decision.recommendation.text
    assert "Choose OK: it is the only model that meets the constraints." in text
    assert (
        "The constraints removed 8 models: M0 (pass@1 40.0 % is below the minimum 50.0 %)" in text
    )
    assert "; and 3 more." in text


def test_no_model_left() -> None:
    decision = decide(seed003(), Constraints(min_pass_at_1=95))
    assert decision.ranking is None and decision.recommendation.winner is None
    assert decision.recommendation.sentences[0] == "No model meets the constraints."
    assert "GPT-4O (pass@1 92.7 % is below the minimum 95.0 %)" in decision.recommendation.text


def test_unchecked_winner_is_called_out() -> None:
    candidates = [make("fast", quality=70.0, p95_latency_s=1.0), make("unknown", quality=90.0)]
    screening = apply_constraints(candidates, Constraints(max_p95_latency_s=2))
    ranking = DecisionMatrix({"quality": 1}).rank(list(screening.kept))
    text = recommend(screening, ranking).text
    assert (
        "1 kept model lacked a figure a constraint needs and passed unchecked, the winner" in text
    )


def test_decision_on_the_builtin_catalog_is_json_ready() -> None:
    candidates = candidates_from_catalog(
        Catalog.builtin(), options=CatalogOptions(workload=Workload(10_000, 500, 200))
    )
    decision = decide(candidates, Constraints(min_pass_at_1=80), draws=2000)
    assert decision.ranking is not None and decision.odds is not None
    assert decision.recommendation.winner == decision.ranking.winner.key
    winner = next(c for c in candidates if c.key == decision.recommendation.winner)
    assert winner.quality is not None and winner.quality.value >= 80
    assert "public figures only" in decision.recommendation.text
    # Nobody has a latency figure in the public catalog: its weight is shared, and said so.
    assert any("p95 latency" in note for note in decision.ranking.notes)
    json.dumps(decision.as_dict())

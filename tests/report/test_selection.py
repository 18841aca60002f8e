"""Hard constraints and the weighted decision matrix."""

from __future__ import annotations

import pytest
from report_helpers import make, seed003

from codejury.errors import ConfigError, DataError
from codejury.report import DEFAULT_WEIGHTS, Constraints, DecisionMatrix, apply_constraints


def test_constraints_eliminate_with_every_reason() -> None:
    candidates = [
        make("good", quality=80.0, p95_latency_s=1.0, monthly_cost=100.0, open_weights=True),
        make("weak-slow", quality=50.0, p95_latency_s=5.0, monthly_cost=100.0, open_weights=True),
        make(
            "closed-dear", quality=90.0, p95_latency_s=1.0, monthly_cost=900.0, open_weights=False
        ),
        make("short", quality=85.0, context_window=8192.0, open_weights=True),
    ]
    screening = apply_constraints(
        candidates,
        Constraints(
            min_pass_at_1=60,
            max_p95_latency_s=2,
            max_monthly_cost=500,
            require_open_weights=True,
            min_context_window=32_000,
        ),
    )
    assert [c.key for c in screening.kept] == ["good"]
    reasons = {n.key: n.reasons for n in screening.eliminated}
    assert reasons["weak-slow"] == (
        "pass@1 50.0 % is below the minimum 60.0 %",
        "p95 latency 5.00 s is above the maximum 2.00 s",
    )
    assert reasons["closed-dear"] == (
        "monthly cost $900 is above the maximum $500",
        "weights are not open, so it cannot be self-hosted for privacy",
    )
    assert reasons["short"] == ("context window 8,192 tokens is below the minimum 32,000 tokens",)
    # "good" has no context window figure: kept, with the unchecked limit listed.
    assert [(n.key, n.reasons) for n in screening.unchecked] == [
        ("good", ("no context window figure: the minimum 32,000 tokens was not checked",))
    ]


def test_strict_mode_eliminates_missing_data() -> None:
    candidates = [make("known", quality=70.0), make("unknown")]
    lenient = apply_constraints(candidates, Constraints(min_pass_at_1=60))
    strict = apply_constraints(candidates, Constraints(min_pass_at_1=60, strict=True))
    assert [c.key for c in lenient.kept] == ["known", "unknown"]
    assert lenient.unchecked[0].key == "unknown"
    assert [c.key for c in strict.kept] == ["known"]
    assert strict.eliminated[0].reasons == (
        "no pass@1 figure: the minimum 60.0 % was not checked (strict: missing data eliminates)",
    )
    assert strict.as_dict()["eliminated"][0]["key"] == "unknown"


def test_limits_are_inclusive_and_no_limits_keep_everyone() -> None:
    c = make("edge", quality=60.0, p95_latency_s=2.0)
    assert apply_constraints([c], Constraints(min_pass_at_1=60, max_p95_latency_s=2)).kept == (c,)
    assert apply_constraints([c, make("x")], Constraints()).unchecked == ()


def test_bad_constraints_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="percentage"):
        Constraints(min_pass_at_1=150)
    with pytest.raises(ConfigError, match="non-negative"):
        Constraints(max_monthly_cost=-1)


def test_seed003_matrix_by_hand() -> None:
    ranking = DecisionMatrix(DEFAULT_WEIGHTS).rank(seed003())
    # Normalised by hand (best 1, worst 0 per criterion):
    #   quality  57.3 .. 92.7 (span 35.4): 7B 0, 70B 13.9/35.4, 4o 1, mini 31.1/35.4
    #   cost     58.5 .. 4320 (lower better, span 4261.5): 7B 3600/4261.5, 70B 0,
    #            4o 3345/4261.5, mini 1
    #   latency  0.8 .. 2.4 (lower better, span 1.6): 7B 1, 70B 0, 4o 0.8/1.6, mini 1.5/1.6
    #   privacy 5 (self-hosted) vs 1 (API): 1, 1, 0, 0; customisation 5 vs 2: 1, 1, 0, 0
    #   operational effort 4 (7B), 5 (70B), 1 (API), lower better: 0.25, 0, 1, 1
    # Weights .35 .25 .15 .10 .05 .10:
    expected = {
        "gpt-4o-mini": 0.35 * 31.1 / 35.4 + 0.25 + 0.15 * 1.5 / 1.6 + 0.10,
        "gpt-4o": 0.35 + 0.25 * 3345 / 4261.5 + 0.15 * 0.5 + 0.10,
        "open-7b": 0.25 * 3600 / 4261.5 + 0.15 + 0.10 + 0.05 + 0.10 * 0.25,
        "open-70b": 0.35 * 13.9 / 35.4 + 0.10 + 0.05,
    }
    assert [r.key for r in ranking.rows] == ["gpt-4o-mini", "gpt-4o", "open-7b", "open-70b"]
    for row in ranking.rows:
        assert row.score == pytest.approx(expected[row.key], abs=1e-12)
    assert ranking.winner.score == pytest.approx(0.798111, abs=1e-6)
    assert ranking.runner_up is not None and ranking.runner_up.key == "gpt-4o"
    mini = ranking.winner
    assert mini.normalised["cost"] == 1.0 and mini.raw["cost"] == 58.5
    cost = next(col for col in ranking.columns if col.name == "cost")
    assert (cost.low, cost.high, cost.better) == (58.5, 4320.0, "lower")
    assert sum(ranking.weights().values()) == pytest.approx(1.0)
    assert ranking.notes == ()


def test_weights_need_not_sum_to_one() -> None:
    a = DecisionMatrix({"quality": 7, "cost": 3}).rank(seed003())
    b = DecisionMatrix({"quality": 0.7, "cost": 0.3}).rank(seed003())
    assert [(r.key, r.score) for r in a.rows] == [(r.key, r.score) for r in b.rows]


def test_missing_figure_scores_as_the_worst() -> None:
    ranking = DecisionMatrix({"quality": 1.0, "latency": 1.0}).rank(
        [
            make("fast", quality=50.0, p95_latency_s=1.0),
            make("slow", quality=50.0, p95_latency_s=3.0),
            make("unmeasured", quality=50.0),
        ]
    )
    rows = {r.key: r for r in ranking.rows}
    assert rows["unmeasured"].normalised["latency"] == 0.0
    assert rows["unmeasured"].raw["latency"] is None
    assert rows["fast"].normalised["latency"] == 1.0 and rows["slow"].normalised["latency"] == 0.0
    # All equal on quality: it cannot tell them apart, so everyone gets 1.
    assert {r.normalised["quality"] for r in ranking.rows} == {1.0}
    latency = next(col for col in ranking.columns if col.name == "latency")
    assert latency.missing == ("unmeasured",)
    assert [(r.key, r.score) for r in ranking.rows] == [
        ("fast", 1.0),
        ("slow", 0.5),
        ("unmeasured", 0.5),
    ]


def test_criterion_without_any_figure_is_dropped_with_a_note() -> None:
    ranking = DecisionMatrix({"quality": 0.5, "latency": 0.5}).rank(
        [make("a", quality=60.0), make("b", quality=70.0)]
    )
    assert [col.name for col in ranking.columns] == ["quality"]
    assert ranking.weights() == {"quality": 1.0}
    assert "no candidate has a p95 latency figure" in ranking.notes[0]
    with pytest.raises(DataError, match="no weighted criterion"):
        DecisionMatrix({"latency": 1.0}).rank([make("a", quality=60.0)])


def test_ties_are_reported() -> None:
    ranking = DecisionMatrix({"quality": 1.0}).rank(
        [make("b", quality=60.0), make("a", quality=60.0)]
    )
    assert [r.key for r in ranking.rows] == ["a", "b"]
    assert ranking.notes == ("A and B tie; the order is by key.",)


def test_bad_weights_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="did you mean 'quality'"):
        DecisionMatrix({"qualty": 1.0})
    with pytest.raises(ConfigError, match="non-negative"):
        DecisionMatrix({"quality": -1.0})
    with pytest.raises(ConfigError, match="positive"):
        DecisionMatrix({"quality": 0.0})
    with pytest.raises(DataError, match="no candidate"):
        DecisionMatrix().rank([])

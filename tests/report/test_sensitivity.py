"""Weight thresholds and the probability each model is best."""

from __future__ import annotations

import numpy as np
import pytest
from report_helpers import MEASURED, fig, make, seed003

from codejury.report import (
    DEFAULT_WEIGHTS,
    Candidate,
    DecisionMatrix,
    probability_best,
    sensitivity,
)


def winner(weights: dict[str, float], candidates: list[Candidate]) -> str:
    return DecisionMatrix(weights).rank(candidates).winner.key


def two_models() -> list[Candidate]:
    # A is best on quality, B on cost and latency; with two models each is 1 or 0.
    return [
        make("a", quality=80.0, monthly_cost=100.0, p95_latency_s=2.0),
        make("b", quality=60.0, monthly_cost=50.0, p95_latency_s=1.0),
    ]


def test_exact_thresholds_on_two_models() -> None:
    weights = {"quality": 0.7, "cost": 0.2, "latency": 0.1}
    result = sensitivity(DecisionMatrix(weights), two_models())
    assert result.winner == "a"  # 0.7 against 0.3
    items = {i.criterion: i for i in result.items}

    # Quality at t, the others at (1 − t)·(2/3, 1/3): A scores t, B scores 1 − t → t = 1/2.
    q = items["quality"]
    assert q.up is None
    assert q.down is not None and q.down.weight == pytest.approx(0.5)
    assert q.down.delta == pytest.approx(-0.2) and q.down.new_winner == "b"
    assert q.down.weights == pytest.approx({"quality": 0.5, "cost": 1 / 3, "latency": 1 / 6})

    # Cost at t, quality (1 − t)·7/8, latency (1 − t)·1/8:
    # A = 7/8·(1 − t), B = t + 1/8·(1 − t) → 3/4 = 7/4·t → t = 3/7.
    c = items["cost"]
    assert c.down is None
    assert c.up is not None and c.up.weight == pytest.approx(3 / 7)
    assert c.up.delta == pytest.approx(3 / 7 - 0.2)
    # Latency at t, quality (1 − t)·7/9, cost (1 − t)·2/9:
    # A = 7/9·(1 − t), B = t + 2/9·(1 − t) → 5/9 = 14/9·t → t = 5/14.
    lat = items["latency"]
    assert lat.up is not None and lat.up.weight == pytest.approx(5 / 14)

    # Checked directly: just inside the threshold A wins, just beyond it B does.
    for t, expected in ((3 / 7 - 1e-6, "a"), (3 / 7 + 1e-6, "b")):
        w = {"quality": (1 - t) * 7 / 8, "cost": t, "latency": (1 - t) / 8}
        assert winner(w, two_models()) == expected
    assert result.nearest() == ("quality", q.down)


def test_no_threshold_when_the_winner_leads_everywhere() -> None:
    candidates = [
        make("best", quality=90.0, monthly_cost=10.0),
        make("worse", quality=60.0, monthly_cost=50.0),
    ]
    result = sensitivity(DecisionMatrix({"quality": 0.5, "cost": 0.5}), candidates)
    assert all(i.up is None and i.down is None for i in result.items)
    assert result.nearest() is None


def test_thresholds_agree_with_brute_force_on_random_fields() -> None:
    rng = np.random.default_rng(11)
    for trial in range(20):
        candidates = [
            make(
                f"m{i}",
                quality=float(rng.uniform(30, 95)),
                monthly_cost=float(rng.uniform(10, 2000)),
                p95_latency_s=float(rng.uniform(0.3, 4)),
            )
            for i in range(6)
        ]
        raw = rng.dirichlet([1, 1, 1])
        weights = dict(zip(("quality", "cost", "latency"), map(float, raw), strict=True))
        result = sensitivity(DecisionMatrix(weights), candidates)
        current = winner(weights, candidates)
        assert result.winner == current, trial
        for item in result.items:
            for threshold in (item.up, item.down):
                if threshold is None:
                    continue
                step = 1e-7 if threshold is item.up else -1e-7
                for t, expected in (
                    (threshold.weight - step, current),
                    (threshold.weight + step, threshold.new_winner),
                ):
                    others = {k: v for k, v in weights.items() if k != item.criterion}
                    total = sum(others.values())
                    w = {k: (1 - t) * v / total for k, v in others.items()} | {item.criterion: t}
                    assert winner(w, candidates) == expected, (trial, item.criterion)
            # No change anywhere between the current weight and the threshold (or the end).
            end_up = item.up.weight if item.up else 1.0
            end_down = item.down.weight if item.down else 0.0
            for t in np.linspace(end_down + 1e-6, end_up - 1e-6, 25):
                others = {k: v for k, v in weights.items() if k != item.criterion}
                total = sum(others.values())
                w = {k: (1 - t) * v / total for k, v in others.items()} | {item.criterion: t}
                assert winner(w, candidates) == current, (trial, item.criterion, t)


def test_seed003_sensitivity_names_the_runner_up() -> None:
    result = sensitivity(DecisionMatrix(DEFAULT_WEIGHTS), seed003())
    assert result.winner == "gpt-4o-mini"
    nearest = result.nearest()
    assert nearest is not None
    criterion, threshold = nearest
    assert criterion in DEFAULT_WEIGHTS and threshold.new_winner != "gpt-4o-mini"
    assert sum(threshold.weights.values()) == pytest.approx(1.0)


def test_probability_best_is_half_for_identical_models() -> None:
    twins = [make(k, quality=fig(70.0, MEASURED, 5.0)) for k in ("a", "b")]
    odds = probability_best(twins, draws=10_000, seed=1)
    assert odds.probabilities["a"] == pytest.approx(0.5, abs=0.02)
    assert sum(odds.probabilities.values()) == pytest.approx(1.0)
    assert odds.sampled == ("quality",)
    # Without intervals nothing is drawn and a tie shares every draw.
    fixed = probability_best([make("a", quality=70.0), make("b", quality=70.0)], draws=100)
    assert fixed.probabilities == {"a": 0.5, "b": 0.5} and fixed.sampled == ()


def test_probability_best_is_one_for_a_dominant_model() -> None:
    field = [
        make("strong", quality=fig(90.0, MEASURED, 2.0)),
        make("weak", quality=fig(50.0, MEASURED, 2.0)),
    ]
    odds = probability_best(field, draws=10_000, seed=0)
    assert odds.probabilities == {"strong": 1.0, "weak": 0.0}


def test_probability_best_follows_overlap_and_the_matrix() -> None:
    close = [
        make("x", quality=fig(72.0, MEASURED, 6.0), monthly_cost=500.0),
        make("y", quality=fig(70.0, MEASURED, 6.0), monthly_cost=100.0),
    ]
    by_quality = probability_best(close, draws=20_000, seed=3)
    # P(X > Y) for independent normals: sd 6/1.96 each, mean gap 2 → Φ(2 / (√2 · 3.061)).
    assert by_quality.probabilities["x"] == pytest.approx(0.6778, abs=0.015)
    # Weighting cost heavily hands it to the cheaper model whatever the draw.
    by_cost = probability_best(close, DecisionMatrix({"quality": 0.3, "cost": 0.7}), seed=3)
    assert by_cost.probabilities["y"] == 1.0
    # Same seed, same answer.
    assert probability_best(close, draws=5000, seed=9) == probability_best(
        close, draws=5000, seed=9
    )


def test_human_ratings_are_sampled_too() -> None:
    field = [
        make("a", human=fig(1250.0, MEASURED, 10.0)),
        make("b", human=fig(1200.0, MEASURED, 10.0)),
    ]
    odds = probability_best(field, DecisionMatrix({"human": 1.0}), draws=2000)
    assert odds.sampled == ("human",) and odds.probabilities["a"] == 1.0
    with pytest.raises(ValueError, match="draws"):
        probability_best(field, draws=0)

"""Pareto frontier, evolution, win probabilities and the leaderboard."""

from __future__ import annotations

import numpy as np
import pytest
from report_helpers import MEASURED, PUBLIC, fig, make

from codejury.catalog import Catalog
from codejury.errors import DataError
from codejury.report import (
    candidates_from_catalog,
    dates,
    evolution,
    leaderboard,
    numbers,
    pareto_frontier,
    period_frontiers,
    win_probabilities,
)


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """(quality, price): a is no worse on both and better on one."""
    return a[0] >= b[0] and a[1] <= b[1] and (a[0] > b[0] or a[1] < b[1])


def check_frontier(points: dict[str, tuple[float, float]], frontier: tuple[str, ...]) -> None:
    """Brute force, O(n²): the frontier is undominated, and everything else is dominated by a
    point on it."""
    on = set(frontier)
    assert len(on) == len(frontier)
    for key in frontier:
        assert not any(dominates(points[o], points[key]) for o in points if o != key), key
    for key in set(points) - on:
        assert any(dominates(points[f], points[key]) for f in frontier), key


def test_pareto_on_hand_made_points() -> None:
    points = {
        "cheap-weak": (40.0, 0.1),
        "cheap-better": (55.0, 0.1),  # same price, better: knocks out cheap-weak
        "mid": (70.0, 1.0),
        "mid-dominated": (65.0, 2.0),  # dearer and worse than mid
        "equal-quality-dearer": (70.0, 3.0),  # same quality as mid, dearer: dominated
        "top": (90.0, 10.0),
        "top-twin": (90.0, 10.0),  # identical to top: neither dominates the other
        "overpriced": (85.0, 30.0),
    }
    frontier = pareto_frontier(points)
    assert frontier == ("cheap-better", "mid", "top", "top-twin")  # cheapest first
    check_frontier(points, frontier)
    assert pareto_frontier({}) == ()
    assert pareto_frontier({"only": (1.0, 1.0)}) == ("only",)


def test_pareto_matches_brute_force_on_random_points() -> None:
    rng = np.random.default_rng(7)
    # Rounded so that ties in price and in quality occur often.
    points = {
        f"m{i}": (float(q), float(p))
        for i, (q, p) in enumerate(
            zip(rng.integers(0, 30, 2000), rng.integers(1, 40, 2000), strict=True)
        )
    }
    check_frontier(points, pareto_frontier(points))


def test_pareto_rejects_non_finite_figures() -> None:
    with pytest.raises(DataError, match="finite"):
        pareto_frontier({"a": (float("nan"), 1.0)})


@pytest.mark.parametrize("measure", ["quality", "human"])
def test_pareto_on_the_whole_builtin_catalog(measure: str) -> None:
    candidates = candidates_from_catalog(Catalog.builtin())
    quality, price = numbers(candidates, measure), numbers(candidates, "price")
    points = {k: (quality[k], price[k]) for k in quality.keys() & price.keys()}
    assert len(points) >= (14 if measure == "quality" else 100)
    frontier = pareto_frontier(points)
    assert 2 <= len(frontier) < len(points)
    check_frontier(points, frontier)
    # Cheapest first means quality rises along the frontier.
    assert [points[k][0] for k in frontier] == sorted(points[k][0] for k in frontier)


def test_evolution_traces_the_best_so_far() -> None:
    series = evolution(
        {
            "b": ("2024-05-13", 80.0),
            "a": ("2023-03", 60.0),
            "c": ("2024-05-13", 85.0),  # same day as b and better: listed first
            "d": ("2024-07-01", 70.0),  # not a record
            "e": ("2025", 90.0),
        }
    )
    assert [p.key for p in series.points] == ["a", "c", "b", "d", "e"]
    assert series.records == ("a", "c", "e")
    assert [p.best_so_far for p in series.points] == [60.0, 85.0, 85.0, 85.0, 90.0]
    assert series.points[3].best_key == "c" and not series.points[3].record
    with pytest.raises(DataError, match="release date"):
        evolution({"x": ("2024-13-01", 1.0)})


def test_period_frontiers_group_by_half_year() -> None:
    fronts = period_frontiers(
        {
            "old": ("2023-10-01", 50.0, 10.0),
            "h1-good": ("2024-03-01", 70.0, 5.0),
            "h1-dominated": ("2024-06-30", 60.0, 6.0),
            "h2": ("2024-07-01", 80.0, 1.0),
            "year-only": ("2024", 90.0, 50.0),  # counts as January
        }
    )
    assert fronts == {
        "2023-H2": ("old",),
        "2024-H1": ("h1-good", "year-only"),
        "2024-H2": ("h2",),
    }


def test_dates_and_numbers_read_candidates() -> None:
    a = make("a", quality=50.0, release_date="2024-01-02")
    b = make("b")
    assert dates([a, b]) == {"a": "2024-01-02"}
    assert numbers([a, b], "quality") == {"a": 50.0}


def test_win_probabilities_follow_the_elo_curve() -> None:
    probs = win_probabilities({"strong": 1300.0, "weak": 1200.0, "equal": 1300.0})
    # Seed 000: a 100-point gap is about a 64 % chance of winning.
    assert probs.get("strong", "weak") == pytest.approx(1 / (1 + 10 ** (-0.25)))
    assert round(probs.get("strong", "weak"), 2) == 0.64
    assert probs.get("weak", "strong") == pytest.approx(1 - probs.get("strong", "weak"))
    assert probs.get("strong", "equal") == 0.5 and probs.get("weak", "weak") == 0.5
    # Seed 000: 46 points is a 56.6 % chance.
    assert round(win_probabilities({"a": 1046.0, "b": 1000.0}).get("a", "b"), 3) == 0.566


def test_leaderboard_orders_and_marks_overlap_with_the_leader() -> None:
    rows = leaderboard(
        [
            make("mine", quality=fig(80.0, MEASURED, 3.0)),
            make("public-close", quality=fig(78.0, PUBLIC, 4.0)),
            make("public-far", quality=fig(60.0, PUBLIC, 4.0)),
            make("no-interval", quality=79.0),
            make("no-quality", human=1200.0),
        ]
    )
    assert [r.candidate.key for r in rows] == ["mine", "no-interval", "public-close", "public-far"]
    assert [r.rank for r in rows] == [1, 2, 3, 4]
    assert [r.overlaps_leader for r in rows] == [False, False, True, False]
    assert rows[0].figure.mark.origin == "measured"
    assert rows[2].as_dict()["figure"]["mark"]["origin"] == "public"

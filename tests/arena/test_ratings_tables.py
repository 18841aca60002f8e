"""Win-rate and predicted matrices, votes needed, online Elo and execution battles."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from codejury.arena.ratings import ELO_PER_NAT, FitOptions, fit_by_source, fit_ratings
from codejury.arena.ratings_input import Battle, VoteTable
from codejury.arena.ratings_tables import (
    execution_battles,
    online_elo,
    predicted_win_matrix,
    votes_needed,
    votes_needed_table,
    win_matrix,
)
from codejury.errors import ConfigError


def drawn(elo: dict[str, float], per_pair: int, seed: int) -> list[Battle]:
    """``per_pair`` Bradley–Terry votes for every pair, no ties."""
    rng = np.random.default_rng(seed)
    names = sorted(elo)
    out = []
    for x, a in enumerate(names):
        for b in names[x + 1 :]:
            p = 1.0 / (1.0 + 10.0 ** ((elo[b] - elo[a]) / 400.0))
            out += [Battle(a, b, "model_a" if u < p else "model_b") for u in rng.random(per_pair)]
    return out


def test_win_matrix_counts_and_rates() -> None:
    votes = VoteTable.from_battles(
        [
            Battle("a", "b", "model_a"),
            Battle("b", "a", "model_a"),
            Battle("b", "a", "model_b"),
            Battle("a", "b", "tie"),
            Battle("a", "c", "model_b", weight=3.0),
        ]
    )
    wm = win_matrix(votes, order=["a", "b", "c", "d"])
    assert wm.wins == ((0, 2, 0, 0), (1, 0, 0, 0), (1, 0, 0, 0), (0, 0, 0, 0))
    assert wm.ties[0][1] == wm.ties[1][0] == 1
    assert wm.battles[0][1] == 4 and wm.battles[0][2] == 1
    assert wm.win_rate[0][1] == pytest.approx(2.5 / 4)
    assert wm.win_rate[1][0] == pytest.approx(1.5 / 4)
    assert wm.win_rate[2][0] == 1.0 and wm.win_rate[0][3] is None and wm.win_rate[0][0] is None
    json.dumps(wm.as_dict())


def test_predicted_matrix_is_the_logistic_of_rating_gaps() -> None:
    fit = fit_ratings(VoteTable.from_battles(drawn({"a": 1100, "b": 1000, "c": 900}, 200, 1)))
    prob = np.array(predicted_win_matrix(fit))
    assert np.allclose(prob + prob.T, 1.0) and np.allclose(np.diag(prob), 0.5)
    gap = fit.ratings[0].rating - fit.ratings[2].rating
    assert prob[0, 2] == pytest.approx(1.0 / (1.0 + math.exp(-gap / ELO_PER_NAT)))
    assert prob[0, 1] > 0.5 and prob[1, 2] > 0.5


def test_votes_needed_predicts_the_refit() -> None:
    # Two close models: adding the predicted number of votes, split as the fit expects,
    # should bring the half-width of their difference down to the gap.
    elo = {"a": 1040.0, "b": 1000.0, "c": 900.0, "d": 850.0}
    battles = drawn(elo, 80, seed=2)
    fit = fit_ratings(VoteTable.from_battles(battles))
    need = votes_needed(fit, "a", "b")
    assert need.votes is not None and need.votes > 50
    z = 1.959963984540054
    assert z * need.se > abs(need.difference)
    wins = round(need.votes * need.p_win)
    extra = [Battle("a", "b", "model_a")] * wins + [Battle("a", "b", "model_b")] * (
        need.votes - wins
    )
    refit = fit_ratings(VoteTable.from_battles(battles + extra))
    i, j = refit.models.index("a"), refit.models.index("b")
    cov = refit.covariance
    se = math.sqrt(cov[i][i] + cov[j][j] - 2 * cov[i][j])
    assert z * se == pytest.approx(abs(need.difference), rel=0.03)
    # A looser target needs fewer votes; one already met needs none.
    looser = votes_needed(fit, "a", "b", half_width=need.se * z * 0.8)
    assert looser.votes is not None and 0 < looser.votes < need.votes
    assert votes_needed(fit, "a", "b", half_width=need.se * z * 1.01).votes == 0
    far = votes_needed(fit, "a", "d")
    assert far.votes == 0 and far.difference > 0
    table = votes_needed_table(fit)
    assert len(table) == 6 and all(v.difference >= 0 for v in table)
    json.dumps(need.as_dict())


def test_votes_needed_edge_cases() -> None:
    even = [Battle("a", "b", "model_a")] * 5 + [Battle("a", "b", "model_b")] * 5
    fit = fit_ratings(VoteTable.from_battles(even))
    assert votes_needed(fit, "a", "b").votes is None  # the estimated gap is zero
    assert votes_needed(fit, "a", "b", half_width=10.0).votes > 0  # type: ignore[operator]
    with pytest.raises(ConfigError, match="has no votes"):
        votes_needed(fit, "a", "zz")
    with pytest.raises(ConfigError, match="half_width"):
        votes_needed(fit, "a", "b", half_width=0.0)


def test_online_elo_follows_fastchat_updates_and_depends_on_order() -> None:
    votes = [Battle("a", "b", "model_a"), Battle("a", "c", "tie"), Battle("c", "b", "model_b")]
    elo = online_elo(VoteTable.from_battles(votes))
    # First vote: both expected 0.5, so a +2, b -2.
    e_ac = 1.0 / (1.0 + 10.0 ** ((1000.0 - 1002.0) / 400.0))
    a = 1002.0 + 4.0 * (0.5 - e_ac)
    c = 1000.0 - 4.0 * (0.5 - e_ac)
    e_cb = 1.0 / (1.0 + 10.0 ** ((998.0 - c) / 400.0))
    assert elo["a"] == pytest.approx(a)
    assert elo["c"] == pytest.approx(c - 4.0 * e_cb)
    assert sum(elo.values()) == pytest.approx(3000.0)
    backwards = online_elo(VoteTable.from_battles(list(reversed(votes))))
    assert backwards["a"] != pytest.approx(elo["a"])


def test_execution_battles_feed_a_combined_fit() -> None:
    passed = {
        "good": {"t1": True, "t2": True, "t3": True, "t4": False},
        "ok": {"t1": True, "t2": False, "t3": True, "t4": False},
        "bad": {"t1": False, "t2": False, "t3": True, "t4": False, "t5": True},
    }
    battles = execution_battles(passed)
    pairs = [(b.model_a, b.model_b, b.winner) for b in battles]
    assert pairs == [
        ("bad", "good", "model_b"),
        ("bad", "good", "model_b"),
        ("bad", "ok", "model_b"),
        ("good", "ok", "model_a"),
    ]
    assert all(b.source == "execution" for b in battles)
    human = [Battle("good", "ok", "model_a")] * 6 + [Battle("ok", "bad", "model_a")] * 4
    human += [Battle("good", "bad", "model_b"), Battle("ok", "good", "model_a")]
    fits = fit_by_source(VoteTable.from_battles(human + battles), FitOptions())
    by = {f.label: f for f in fits.by_source}
    assert set(by) == {"human", "execution"}
    assert by["execution"].prior_ties > 0  # "good" never lost a test battle
    assert fits.combined.models[0] == "good"
    json.dumps(fits.as_dict())

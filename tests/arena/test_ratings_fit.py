"""Bradley–Terry fit, intervals and ranks, checked against an independent fit and known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import log_expit

from codejury.arena.ratings import ELO_PER_NAT, FitOptions, fit_by_source, fit_ratings
from codejury.arena.ratings_input import Battle, VoteTable
from codejury.errors import ConfigError

WINNER = {1.0: "model_a", 0.0: "model_b"}


def synth(
    elo: list[float], n_votes: int, seed: int, tie_rate: float = 0.0
) -> list[dict[str, object]]:
    """FastChat-format records drawn from Bradley–Terry with the given ratings."""
    rng = np.random.default_rng(seed)
    theta = np.asarray(elo) / ELO_PER_NAT
    m = len(elo)
    a = rng.integers(0, m, n_votes)
    b = (a + rng.integers(1, m, n_votes)) % m
    p = 1.0 / (1.0 + np.exp(theta[b] - theta[a]))
    out: list[dict[str, object]] = []
    for i, j, pij, u, v in zip(a, b, p, rng.random(n_votes), rng.random(n_votes), strict=True):
        if u < tie_rate:
            winner = "tie" if v < 0.7 else "tie (bothbad)"
        else:
            winner = "model_a" if v < pij else "model_b"
        out.append({"model_a": f"m{i}", "model_b": f"m{j}", "winner": winner, "tstamp": 1.0})
    return out


def independent_fit(records: list[dict[str, object]]) -> dict[str, float]:
    """Generic minimiser on the raw per-battle likelihood (no aggregation), mean 1000."""
    names = sorted({str(r["model_a"]) for r in records} | {str(r["model_b"]) for r in records})
    idx = {n: k for k, n in enumerate(names)}
    a = np.array([idx[str(r["model_a"])] for r in records])
    b = np.array([idx[str(r["model_b"])] for r in records])
    y = np.array([{"model_a": 1.0, "model_b": 0.0}.get(str(r["winner"]), 0.5) for r in records])
    m = len(names)

    def nll(x: np.ndarray) -> float:
        th = np.r_[x, 0.0]  # last model anchored at 0: M-1 free parameters
        d = th[a] - th[b]
        return float(-(y * log_expit(d) + (1 - y) * log_expit(-d)).sum())

    res = minimize(nll, np.zeros(m - 1), method="BFGS", options={"gtol": 1e-7})
    th = np.r_[res.x, 0.0]
    th -= th.mean()
    return {n: 1000.0 + ELO_PER_NAT * th[k] for n, k in idx.items()}


TRUE_ELO = [
    1250.0,
    1180.0,
    1120.0,
    1060.0,
    1010.0,
    1000.0,
    960.0,
    930.0,
    880.0,
    820.0,
    800.0,
    790.0,
]


def test_parity_with_independent_fit_on_fastchat_votes() -> None:
    records = synth(TRUE_ELO, 4000, seed=1, tie_rate=0.25)
    assert sum(str(r["winner"]).startswith("tie") for r in records) > 800
    fit = fit_ratings(VoteTable.from_records(records))
    ref = independent_fit(records)
    diffs = [abs(fit.rating(m).rating - r) for m, r in ref.items()]
    assert max(diffs) < 0.05  # the target is 1 point; both are the same MLE
    assert np.mean([r.rating for r in fit.ratings]) == pytest.approx(1000.0, abs=1e-9)
    assert fit.prior_ties == 0.0 and fit.notes == ()


def test_recovers_known_strengths() -> None:
    elo = [1200.0, 1100.0, 1050.0, 1000.0, 950.0, 900.0, 800.0]
    fit = fit_ratings(VoteTable.from_records(synth(elo, 40_000, seed=2)))
    truth = np.asarray(elo) - np.mean(elo) + 1000.0
    for k, r in enumerate(elo):
        got = fit.rating(f"m{k}")
        assert got.rating == pytest.approx(truth[k], abs=15.0), (k, r)
    assert [r.model for r in fit.ratings] == [f"m{k}" for k in range(len(elo))]


def test_swapping_sides_and_renaming_changes_nothing() -> None:
    records = synth(TRUE_ELO[:6], 2000, seed=3, tie_rate=0.2)
    flip = {"model_a": "model_b", "model_b": "model_a", "tie": "tie", "tie (bothbad)": "tie"}
    swapped = [
        {"model_a": r["model_b"], "model_b": r["model_a"], "winner": flip[str(r["winner"])]}
        for r in records
    ]
    renamed = [
        {"model_a": f"x-{r['model_a']}", "model_b": f"x-{r['model_b']}", "winner": r["winner"]}
        for r in reversed(records)
    ]
    base = fit_ratings(VoteTable.from_records(records))
    other = fit_ratings(VoteTable.from_records(swapped))
    third = fit_ratings(VoteTable.from_records(renamed))
    for r in base.ratings:
        assert other.rating(r.model).rating == pytest.approx(r.rating, abs=1e-6)
        assert third.rating(f"x-{r.model}").rating == pytest.approx(r.rating, abs=1e-6)
        assert other.rating(r.model).low == pytest.approx(r.low, abs=1e-6)


def test_a_tie_counts_half_a_win_each_way() -> None:
    # 3 wins, 1 loss, 2 ties: score 4 of 6, so P(win) = 2/3 and the gap is 400·log10(2).
    recs = [("a", "b", "model_a")] * 3 + [("a", "b", "model_b")] + [("b", "a", "tie")] * 2
    fit = fit_ratings(VoteTable.from_battles(Battle(*r) for r in recs))
    gap = fit.rating("a").rating - fit.rating("b").rating
    assert gap == pytest.approx(400.0 * math.log10(2.0), abs=1e-6)
    # The same on a larger set: every tie replaced by two half-weight decisive votes.
    records = synth(TRUE_ELO[:5], 1500, seed=4, tie_rate=0.3)
    split: list[Battle] = []
    for r in records:
        a, b, w = str(r["model_a"]), str(r["model_b"]), str(r["winner"])
        if w.startswith("tie"):
            split += [Battle(a, b, "model_a", 0.5), Battle(a, b, "model_b", 0.5)]
        else:
            split.append(Battle(a, b, w))
    one = fit_ratings(VoteTable.from_records(records))
    two = fit_ratings(VoteTable.from_battles(split))
    for r in one.ratings:
        assert two.rating(r.model).rating == pytest.approx(r.rating, abs=1e-6)


@pytest.mark.parametrize("interval", ["sandwich", "bootstrap"])
def test_interval_coverage_is_about_95_percent(interval: str) -> None:
    elo = [1150.0, 1080.0, 1000.0, 980.0, 900.0, 890.0]
    truth = np.asarray(elo) - np.mean(elo) + 1000.0
    covered = total = 0
    options = FitOptions(interval=interval, rounds=300)  # type: ignore[arg-type]
    for seed in range(60):
        fit = fit_ratings(VoteTable.from_records(synth(elo, 1200, seed=100 + seed)), options)
        for k in range(len(elo)):
            r = fit.rating(f"m{k}")
            covered += r.low <= truth[k] <= r.high
            total += 1
    # 360 intervals: a binomial(360, 0.95) count falls in [0.91, 0.985] with > 99.9 %.
    assert 0.91 <= covered / total <= 0.985, covered / total


def test_bootstrap_and_sandwich_agree_and_bootstrap_is_seeded() -> None:
    vt = VoteTable.from_records(synth(TRUE_ELO, 20_000, seed=5, tie_rate=0.2))
    sw = fit_ratings(vt)
    boot = fit_ratings(vt, FitOptions(interval="bootstrap", rounds=600, seed=7))
    again = fit_ratings(vt, FitOptions(interval="bootstrap", rounds=600, seed=7))
    other = fit_ratings(vt, FitOptions(interval="bootstrap", rounds=600, seed=8))
    for r in sw.ratings:
        b = boot.rating(r.model)
        assert b.rating == r.rating and b.sandwich == r.sandwich
        assert b.bootstrap is not None and r.bootstrap is None
        assert (b.high - b.low) == pytest.approx(r.high - r.low, rel=0.2)
        assert again.rating(r.model).low == b.low
    assert any(other.rating(r.model).low != boot.rating(r.model).low for r in sw.ratings)


def test_rank_with_ties_by_overlapping_intervals() -> None:
    # "a" and its clone "a2" get identical data, so identical intervals and the same rank.
    recs: list[Battle] = []
    for top in ("a", "a2"):
        recs += [Battle(top, "c", "model_a")] * 60 + [Battle(top, "c", "model_b")] * 20
        recs += [Battle(top, "d", "model_a")] * 75 + [Battle(top, "d", "model_b")] * 5
    recs += [Battle("c", "d", "model_a")] * 50 + [Battle("c", "d", "model_b")] * 20
    fit = fit_ratings(VoteTable.from_battles(recs))
    ranks = {r.model: r.rank for r in fit.ratings}
    assert ranks["a"] == ranks["a2"] == 1
    assert ranks["c"] == 3 and ranks["d"] == 4
    for r in fit.ratings:
        assert r.rank == 1 + sum(o.low > r.high for o in fit.ratings)


def test_disconnected_groups_and_undefeated_models_stay_finite() -> None:
    recs = [Battle("a", "b", "model_a")] * 30 + [Battle("a", "b", "model_b")] * 10
    recs += [Battle("x", "y", "model_a")] * 20 + [Battle("x", "y", "model_b")] * 20
    recs += [Battle("champ", "x", "model_a")] * 8  # never loses
    for interval in ("sandwich", "bootstrap"):
        fit = fit_ratings(VoteTable.from_battles(recs), FitOptions(interval=interval, rounds=200))  # type: ignore[arg-type]
        values = [v for r in fit.ratings for v in (r.rating, r.low, r.high)]
        assert all(math.isfinite(v) for v in values)
        assert fit.prior_ties == 0.1
        assert len(fit.components) == 2
        assert any("never lost: champ" in n for n in fit.notes)
        assert any("2 groups" in n for n in fit.notes)
        assert fit.ratings[0].model == "champ"
        # Within a group the data still speak: a's 3:1 record is close to log-odds ln 3.
        gap = fit.rating("a").rating - fit.rating("b").rating
        assert gap == pytest.approx(ELO_PER_NAT * math.log(3.0), abs=8.0)


def test_bootstrap_rounds_that_lose_the_only_loss_stay_finite() -> None:
    # "b" lost to "a" once only: many resamples drop that vote, and those rounds need the
    # prior even though the full data do not.
    recs = [Battle("a", "b", "model_b")] * 12 + [Battle("a", "b", "model_a")]
    recs += [Battle("a", "c", "model_a")] * 6 + [Battle("a", "c", "model_b")] * 6
    recs += [Battle("b", "c", "tie")] * 3
    fit = fit_ratings(VoteTable.from_battles(recs), FitOptions(interval="bootstrap", rounds=500))
    assert fit.prior_ties == 0.0
    assert all(math.isfinite(v) for r in fit.ratings for v in (r.low, r.high))
    assert fit.rating("b").high - fit.rating("b").low > 100.0


def test_per_source_and_combined_fits() -> None:
    human = synth(TRUE_ELO[:5], 1500, seed=9, tie_rate=0.2)
    judge = synth([e + (40.0 if k == 0 else 0.0) for k, e in enumerate(TRUE_ELO[:5])], 1500, 10)
    records = [dict(r, source="human") for r in human] + [dict(r, source="judge") for r in judge]
    vt = VoteTable.from_records(records)
    fits = fit_by_source(vt, source_weights={"judge": 0.5})
    assert [f.label for f in fits.by_source] == ["human", "judge"]
    alone = fit_ratings(VoteTable.from_records(human))
    assert fits.by_source[0].rating("m0").rating == pytest.approx(alone.rating("m0").rating)
    assert fits.combined.votes == 3000 and dict(fits.source_weights) == {"human": 1.0, "judge": 0.5}
    only_human = fit_by_source(vt, source_weights={"judge": 0.0}).combined
    assert only_human.rating("m0").rating == pytest.approx(alone.rating("m0").rating)
    with pytest.raises(ConfigError, match="unknown vote source"):
        fit_by_source(vt, source_weights={"crowd": 1.0})


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        FitOptions(interval="jackknife")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        FitOptions(confidence=1.5)
    with pytest.raises(ConfigError):
        FitOptions(interval="bootstrap", rounds=1)

"""Benchmark rank against human rank: τ, its interval, the trend and the flags."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from codejury.catalog import Catalog
from codejury.errors import DataError
from codejury.report import candidates_from_catalog, kendall_tau_b, numbers, rank_mismatch


def noisy_pair(n: int, noise: float, seed: int) -> tuple[dict[str, float], dict[str, float]]:
    rng = np.random.default_rng(seed)
    bench = rng.uniform(20, 95, n)
    human = 900 + 4 * bench + rng.normal(0, noise, n)
    keys = [f"m{i:02d}" for i in range(n)]
    return dict(zip(keys, bench, strict=True)), dict(zip(keys, human, strict=True))


def test_tau_equals_scipys_and_lies_in_its_interval() -> None:
    bench, human = noisy_pair(40, 60.0, seed=1)
    result = rank_mismatch(bench, human)
    keys = sorted(bench)
    expected = stats.kendalltau([bench[k] for k in keys], [human[k] for k in keys])
    assert result.tau == pytest.approx(expected.statistic, abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert -1 <= result.tau_low < result.tau < result.tau_high <= 1
    # Only the models present in both mappings count.
    result2 = rank_mismatch({**bench, "extra": 50.0}, {**human, "other": 1000.0})
    assert result2.tau == result.tau and len(result2.rows) == 40


def test_vectorised_tau_b_equals_scipy_with_ties() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 6, size=(20, 15)).astype(float)  # many ties on both sides
    y = (x + rng.integers(-2, 3, size=(20, 15))).astype(float)
    ours = kendall_tau_b(x, y)
    for row in range(20):
        assert ours[row] == pytest.approx(stats.kendalltau(x[row], y[row]).statistic, abs=1e-12)
    assert np.isnan(kendall_tau_b(np.ones((1, 5)), np.arange(5.0)[None, :]))[0]


def test_interval_narrows_with_more_models() -> None:
    few = rank_mismatch(*noisy_pair(15, 60.0, seed=2))
    many = rank_mismatch(*noisy_pair(200, 60.0, seed=2))
    assert many.tau_high - many.tau_low < few.tau_high - few.tau_low


def test_ranks_and_rank_differences() -> None:
    result = rank_mismatch(
        {"a": 90.0, "b": 80.0, "c": 70.0, "d": 70.0},
        {"a": 1100.0, "b": 1300.0, "c": 1200.0, "d": 1000.0},
    )
    rows = {r.key: r for r in result.rows}
    assert (rows["a"].benchmark_rank, rows["a"].human_rank) == (1.0, 3.0)
    assert rows["c"].benchmark_rank == rows["d"].benchmark_rank == 3.5  # ties share the mean
    assert rows["a"].rank_difference == 2.0  # the benchmark places it two higher than people
    assert rows["b"].rank_difference == -1.0
    assert rows["d"].rank_difference_share == pytest.approx((4 - 3.5) / 3)
    assert [r.key for r in result.rows] == ["a", "b", "c", "d"]  # by benchmark rank


def test_flags_fire_on_a_planted_overfitter_and_an_underrated_model() -> None:
    bench, human = noisy_pair(30, 5.0, seed=4)
    bench["overfit"], human["overfit"] = 99.0, 950.0  # best benchmark, near-worst people
    bench["underrated"], human["underrated"] = 15.0, 1300.0  # worst benchmark, best people
    result = rank_mismatch(bench, human)
    assert result.flagged("benchmark-above-human") == ("overfit",)
    assert result.flagged("human-above-benchmark") == ("underrated",)
    row = next(r for r in result.rows if r.key == "overfit")
    assert row.residual > result.threshold * result.robust_sd
    # The robust trend is barely moved by the two outliers: close to a 1:1 rank line.
    assert result.slope == pytest.approx(1.0, abs=0.15)


def test_no_flags_when_ranks_agree() -> None:
    bench, human = noisy_pair(30, 0.0, seed=5)
    result = rank_mismatch(bench, human)
    assert result.tau == pytest.approx(1.0)
    assert not any(r.flag for r in result.rows)


def test_threshold_controls_the_flags() -> None:
    bench, human = noisy_pair(60, 80.0, seed=6)
    loose, tight = (
        rank_mismatch(bench, human, threshold=3.0),
        rank_mismatch(bench, human, threshold=0.5),
    )
    assert set(loose.flagged()) <= set(tight.flagged())
    assert len(tight.flagged()) > len(loose.flagged())


def test_on_the_builtin_catalog() -> None:
    candidates = candidates_from_catalog(Catalog.builtin())
    result = rank_mismatch(numbers(candidates, "quality"), numbers(candidates, "human"))
    assert len(result.rows) >= 30
    assert result.tau_low <= result.tau <= result.tau_high
    assert result.tau > 0  # HumanEval+ and Arena coding agree more than they disagree
    assert result.as_dict()["rows"][0]["benchmark_rank"] == 1.0


def test_too_few_models_is_a_data_error() -> None:
    with pytest.raises(DataError, match="at least 3"):
        rank_mismatch({"a": 1.0, "b": 2.0}, {"a": 1.0, "b": 2.0, "c": 3.0})

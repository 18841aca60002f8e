"""pass@k, bootstrap intervals and paired tests, checked against first principles."""

from __future__ import annotations

import itertools
import math
import random

import pytest
from scipy.stats import binomtest

from codejury.scoring.metrics import (
    METHOD_MCNEMAR,
    METHOD_PERMUTATION,
    default_ks,
    mcnemar_exact,
    paired_compare,
    pass_at_k,
    pass_at_k_summary,
)


def brute_force_pass_at_k(n: int, c: int, k: int) -> float:
    """The definition: the share of k-subsets of the n samples that hold a correct one."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(samples, k))
    return sum(any(s) for s in subsets) / len(subsets)


def synthetic(n_tasks: int, n_samples: int, seed: int, skill: float = 0.5) -> dict[str, list[bool]]:
    rng = random.Random(seed)
    out: dict[str, list[bool]] = {}
    for t in range(n_tasks):
        # Task difficulty varies, as on real benchmarks.
        p = min(1.0, max(0.0, rng.gauss(skill, 0.3)))
        out[f"T/{t}"] = [rng.random() < p for _ in range(n_samples)]
    return out


# --- pass_at_k ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(1, 9))
def test_pass_at_k_matches_brute_force(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(brute_force_pass_at_k(n, c, k), abs=1e-12)


def test_pass_at_k_edge_cases() -> None:
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 10, 10) == 1.0
    # Fewer than k failures: every k-subset holds a pass.
    assert pass_at_k(10, 8, 3) == 1.0
    assert pass_at_k(1, 1, 1) == 1.0
    assert pass_at_k(10, 3, 1) == 0.3  # exact: pass@1 is the pass rate


def test_pass_at_k_is_stable_for_large_n() -> None:
    # C(1000, 500) overflows a float; the product form must not.
    value = pass_at_k(1000, 1, 500)
    assert value == pytest.approx(0.5)
    assert 0.0 <= pass_at_k(100_000, 3, 50_000) <= 1.0


@pytest.mark.parametrize(("n", "c", "k"), [(3, 1, 4), (0, 0, 1), (5, 2, 0), (5, 6, 1), (5, -1, 1)])
def test_pass_at_k_rejects_bad_arguments(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


# --- pass_at_k_summary -------------------------------------------------------------------


def test_default_ks() -> None:
    assert default_ks(1) == [1]
    assert default_ks(7) == [1, 2, 5]
    assert default_ks(200) == [1, 2, 5, 10, 20, 50, 100, 200]
    assert default_ks(0) == []


def test_summary_is_mean_of_per_task_pass_at_k() -> None:
    per_task = {"a": [True, False, False, False], "b": [True, True, False, False], "c": [False] * 4}
    result = pass_at_k_summary(per_task, [1, 2, 4])
    assert sorted(result) == [1, 2, 4]
    for k, est in result.items():
        expected = sum(brute_force_pass_at_k(4, sum(s), k) for s in per_task.values()) / 3
        assert est.value == pytest.approx(expected)
        assert est.n_tasks == 3


def test_summary_defaults_and_uneven_sample_counts() -> None:
    per_task = {"a": [True] * 12, "b": [False] * 5 + [True] * 2}  # n = 12 and 7
    result = pass_at_k_summary(per_task)
    # Defaults stop at the smallest n (7); 10 would exceed task b's samples.
    assert sorted(result) == [1, 2, 5]
    assert result[1].value == pytest.approx((1.0 + 2 / 7) / 2)
    # An explicit k above some task's n is omitted, not an error.
    assert sorted(pass_at_k_summary(per_task, [1, 10])) == [1]
    assert pass_at_k_summary(per_task, [10]) == {}


def test_summary_interval_contains_estimate_and_shrinks_with_more_tasks() -> None:
    widths = []
    for n_tasks in (20, 80, 320):
        est = pass_at_k_summary(synthetic(n_tasks, 10, seed=n_tasks), [1, 5])
        for e in est.values():
            assert e.low <= e.value <= e.high
            assert e.low >= 0.0 and e.high <= 1.0
        widths.append(est[1].high - est[1].low)
    assert widths[0] > widths[1] > widths[2]
    # Width scales like 1/sqrt(tasks): 16x the tasks should give roughly a quarter.
    assert widths[2] < widths[0] / 2.5


def test_summary_higher_confidence_gives_wider_interval() -> None:
    data = synthetic(50, 5, seed=3)
    narrow = pass_at_k_summary(data, [1], confidence=0.5)[1]
    wide = pass_at_k_summary(data, [1], confidence=0.99)[1]
    assert wide.high - wide.low > narrow.high - narrow.low


def test_summary_is_deterministic_by_seed() -> None:
    data = synthetic(40, 5, seed=1)
    first = pass_at_k_summary(data, seed=7)
    assert pass_at_k_summary(data, seed=7) == first
    other = pass_at_k_summary(data, seed=8)
    assert other[1].value == first[1].value
    assert (other[1].low, other[1].high) != (first[1].low, first[1].high)


def test_summary_single_task_has_degenerate_interval() -> None:
    est = pass_at_k_summary({"x": [True, False]}, [1])[1]
    assert (est.low, est.value, est.high) == (0.5, 0.5, 0.5)


def test_summary_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        pass_at_k_summary({})
    with pytest.raises(ValueError):
        pass_at_k_summary({"a": []})
    with pytest.raises(ValueError):
        pass_at_k_summary({"a": [True]}, [0])
    with pytest.raises(ValueError):
        pass_at_k_summary({"a": [True]}, confidence=1.0)
    with pytest.raises(ValueError):
        pass_at_k_summary({"a": [True]}, rounds=0)


# --- McNemar -----------------------------------------------------------------------------


def test_mcnemar_hand_computed() -> None:
    # 10 discordant pairs all favouring A: P(X <= 0) = 0.5**10, doubled for two sides.
    assert mcnemar_exact(10, 0) == pytest.approx(2 * 0.5**10)
    assert mcnemar_exact(0, 10) == pytest.approx(2 * 0.5**10)
    # 8 vs 2: 2 * (1 + 10 + 45) / 1024.
    assert mcnemar_exact(8, 2) == pytest.approx(2 * 56 / 1024)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0


@pytest.mark.parametrize(("x", "y"), [(3, 9), (20, 31), (1, 0), (400, 350)])
def test_mcnemar_matches_scipy_binomial_test(x: int, y: int) -> None:
    assert mcnemar_exact(x, y) == pytest.approx(binomtest(x, x + y, 0.5).pvalue, rel=1e-9)


def test_paired_compare_uses_mcnemar_for_single_samples() -> None:
    # 10 tasks only A solves, 5 both solve, 5 neither.
    a = {f"t{i}": [i < 15] for i in range(20)}
    b = {f"t{i}": [10 <= i < 15] for i in range(20)}
    result = paired_compare(a, b)
    assert result.method == METHOD_MCNEMAR
    assert result.p_value == pytest.approx(2 * 0.5**10)
    assert (result.a_only, result.b_only, result.n_tasks) == (10, 0, 20)
    assert result.diff == pytest.approx(0.5)
    assert result.low <= result.diff <= result.high
    assert result.low > 0


# --- permutation test and paired bootstrap -----------------------------------------------


def test_permutation_small_p_for_clear_difference() -> None:
    strong = synthetic(100, 5, seed=1, skill=0.8)
    weak = {t: [s and (i % 2 == 0) for i, s in enumerate(samples)] for t, samples in strong.items()}
    result = paired_compare(strong, weak, rounds=5000)
    assert result.method == METHOD_PERMUTATION
    assert result.diff > 0
    assert result.b_only == 0
    # The +1 correction: the smallest reachable p-value is 1 / (rounds + 1).
    assert result.p_value == pytest.approx(1 / 5001)
    assert 0 < result.low <= result.diff <= result.high


def test_permutation_large_p_for_identical_inputs() -> None:
    data = synthetic(50, 4, seed=2)
    result = paired_compare(data, data)
    assert result.method == METHOD_PERMUTATION
    assert result.p_value == 1.0
    assert (result.diff, result.low, result.high) == (0.0, 0.0, 0.0)
    assert (result.a_only, result.b_only) == (0, 0)


def test_permutation_large_p_for_two_draws_of_the_same_model() -> None:
    # Same per-task success rates, independent samples: no real difference.
    rng = random.Random(5)
    rates = [rng.random() for _ in range(80)]
    a = {f"t{i}": [rng.random() < p for _ in range(10)] for i, p in enumerate(rates)}
    b = {f"t{i}": [rng.random() < p for _ in range(10)] for i, p in enumerate(rates)}
    result = paired_compare(a, b)
    assert result.p_value > 0.05
    assert result.low < 0 < result.high


def test_paired_compare_mixed_sample_counts_and_task_overlap() -> None:
    a = {"x": [True], "y": [True, True], "z": [False], "only_a": [True]}
    b = {"x": [False], "y": [True, False], "z": [False], "only_b": [False]}
    result = paired_compare(a, b, rounds=200)
    assert result.method == METHOD_PERMUTATION  # "y" has two samples
    assert result.n_tasks == 3
    assert result.diff == pytest.approx((1.0 + 0.5 + 0.0) / 3)
    assert (result.a_only, result.b_only) == (2, 0)


def test_paired_compare_is_deterministic_and_symmetric() -> None:
    a = synthetic(60, 3, seed=10, skill=0.6)
    b = synthetic(60, 3, seed=11, skill=0.5)
    first = paired_compare(a, b, seed=3)
    assert paired_compare(a, b, seed=3) == first
    swapped = paired_compare(b, a, seed=3)
    assert swapped.diff == pytest.approx(-first.diff)
    assert (swapped.a_only, swapped.b_only) == (first.b_only, first.a_only)
    # Sign flips are symmetric in the sign of d, so the same seed gives the same p-value.
    assert swapped.p_value == pytest.approx(first.p_value)


def test_paired_compare_needs_shared_tasks() -> None:
    with pytest.raises(ValueError, match="share no task"):
        paired_compare({"a": [True]}, {"b": [True]})
    with pytest.raises(ValueError):
        paired_compare({"a": []}, {"a": [True]})


def test_permutation_p_agrees_with_exact_sign_test_distribution() -> None:
    # With d in {-1, 0, +1}, the sign-flip null of the mean equals McNemar's binomial null,
    # so a many-round permutation p-value must approach the exact one.
    a = {f"t{i}": [i < 12, i < 12] for i in range(30)}
    b = {f"t{i}": [8 <= i < 16, 8 <= i < 16] for i in range(30)}
    result = paired_compare(a, b, rounds=200_000, seed=1)
    assert result.method == METHOD_PERMUTATION
    exact = mcnemar_exact(result.a_only, result.b_only)
    assert result.p_value == pytest.approx(exact, abs=0.01)
    assert not math.isclose(exact, 1.0)

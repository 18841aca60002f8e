"""pass@k, bootstrap intervals and paired tests between two models.

Statistical model: a benchmark's tasks are a sample from the (imagined) population of tasks
we care about, and the samples a model draws for one task are a sample of its behaviour on
that task. Benchmark sizes are small (164 HumanEval tasks), so the task-to-task spread is the
main source of uncertainty; that is why every interval here resamples *tasks*, keeping each
task's samples together, and why the paired comparison works on per-task differences.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Bootstrap/permutation work matrices are drawn in row blocks of at most this many cells, so
# 10,000 rounds over a few thousand custom tasks stay within tens of MB. Benchmarks of the
# usual size (hundreds of tasks) fit in one block.
_MAX_BLOCK_CELLS = 4_000_000

# Permuted statistics equal to the observed one must count as "at least as extreme"; summing
# the same numbers in a different order can move them by a few ulps, hence a tolerance far
# below the granularity of a pass rate (1 / (tasks * samples)).
_TIE_TOLERANCE = 1e-9


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of pass@k for one task.

    With ``n`` samples of which ``c`` are correct, the probability that a random subset of
    ``k`` samples contains at least one correct one is ``1 - C(n-c, k) / C(n, k)`` (Chen et al.,
    2021). The binomials overflow floats for large ``n``, so the ratio is evaluated as the
    product ``prod_{i=n-c+1}^{n} (1 - k / i)``, which stays in [0, 1] throughout.

    Args:
        n: Number of samples drawn for the task.
        c: Number of those samples that passed.
        k: Subset size; must satisfy ``1 <= k <= n``.

    Returns:
        The estimate, in [0, 1]; exactly 1.0 when fewer than ``k`` samples failed.

    Raises:
        ValueError: If ``k > n``, ``k < 1`` or ``c`` is not in ``[0, n]``.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples per task, got n={n}")
    if not 0 <= c <= n:
        raise ValueError(f"c must be between 0 and n={n}, got {c}")
    if n - c < k:
        # Every k-subset must contain a correct sample.
        return 1.0
    if k == 1:
        # The product telescopes to c / n; returning it exactly keeps pass@1 bit-identical
        # to the plain pass rate that paired_compare uses.
        return c / n
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a confidence interval.

    Attributes:
        value: The estimate (mean over tasks).
        low: Lower end of the interval.
        high: Upper end of the interval.
        n_tasks: Number of tasks it was computed from.
    """

    value: float
    low: float
    high: float
    n_tasks: int


@dataclass(frozen=True)
class PairedComparison:
    """Result of comparing two models on the same tasks (A minus B).

    Attributes:
        diff: Mean over tasks of per-task pass@1 of A minus that of B.
        low: Lower end of the paired-bootstrap interval of ``diff``.
        high: Upper end of the interval.
        p_value: Two-sided p-value for "A and B are equally good".
        n_tasks: Number of tasks present in both inputs.
        a_only: Tasks where A's per-task pass rate is higher than B's.
        b_only: Tasks where B's per-task pass rate is higher than A's.
        method: The test that produced ``p_value``: ``"exact McNemar"`` or
            ``"sign-flip permutation"``.
    """

    diff: float
    low: float
    high: float
    p_value: float
    n_tasks: int
    a_only: int
    b_only: int
    method: str


METHOD_MCNEMAR = "exact McNemar"
METHOD_PERMUTATION = "sign-flip permutation"


def default_ks(max_k: int) -> list[int]:
    """The conventional k values (1, 2, 5, 10, 20, 50, 100, ...) that are at most ``max_k``.

    Args:
        max_k: Largest k allowed (the smallest per-task sample count).

    Returns:
        Ascending k values; empty when ``max_k < 1``.
    """
    ks: list[int] = []
    decade = 1
    while decade <= max_k:
        ks.extend(m * decade for m in (1, 2, 5) if m * decade <= max_k)
        decade *= 10
    return ks


def pass_at_k_summary(
    per_task: Mapping[str, Sequence[bool]],
    ks: Sequence[int] | None = None,
    *,
    confidence: float = 0.95,
    rounds: int = 2000,
    seed: int = 0,
) -> dict[int, Estimate]:
    """Benchmark-level pass@k with percentile-bootstrap confidence intervals.

    The benchmark score is the mean over tasks of each task's unbiased pass@k. Its interval
    comes from resampling tasks with replacement (each task keeps all of its samples), because
    tasks are the sampling unit: a second run on a different draw of tasks is what the
    interval should predict, and resampling individual samples would ignore how much tasks
    differ in difficulty and give intervals that are far too narrow.

    Args:
        per_task: Pass/fail of every sample, by task id. Tasks may have different sample
            counts.
        ks: The k values wanted. A k larger than some task's sample count is omitted (pass@k
            is undefined there). Defaults to 1, 2, 5, 10, 20, 50, 100, ... up to the smallest
            per-task sample count.
        confidence: Coverage of the interval, in (0, 1).
        rounds: Number of bootstrap resamples.
        seed: Seed of the resampling; equal inputs and seed give equal intervals.

    Returns:
        An :class:`Estimate` per kept k, in ascending k order.

    Raises:
        ValueError: If there are no tasks, a task has no samples, a k is below 1, or
            ``confidence``/``rounds`` is out of range.
    """
    _check_resampling(confidence, rounds)
    if not per_task:
        raise ValueError("pass@k needs at least one task")
    counts = [(len(samples), sum(bool(s) for s in samples)) for samples in per_task.values()]
    empty = [task for task, samples in per_task.items() if len(samples) == 0]
    if empty:
        raise ValueError(f"tasks without samples: {', '.join(sorted(empty)[:5])}")
    min_n = min(n for n, _ in counts)
    if ks is None:
        wanted = default_ks(min_n)
    else:
        bad = [k for k in ks if k < 1]
        if bad:
            raise ValueError(f"k must be at least 1, got {bad}")
        wanted = sorted({k for k in ks if k <= min_n})
    if not wanted:
        return {}

    # values[t, j] = pass@ks[j] of task t.
    values = np.array([[pass_at_k(n, c, k) for k in wanted] for n, c in counts], dtype=np.float64)
    point = values.mean(axis=0)
    boot = _bootstrap_means(values, rounds, np.random.default_rng(seed))
    low, high = _percentile_interval(boot, confidence)
    n_tasks = len(counts)
    return {
        k: Estimate(float(point[j]), float(low[j]), float(high[j]), n_tasks)
        for j, k in enumerate(wanted)
    }


def paired_compare(
    a: Mapping[str, Sequence[bool]],
    b: Mapping[str, Sequence[bool]],
    *,
    confidence: float = 0.95,
    rounds: int = 10000,
    seed: int = 0,
) -> PairedComparison:
    """Compare the pass@1 of two models on the tasks both were run on.

    Each task gives one number per model, its pass rate (the unbiased pass@1). Pairing by task
    removes task difficulty from the comparison, which is far more sensitive than comparing
    two independent intervals. The difference's interval is a percentile bootstrap over tasks.

    The p-value tests "A and B are equally good":

    * One sample per task on both sides: the exact McNemar test. Only discordant tasks (one
      passed, the other failed) carry information; under the null each is equally likely to
      favour A or B, so their split is Binomial(discordant, 1/2) and the p-value is the
      two-sided binomial tail.
    * Otherwise: a paired sign-flip permutation test. Under the null, swapping A's and B's
      samples on a task is as likely as not, i.e. each per-task difference's sign is a fair
      coin. The p-value is the share of ``rounds`` random sign flips whose mean difference is
      at least as far from zero as the observed one, with the +1 correction (the observed
      assignment counts as one of the permutations) so that it is never 0.

    Args:
        a: Pass/fail of every sample of model A, by task id.
        b: Pass/fail of every sample of model B, by task id.
        confidence: Coverage of the interval, in (0, 1).
        rounds: Number of bootstrap resamples and of permutations.
        seed: Seed of the resampling and permutations.

    Returns:
        The comparison, A minus B.

    Raises:
        ValueError: If no task is present in both, a shared task has no samples, or
            ``confidence``/``rounds`` is out of range.
    """
    _check_resampling(confidence, rounds)
    common = sorted(set(a) & set(b))
    if not common:
        raise ValueError("the two inputs share no task ids")
    empty = [t for t in common if len(a[t]) == 0 or len(b[t]) == 0]
    if empty:
        raise ValueError(f"tasks without samples: {', '.join(empty[:5])}")

    rate_a = np.array([_rate(a[t]) for t in common], dtype=np.float64)
    rate_b = np.array([_rate(b[t]) for t in common], dtype=np.float64)
    d = rate_a - rate_b
    a_only = int(np.count_nonzero(d > 0))
    b_only = int(np.count_nonzero(d < 0))

    rng = np.random.default_rng(seed)
    boot = _bootstrap_means(d[:, np.newaxis], rounds, rng)
    low, high = _percentile_interval(boot, confidence)

    single = all(len(a[t]) == 1 and len(b[t]) == 1 for t in common)
    if single:
        # With one sample each, d is in {-1, 0, 1}: a_only/b_only are the discordant pairs.
        p_value, method = mcnemar_exact(a_only, b_only), METHOD_MCNEMAR
    else:
        p_value, method = _sign_flip_p_value(d, rounds, rng), METHOD_PERMUTATION

    return PairedComparison(
        diff=float(d.mean()),
        low=float(low[0]),
        high=float(high[0]),
        p_value=p_value,
        n_tasks=len(common),
        a_only=a_only,
        b_only=b_only,
        method=method,
    )


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value from the two discordant counts.

    Args:
        a_only: Pairs where only A passed.
        b_only: Pairs where only B passed.

    Returns:
        ``min(1, 2 * P(X <= min(a_only, b_only)))`` for ``X ~ Binomial(a_only + b_only, 1/2)``;
        1.0 when there are no discordant pairs.
    """
    n = a_only + b_only
    if n == 0:
        return 1.0
    # Exact integer arithmetic; Python's int / int division is correctly rounded even when
    # 2**n is far beyond float range.
    tail: int = sum(math.comb(n, i) for i in range(min(a_only, b_only) + 1))
    p: float = 2 * tail / 2**n
    return min(1.0, p)


def _rate(samples: Sequence[bool]) -> float:
    return sum(bool(s) for s in samples) / len(samples)


def _check_resampling(confidence: float, rounds: int) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")


def _block_rows(n_tasks: int, rounds: int) -> int:
    return max(1, min(rounds, _MAX_BLOCK_CELLS // max(1, n_tasks)))


def _bootstrap_means(values: FloatArray, rounds: int, rng: np.random.Generator) -> FloatArray:
    """Means of ``rounds`` task resamples of ``values`` (tasks × statistics) → rounds × stats.

    Each round draws T task indices with replacement; the draw becomes a count per task
    (bincount over the flattened rounds × T index matrix), and all rounds' means come out of
    one matrix product, with no Python loop over rounds.
    """
    n_tasks = values.shape[0]
    out = np.empty((rounds, values.shape[1]), dtype=np.float64)
    step = _block_rows(n_tasks, rounds)
    for start in range(0, rounds, step):
        rows = min(step, rounds - start)
        idx = rng.integers(0, n_tasks, size=(rows, n_tasks))
        # Offset each row's indices so one bincount yields the rows × T count matrix.
        flat = (idx + (np.arange(rows) * n_tasks)[:, np.newaxis]).ravel()
        counts = np.bincount(flat, minlength=rows * n_tasks).reshape(rows, n_tasks)
        out[start : start + rows] = (counts @ values) / n_tasks
    return out


def _percentile_interval(boot: FloatArray, confidence: float) -> tuple[FloatArray, FloatArray]:
    alpha = 1.0 - confidence
    low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2], axis=0)
    return low, high


def _sign_flip_p_value(d: FloatArray, rounds: int, rng: np.random.Generator) -> float:
    """Two-sided sign-flip permutation p-value for mean(d) == 0, with the +1 correction."""
    n_tasks = d.shape[0]
    observed = abs(float(d.mean()))
    extreme = 0
    step = _block_rows(n_tasks, rounds)
    for start in range(0, rounds, step):
        rows = min(step, rounds - start)
        signs = rng.integers(0, 2, size=(rows, n_tasks)) * 2 - 1
        flipped = np.abs(signs @ d) / n_tasks
        extreme += int(np.count_nonzero(flipped >= observed - _TIE_TOLERANCE))
    return (extreme + 1) / (rounds + 1)

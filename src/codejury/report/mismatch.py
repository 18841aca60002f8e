"""Benchmark rank against human rank (seed 000, figures 3 and 4).

A model's benchmark score (e.g. HumanEval+ pass@1) and its human rating (e.g. Arena coding)
should agree on the order of models. Where they do not, either the benchmark leaked into its
training data (it scores better than people find it) or the benchmark undersells it.

What :func:`rank_mismatch` computes, over the models that have both figures:

* ranks, 1 = best, ties sharing the average rank; the **rank difference** is
  ``human_rank − benchmark_rank`` (positive: the benchmark places it higher than people do),
  also as a share of the ``n − 1`` possible places, as seed 000 plots it;
* **Kendall's τ-b** between the two figures (``scipy.stats.kendalltau``) with a percentile
  bootstrap interval over models (models resampled with replacement, τ-b recomputed);
* a robust **trend**: the Theil–Sen line of human rank on benchmark rank, which a few
  outliers cannot tilt the way they tilt least squares;
* **flags**: the residual is the model's human rank minus the rank the trend predicts from
  its benchmark rank. A residual above ``threshold`` robust standard deviations is flagged
  ``benchmark-above-human``: a possible benchmark overfit. Below ``−threshold`` it is
  ``human-above-benchmark``. The robust SD is 1.4826 × the median absolute deviation of the
  residuals, floored at 5 % of the ``n − 1`` places (and one rank): when nearly all models
  sit on the trend the MAD is about 0, and without a floor a swap of two or three
  near-equal neighbours would be flagged. With the default threshold, 2, a model is flagged
  only if it sits at least 10 % of the field away from the trend; for normal residuals
  about 5 % of models cross 2 SDs by chance.

A flag is a prompt to look closer, not a verdict: the two figures measure different things
(a fixed Python test suite against people's votes on varied requests).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from codejury.errors import DataError

FloatArray = npt.NDArray[np.float64]
Flag = Literal["", "benchmark-above-human", "human-above-benchmark"]

MAD_TO_SD = 1.482602218505602
"""Scales a median absolute deviation to a standard deviation for normal data."""
MIN_SD_SHARE = 0.05
"""Floor of the robust SD as a share of the ``n − 1`` places (and at least one rank)."""
_CELLS_PER_CHUNK = 4_000_000


@dataclass(frozen=True)
class RankRow:
    """One model in the comparison.

    Attributes:
        key: Model key.
        benchmark: Its benchmark figure.
        human: Its human rating.
        benchmark_rank: Rank by benchmark (1 = best; ties share the average).
        human_rank: Rank by human rating.
        rank_difference: ``human_rank − benchmark_rank``; positive when the benchmark
            places it higher than people do.
        rank_difference_share: ``rank_difference / (n − 1)``, in [−1, 1].
        expected_human_rank: The human rank the trend predicts from its benchmark rank.
        residual: ``human_rank − expected_human_rank``.
        flag: ``benchmark-above-human``, ``human-above-benchmark`` or empty.
    """

    key: str
    benchmark: float
    human: float
    benchmark_rank: float
    human_rank: float
    rank_difference: float
    rank_difference_share: float
    expected_human_rank: float
    residual: float
    flag: Flag

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "key": self.key,
            "benchmark": self.benchmark,
            "human": self.human,
            "benchmark_rank": self.benchmark_rank,
            "human_rank": self.human_rank,
            "rank_difference": self.rank_difference,
            "rank_difference_share": self.rank_difference_share,
            "expected_human_rank": self.expected_human_rank,
            "residual": self.residual,
            "flag": self.flag,
        }


@dataclass(frozen=True)
class RankMismatch:
    """The comparison of benchmark and human ranks.

    Attributes:
        rows: One per model with both figures, by benchmark rank.
        tau: Kendall's τ-b of benchmark against human figure.
        tau_low: Lower end of the bootstrap interval of τ.
        tau_high: Upper end.
        p_value: scipy's two-sided p-value for τ = 0.
        slope: Theil–Sen slope of human rank on benchmark rank.
        intercept: Its intercept.
        robust_sd: The residuals' robust SD (after the floor), in ranks.
        threshold: Flags fire beyond ``threshold × robust_sd``.
        confidence: Coverage of the τ interval.
        rounds: Bootstrap resamples.
    """

    rows: tuple[RankRow, ...]
    tau: float
    tau_low: float
    tau_high: float
    p_value: float
    slope: float
    intercept: float
    robust_sd: float
    threshold: float
    confidence: float
    rounds: int

    def flagged(self, flag: Flag = "benchmark-above-human") -> tuple[str, ...]:
        """Keys of the models with ``flag``, most extreme first."""
        hits = [r for r in self.rows if r.flag == flag]
        hits.sort(key=lambda r: -abs(r.residual))
        return tuple(r.key for r in hits)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "rows": [r.as_dict() for r in self.rows],
            "tau": self.tau,
            "tau_low": self.tau_low,
            "tau_high": self.tau_high,
            "p_value": self.p_value,
            "slope": self.slope,
            "intercept": self.intercept,
            "robust_sd": self.robust_sd,
            "threshold": self.threshold,
            "confidence": self.confidence,
            "rounds": self.rounds,
        }


def rank_mismatch(
    benchmark: Mapping[str, float],
    human: Mapping[str, float],
    *,
    threshold: float = 2.0,
    confidence: float = 0.95,
    rounds: int = 2000,
    seed: int = 0,
) -> RankMismatch:
    """Compare benchmark and human ranks over the models present in both mappings.

    Args:
        benchmark: ``{key: benchmark figure}``, higher is better.
        human: ``{key: human rating}``, higher is better.
        threshold: Robust SDs beyond which a residual is flagged.
        confidence: Coverage of the τ interval, in (0, 1).
        rounds: Bootstrap resamples for the τ interval.
        seed: Seed of the bootstrap.

    Raises:
        DataError: Fewer than 3 models have both figures, or a figure is not finite.
        ValueError: ``threshold``, ``confidence`` or ``rounds`` out of range.
    """
    if not (threshold > 0 and 0 < confidence < 1 and rounds >= 1):
        raise ValueError("need threshold > 0, 0 < confidence < 1 and rounds >= 1")
    keys = sorted(set(benchmark) & set(human))
    if len(keys) < 3:
        raise DataError(
            f"rank mismatch needs at least 3 models with both figures, got {len(keys)}",
            hint="add benchmark scores or human ratings for more models",
        )
    x = np.array([benchmark[k] for k in keys], dtype=np.float64)
    y = np.array([human[k] for k in keys], dtype=np.float64)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise DataError("benchmark figures and human ratings must be finite numbers")
    n = len(keys)
    bench_rank = stats.rankdata(-x, method="average")
    human_rank = stats.rankdata(-y, method="average")
    tau_result = stats.kendalltau(x, y)
    low, high = _tau_interval(x, y, confidence, rounds, np.random.default_rng(seed))

    slope, intercept = _theil_sen(human_rank, bench_rank)
    expected = intercept + slope * bench_rank
    residual = human_rank - expected
    mad = float(np.median(np.abs(residual - np.median(residual))))
    robust_sd = max(MAD_TO_SD * mad, MIN_SD_SHARE * (n - 1), 1.0)
    limit = threshold * robust_sd

    rows = [
        RankRow(
            key=k,
            benchmark=float(x[i]),
            human=float(y[i]),
            benchmark_rank=float(bench_rank[i]),
            human_rank=float(human_rank[i]),
            rank_difference=float(human_rank[i] - bench_rank[i]),
            rank_difference_share=float((human_rank[i] - bench_rank[i]) / (n - 1)),
            expected_human_rank=float(expected[i]),
            residual=float(residual[i]),
            flag=_flag(float(residual[i]), limit),
        )
        for i, k in enumerate(keys)
    ]
    rows.sort(key=lambda r: (r.benchmark_rank, r.key))
    return RankMismatch(
        rows=tuple(rows),
        tau=_nan_safe(tau_result.statistic),
        tau_low=low,
        tau_high=high,
        p_value=_nan_safe(tau_result.pvalue),
        slope=slope,
        intercept=intercept,
        robust_sd=robust_sd,
        threshold=threshold,
        confidence=confidence,
        rounds=rounds,
    )


def kendall_tau_b(x: FloatArray, y: FloatArray) -> FloatArray:
    """Kendall's τ-b of many pairs of samples at once.

    ``τ_b = Σ sign(xᵢ−xⱼ)·sign(yᵢ−yⱼ) / √(Σ sign(xᵢ−xⱼ)² · Σ sign(yᵢ−yⱼ)²)`` over all
    ordered pairs, which is the tie-corrected τ that ``scipy.stats.kendalltau`` returns.

    Args:
        x: Shape ``(rounds, n)``.
        y: Same shape.

    Returns:
        Shape ``(rounds,)``; NaN where one side has no untied pair.
    """
    sx = np.sign(x[:, :, None] - x[:, None, :])
    sy = np.sign(y[:, :, None] - y[:, None, :])
    num = (sx * sy).sum(axis=(1, 2))
    den = np.sqrt(np.abs(sx).sum(axis=(1, 2)) * np.abs(sy).sum(axis=(1, 2)))
    with np.errstate(invalid="ignore", divide="ignore"):
        tau: FloatArray = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return tau


def _tau_interval(
    x: FloatArray, y: FloatArray, confidence: float, rounds: int, rng: np.random.Generator
) -> tuple[float, float]:
    n = len(x)
    idx = rng.integers(0, n, size=(rounds, n))
    chunk = max(1, _CELLS_PER_CHUNK // (n * n))
    taus = np.concatenate(
        [
            kendall_tau_b(x[idx[s : s + chunk]], y[idx[s : s + chunk]])
            for s in range(0, rounds, chunk)
        ]
    )
    taus = taus[np.isfinite(taus)]
    if taus.size == 0:
        return math.nan, math.nan
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(taus, [alpha, 1.0 - alpha])
    return float(low), float(high)


def _theil_sen(y: FloatArray, x: FloatArray) -> tuple[float, float]:
    if np.ptp(x) == 0:
        # All benchmark ranks tied: no slope can be estimated; predict the median human rank.
        return 0.0, float(np.median(y))
    result = stats.theilslopes(y, x)
    return float(result.slope), float(result.intercept)


def _flag(residual: float, limit: float) -> Flag:
    if residual > limit:
        return "benchmark-above-human"
    if residual < -limit:
        return "human-above-benchmark"
    return ""


def _nan_safe(value: Any) -> float:
    return float(value) if value is not None else math.nan

"""Pure statistics for perf runs: per-request samples → per-level figures → the saturation point.

Nothing here reads a clock or talks to a server, so every figure can be checked against
hand-computed values. Times are seconds from :func:`time.perf_counter`.

Which requests count (see :func:`level_stats`):

- *Latency, TTFT, error rate* use the requests that **started** inside the measurement
  window: those started during warm-up are excluded, those started before the window closed
  are waited for and included even if they finish after it.
- *Throughput* (requests/s, output tokens/s) counts the successful requests that
  **finished** inside the window, divided by its length: in a closed loop that is the rate the
  server sustains, whether or not a request began during warm-up.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

LATENCY_RULE = "p95_latency"
THROUGHPUT_RULE = "throughput"


@dataclass(frozen=True, slots=True)
class Sample:
    """One request as the load generator saw it.

    Attributes:
        start: When it was sent.
        end: When the answer was complete, or the failure raised.
        ttft_s: Seconds to the first token, as the provider measured it; ``None`` if unknown.
        output_tokens: Generated tokens the server reported; ``None`` if it did not.
        error: The failure's kind (see :func:`error_kind`), ``None`` on success.
    """

    start: float
    end: float
    ttft_s: float | None = None
    output_tokens: int | None = None
    error: str | None = None


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of sorted values, interpolating linearly between ranks.

    The same definition as NumPy's default (``method="linear"``): rank ``(n - 1) * q / 100``.

    Raises:
        ValueError: No values, or ``q`` outside 0..100.
    """
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, got {q}")
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """Distribution of one duration, in seconds."""

    count: int
    mean: float
    p50: float
    p95: float
    p99: float
    min: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary | None:
        """Summarise ``values`` (any order); ``None`` when there are none."""
        if not values:
            return None
        ordered = sorted(values)
        return cls(
            count=len(ordered),
            mean=math.fsum(ordered) / len(ordered),
            p50=percentile(ordered, 50),
            p95=percentile(ordered, 95),
            p99=percentile(ordered, 99),
            min=ordered[0],
            max=ordered[-1],
        )

    def as_dict(self) -> dict[str, float | int]:
        """Plain JSON-ready values (seconds)."""
        return {
            "count": self.count,
            "mean_s": self.mean,
            "p50_s": self.p50,
            "p95_s": self.p95,
            "p99_s": self.p99,
            "min_s": self.min,
            "max_s": self.max,
        }


@dataclass(frozen=True)
class LevelStats:
    """What one concurrency level sustained.

    Attributes:
        concurrency: Requests kept in flight.
        window_s: Length of the measurement window (after warm-up).
        requests: Requests started inside the window (successes and failures).
        succeeded: Of those, how many succeeded.
        errors: Of those, how many failed.
        error_rate: ``errors / requests`` (0 when no request started).
        error_kinds: Failures by kind, most frequent first.
        warmup_excluded: Requests started during warm-up, left out of every figure but
            throughput (see the module docstring).
        requests_per_s: Successful requests finished inside the window, per second.
        output_tokens_per_s: Reported output tokens of those, per second; ``None`` when the
            server reported no token counts.
        ttft: Time to first token of the successful requests, where known.
        latency: Total latency (send to last token) of the successful requests.
    """

    concurrency: int
    window_s: float
    requests: int
    succeeded: int
    errors: int
    error_rate: float
    error_kinds: dict[str, int]
    warmup_excluded: int
    requests_per_s: float
    output_tokens_per_s: float | None
    ttft: Summary | None
    latency: Summary | None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "concurrency": self.concurrency,
            "window_s": self.window_s,
            "requests": self.requests,
            "succeeded": self.succeeded,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "error_kinds": dict(self.error_kinds),
            "warmup_excluded": self.warmup_excluded,
            "requests_per_s": self.requests_per_s,
            "output_tokens_per_s": self.output_tokens_per_s,
            "ttft": None if self.ttft is None else self.ttft.as_dict(),
            "latency": None if self.latency is None else self.latency.as_dict(),
        }


def level_stats(
    concurrency: int, samples: Sequence[Sample], window_start: float, window_end: float
) -> LevelStats:
    """Figures for one level from its samples (see the module docstring for who counts).

    Args:
        concurrency: The level's concurrency.
        samples: Every request the level sent, warm-up included.
        window_start: End of warm-up.
        window_end: When the level stopped sending requests.

    Raises:
        ValueError: The window is empty or reversed.
    """
    window = window_end - window_start
    if window <= 0:
        raise ValueError(f"empty measurement window ({window_start} .. {window_end})")
    measured = [s for s in samples if window_start <= s.start < window_end]
    succeeded = [s for s in measured if s.error is None]
    failures = Counter(s.error for s in measured if s.error is not None)
    finished = [s for s in samples if s.error is None and window_start <= s.end <= window_end]
    counted = [s.output_tokens for s in finished if s.output_tokens is not None]
    return LevelStats(
        concurrency=concurrency,
        window_s=window,
        requests=len(measured),
        succeeded=len(succeeded),
        errors=len(measured) - len(succeeded),
        error_rate=(len(measured) - len(succeeded)) / len(measured) if measured else 0.0,
        error_kinds=dict(failures.most_common()),
        warmup_excluded=sum(1 for s in samples if s.start < window_start),
        requests_per_s=len(finished) / window,
        output_tokens_per_s=sum(counted) / window if counted else None,
        ttft=Summary.of([s.ttft_s for s in succeeded if s.ttft_s is not None]),
        latency=Summary.of([s.end - s.start for s in succeeded]),
    )


@dataclass(frozen=True)
class Saturation:
    """The first level at which the server stopped keeping up.

    Attributes:
        concurrency: That level.
        last_good: The level before it (the highest concurrency worth running), if any.
        rules: Which rules fired there: :data:`LATENCY_RULE`, :data:`THROUGHPUT_RULE`.
        reason: One sentence with the numbers.
    """

    concurrency: int
    last_good: int | None
    rules: tuple[str, ...]
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "concurrency": self.concurrency,
            "last_good": self.last_good,
            "rules": list(self.rules),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SaturationRule:
    """When a level counts as saturated.

    Attributes:
        p95_target_s: The level's p95 latency exceeds this (``None``: rule off). A level
            where no request succeeded has no latency and counts as exceeding it.
        min_growth: Throughput grew by less than this fraction over the previous level
            (0.10: under 10 % more requests/s). Levels are compared in the order given,
            whatever their spacing, so space them geometrically (1, 2, 4, ...) for a fair rule.
    """

    p95_target_s: float | None = None
    min_growth: float = 0.10


def detect_saturation(levels: Sequence[LevelStats], rule: SaturationRule) -> Saturation | None:
    """The first level (in the order given) where ``rule`` fires, or ``None``."""
    previous: LevelStats | None = None
    for level in levels:
        fired: list[str] = []
        reasons: list[str] = []
        target = rule.p95_target_s
        if target is not None:
            p95 = None if level.latency is None else level.latency.p95
            if p95 is None or p95 > target:
                fired.append(LATENCY_RULE)
                shown = "no request succeeded" if p95 is None else f"p95 {p95 * 1000:.1f} ms"
                reasons.append(f"{shown} > target {target * 1000:.1f} ms")
        if previous is not None:
            before, now = previous.requests_per_s, level.requests_per_s
            if now < before * (1 + rule.min_growth) or (before == 0 and now == 0):
                fired.append(THROUGHPUT_RULE)
                growth = f"{(now / before - 1) * 100:+.1f} %" if before else "none"
                reasons.append(
                    f"throughput {now:.1f} req/s vs {before:.1f} at concurrency "
                    f"{previous.concurrency} ({growth}, needs +{rule.min_growth * 100:.0f} %)"
                )
        if fired:
            return Saturation(
                concurrency=level.concurrency,
                last_good=None if previous is None else previous.concurrency,
                rules=tuple(fired),
                reason=f"saturated at concurrency {level.concurrency}: " + "; ".join(reasons),
            )
        previous = level
    return None


def error_kind(exc: BaseException) -> str:
    """A short label for a failure: its class, plus the HTTP status when it came with one."""
    status = getattr(exc, "status", None)
    name = type(exc).__name__
    return f"{name} (HTTP {status})" if isinstance(status, int) else name
